"""Verdicts syzkaller would agree with, on real kernels (DESIGN.md, 'Verdicts').

A guest that goes silent or halts after the reproducer started has crashed ("no
output from test machine"), and so has one whose patch hangs it; a patch that makes
the kernel fail to boot is a boot failure with the report's title; a patch that only
deletes the WARN_ON of a WARNING bug is flagged as silencing the symptom. Every
verify verdict carries the reproduction rate, the confidence and the quality keys.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from actors.platforms.local_platform import LocalPlatform
from bench.suites import resolve_bug
from kgym import judge
from kgym.confidence import runs_for
from kgym.front.commands.verify import verify_json
from kgym.models import BugSpec, Quality
from kgym.settings import settings

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600), pytest.mark.soak]

PATCHES = Path(__file__).parent / "patches"
REPROS = Path(__file__).parents[1] / "vmpool" / "repros"
CONFIG = settings().model_copy(update={"rate_runs": 1})


@pytest.fixture(scope="module")
async def platform():
    async with LocalPlatform() as p:
        yield p


def probe_bug(tmp: Path, repro: str) -> BugSpec:
    """The demo bug's kernel with another reproducer (and its own id: its runs must not
    count towards the demo bug's reproduction rate)."""
    demo = resolve_bug("kbench-6.1/mpol-parse-str")
    shutil.copytree(demo.dir, tmp, dirs_exist_ok=True)
    shutil.copy(REPROS / repro, tmp / repro)
    record = json.loads((tmp / "bug.json").read_text())
    record["id"] = f"probe-{Path(repro).stem}"
    record["reproducer"] = {"type": "c", "file": repro, "repeats": 1, "timeout_s": 20}
    (tmp / "bug.json").write_text(json.dumps(record))
    return BugSpec.load(tmp)


def show(verdict) -> str:
    logs = [r.console_log for r in verdict.run_results if r.console_log]
    tail = Path(logs[-1]).read_text(errors="replace")[-2500:] if logs else ""
    return verdict.model_dump_json(indent=1, exclude={"build"})[:5000] + "\n---\n" + tail


@pytest.mark.parametrize("repro", ["silent_spin.c", "halt.c"])
async def test_a_guest_that_goes_silent_after_the_reproducer_started_crashed(
    platform, tmp_path, repro
) -> None:
    verdict = await judge.reproduce(platform, probe_bug(tmp_path, repro), runs=1, config=CONFIG)
    assert not verdict.infra_error, show(verdict)
    assert verdict.booted and verdict.crashed_runs == 1, show(verdict)
    assert verdict.title == "no output from test machine", show(verdict)
    assert verdict.reproduction_rate == 0.0  # not the bug's title


async def test_a_patch_that_hangs_the_kernel_is_no_output(platform) -> None:
    bug = resolve_bug("kbench-6.1/mpol-parse-str")
    patch = (PATCHES / "hang.patch").read_text()
    verdict = await judge.verify(platform, bug, patch, runs=1, config=CONFIG)
    assert verdict.built and verdict.booted and not verdict.infra_error, show(verdict)
    assert not verdict.resolved
    assert verdict.title == "no output from test machine", show(verdict)
    assert verdict.confidence == 0.0
    assert verdict.reproduction_rate is not None and verdict.reproduction_runs >= 1


async def test_a_patch_that_breaks_boot_is_a_boot_failure_with_the_reports_title(
    platform,
) -> None:
    bug = resolve_bug("kbench-6.1/mpol-parse-str")
    patch = (PATCHES / "boot-bug.patch").read_text()
    verdict = await judge.verify(platform, bug, patch, runs=3, config=CONFIG)
    assert verdict.built and not verdict.infra_error, show(verdict)
    assert verdict.boot_failure and not verdict.booted and not verdict.resolved, show(verdict)
    assert verdict.title == "kernel BUG in numa_policy_init", show(verdict)
    assert len(verdict.run_results) == 1  # no point booting it again
    assert verdict.confidence == 0.0


async def test_deleting_the_warn_on_of_a_warning_bug_silences_the_symptom(platform) -> None:
    bug = resolve_bug("kbench-6.1/signal-join-group-stop-warn")
    assert bug.crash_class == "WARNING"
    patch = (PATCHES / "delete-warn.patch").read_text()
    verdict = await judge.verify(platform, bug, patch, runs=3, config=CONFIG)
    assert verdict.built and verdict.booted, show(verdict)
    q = verdict.quality
    assert q is not None
    assert q.silences_symptom, q
    assert q.silencing_reason.startswith("deletes-report-call: removes WARN_ON_ONCE"), q
    assert (q.hunks, q.files) == (1, 1)
    assert q.checkpatch_errors == 0 and q.checkpatch_warnings is not None, q
    assert q.new_compiler_warnings == 0, q  # a deleted line warns about nothing
    assert q.new_boot_warnings is not None, q
    # resolved or not, the verdict says how sure it is, from the measured rate
    assert verdict.reproduction_rate is not None and 0 <= verdict.reproduction_rate <= 1
    assert verdict.confidence is not None and 0.0 <= verdict.confidence <= 1.0
    out = verify_json(verdict)
    assert set(out["quality"]) == set(Quality.CONTRACT)
    assert {"reproduction_rate", "confidence", "node"} <= set(out)
    if verdict.resolved:
        p = verdict.reproduction_rate
        assert verdict.confidence == pytest.approx(1 - (1 - p) ** verdict.runs)


async def test_the_upstream_fix_is_not_flagged_and_has_full_confidence(platform) -> None:
    bug = resolve_bug("kbench-6.1/signal-join-group-stop-warn")
    verdict = await judge.verify(platform, bug, bug.read("fix.patch"), runs=3, config=CONFIG)
    assert verdict.resolved, show(verdict)
    assert verdict.quality and not verdict.quality.silences_symptom, verdict.quality
    assert verdict.quality.new_compiler_warnings == 0, verdict.quality
    p = verdict.reproduction_rate
    assert p is not None and p > 0
    assert verdict.confidence == pytest.approx(1 - (1 - p) ** 3)


def test_cli_verify_runs_auto_picks_r_for_the_target_confidence() -> None:
    """`kgym verify --runs auto --json`: R from the recorded rate, and the JSON contract."""
    bug = resolve_bug("kbench-6.1/signal-join-group-stop-warn")
    out = subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", "verify", "kbench-6.1/" + bug.id,
         "--patch", str(bug.path("fix.patch")), "--runs", "auto", "--json"],
        capture_output=True, text=True, timeout=3000,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["resolved"], (result, out.stderr[-3000:])
    p = result["reproduction_rate"]
    assert p and result["reproduction_runs"] >= settings().rate_runs
    assert result["runs"] == runs_for(p, settings().target_confidence, settings().max_verify_runs)
    assert result["confidence"] >= settings().target_confidence or result["runs"] == 30
    assert set(result["quality"]) == set(Quality.CONTRACT)
    assert result["node"] is None  # one process: no Ray node
