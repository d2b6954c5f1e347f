"""End to end from the Debian source: the demo bug's kernel is built, crashes with
its title, its upstream fix resolves it 3/3, a wrong patch does not, and a patch
that does not apply is a clear error. Real builds, real QEMU, real SSH."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from actors.platforms.local_platform import LocalPlatform
from bench.suites import resolve_bug
from kgym import judge

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600)]

DEMO = "kbench-6.1/mpol-parse-str"
PATCHES = Path(__file__).parent / "patches"
# A comment in the right function: builds, boots, and leaves the bug in place.
WRONG_PATCH = (PATCHES / "wrong.patch").read_text()
NON_APPLYING_PATCH = (PATCHES / "non-applying.patch").read_text()


@pytest.fixture(scope="module")
def bug():
    return resolve_bug(DEMO)


@pytest.fixture(scope="module")
async def platform():
    async with LocalPlatform() as p:
        yield p


async def test_buggy_kernel_crashes_with_the_bugs_title(platform, bug) -> None:
    verdict = await judge.reproduce(platform, bug, runs=1)
    assert verdict.built, verdict.errors
    assert verdict.same_crash_runs == 1, verdict.model_dump_json(indent=1)[:4000]
    report = verdict.run_results[0].report
    assert report.title == "KASAN: slab-out-of-bounds Write in mpol_parse_str"
    assert report.guilty_file == "mm/mempolicy.c"
    assert verdict.accelerator in ("kvm", "tcg")


async def test_upstream_fix_resolves_three_of_three(platform, bug) -> None:
    verdict = await judge.verify(platform, bug, bug.read("fix.patch"), runs=3)
    assert verdict.applied and verdict.built and verdict.booted, verdict.errors
    assert (verdict.runs, verdict.crashed_runs) == (3, 0)
    assert verdict.resolved


async def test_wrong_patch_does_not_resolve(platform, bug) -> None:
    verdict = await judge.verify(platform, bug, WRONG_PATCH, runs=3)
    assert verdict.applied and verdict.built
    assert not verdict.resolved
    assert verdict.same_crash_runs >= 1
    assert verdict.title == bug.title


async def test_non_applying_patch_is_a_clear_error(platform, bug) -> None:
    verdict = await judge.verify(platform, bug, NON_APPLYING_PATCH, runs=3)
    assert not verdict.applied and not verdict.built and not verdict.resolved
    assert any("mm/mempolicy.c" in e and "hunk #1" in e for e in verdict.errors), verdict.errors


def _kgym(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", *args, "--json"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1, (out.stdout, out.stderr[-3000:])
    return json.loads(lines[0])


def test_cli_repro_json_contract(bug, demo_kernel) -> None:
    result = _kgym("repro", DEMO)
    assert set(result) >= {"bug", "build", "accelerator", "runs", "crashed", "title", "report"}
    assert result["build"]["cache_hit"] is True  # demo_kernel built it
    assert result["crashed"] and result["title"] == bug.title


def test_cli_verify_refuses_a_patch_escaping_the_tree(tmp_path) -> None:
    evil = tmp_path / "evil.patch"
    evil.write_text("--- a/../../etc/passwd\n+++ b/../../etc/passwd\n@@ -1 +1 @@\n-x\n+y\n")
    result = _kgym("verify", DEMO, "--patch", str(evil))
    assert set(result) >= {"applied", "built", "booted", "runs", "crashed_runs", "resolved"}
    assert result["applied"] is False and result["resolved"] is False
    assert result["errors"]


def test_cli_names_an_unknown_bug() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", "repro", "no-such-bug", "--json"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "no-such-bug" in json.loads(out.stdout)["error"]
