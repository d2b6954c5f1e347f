"""One event stream per run: `kgym repro` and `kgym verify --ray` write every platform
event (build stages, VM boot, reproducer, verdict) with their run id into
runs/<run_id>/events.jsonl, also from inside Ray actors; `kgym trace` shows them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.suites import resolve_bug
from kgym.rundir import read_events
from kgym.settings import settings

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600)]

DEMO = "kbench-6.1/mpol-parse-str"


def _kgym(*args: str) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", *args],
        capture_output=True,
        text=True,
        timeout=3000,
    )
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, (done.stdout, done.stderr[-3000:])
    return json.loads(lines[0]), done.stderr


def _names(events: list[dict]) -> set[tuple[str, str]]:
    return {(e["node"], e["event"]) for e in events}


def _assert_platform_stream(run_id: str) -> list[dict]:
    events = read_events(settings().runs_dir / run_id)
    assert events, f"no events for {run_id}"
    assert {e["run_id"] for e in events} == {run_id}
    names = _names(events)
    assert ("build_cache", "build.stage") in names or ("build_cache", "build.cache_hit") in names
    assert {("judge", "build.start"), ("judge", "build.end"), ("judge", "verdict")} <= names
    assert {("vmpool.qemu", "vm.booted"), ("vmpool", "repro.result")} <= names, names
    assert ("crash_parser", "parse.end") in names
    assert events[0]["event"] == "run.start" and events[-1]["event"] == "run.end"
    return events


def test_repro_writes_build_and_vm_events_and_trace_shows_them(demo_kernel) -> None:
    result, stderr = _kgym("repro", DEMO, "--json")
    run_id = result["run_id"]
    _assert_platform_stream(run_id)
    assert "Traceback" not in stderr
    trace = subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", "trace", run_id],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert trace.returncode == 0, trace.stderr
    assert "vm.booted" in trace.stdout and "verdict" in trace.stdout


@pytest.mark.ray
def test_verify_through_ray_actors_lands_their_events_in_the_run(demo_kernel) -> None:
    bug = resolve_bug(DEMO)
    result, _ = _kgym(
        "verify", DEMO, "--patch", f"{bug.dir}/fix.patch", "--runs", "1", "--ray", "--json"
    )
    assert result["resolved"], result
    events = _assert_platform_stream(result["run_id"])
    # Stages of the patched build, logged inside the build cache actor, reached the driver.
    stages = {e.get("stage") for e in events if e["event"] == "build.stage"}
    assert {"source", "patch"} <= stages, stages
