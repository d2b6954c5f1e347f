"""End to end on the 2-CPU guest: the race bug (two threads on two CPUs) reproduces
with its kBench title, and its upstream fix makes it clean. The bug lives in the suite
once validated, in bench/candidates until then."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.platforms.local_platform import LocalPlatform
from bench.suites import SUITES_DIR, resolve_bug
from kgym import judge
from kgym.settings import settings

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600), pytest.mark.soak]

RACE_ID = "watchq-add-defunct-uaf"
HOMES = [SUITES_DIR / "kbench-6.1", SUITES_DIR.parent / "candidates" / "kbench-6.1"]
RACE = next((h / RACE_ID for h in HOMES if (h / RACE_ID).is_dir()), HOMES[0] / RACE_ID)


@pytest.fixture(scope="module")
async def platform():
    async with LocalPlatform() as p:
        yield p


async def test_the_race_bug_reproduces_on_two_cpus(platform) -> None:
    assert settings().vm_cpus == 2
    bug = resolve_bug(RACE)
    verdict = await judge.reproduce(platform, bug, runs=1, run_id="test-suite-smp-race")
    assert verdict.built, verdict.errors
    run = verdict.run_results[0]
    console = Path(run.console_log).read_text(errors="replace")
    assert "smp: Brought up 1 node, 2 CPUs" in console
    assert verdict.same_crash_runs == 1, verdict.model_dump_json(indent=1)[:4000]
    assert run.report.title == "KASAN: use-after-free Read in __post_watch_notification"


async def test_the_race_bugs_fix_resolves_it(platform) -> None:
    bug = resolve_bug(RACE)
    verdict = await judge.verify(platform, bug, bug.read(bug.fix.file), runs=1)
    assert verdict.applied and verdict.built and verdict.booted, verdict.errors
    assert verdict.crashed_runs == 0, verdict.model_dump_json(indent=1)[:4000]
