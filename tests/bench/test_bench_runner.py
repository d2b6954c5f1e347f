"""The benchmark runner on a real local Ray cluster and the real platform.

The bugs here are real bug directories whose buggy tree cannot be made (their
inject patch does not apply to their `dir` source), so every attempt goes the
whole way (Ray task, LocalPlatform, BuildCache, judge, results.jsonl) without
a kernel build. Kernel-building runs are in test_bench_kernel.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.report import write_report
from bench.results import load_results
from bench.runner import run_benchmark
from kgym.settings import load_settings

pytestmark = pytest.mark.ray


@pytest.fixture(autouse=True)
def fresh_platform():
    """Each test gives the node its own KGYM_HOME: stop the node's actors before and
    after it (actors running with another test's settings would be refused)."""
    import ray

    from actors.platforms.ray_platform import stop_actors

    if ray.is_initialized():
        stop_actors()
    yield
    if ray.is_initialized():
        stop_actors()


def make_suite(root: Path, n: int) -> Path:
    """A suite of `n` cheap bugs under `root/suite` (a tiny `dir` source under `root/tree`)."""
    tree = root / "tree"
    tree.mkdir(parents=True)
    (tree / "Makefile").write_text("all:\n")
    (tree / "foo.c").write_text("int x;\n")
    suite = root / "suite"
    for i in range(n):
        bug_dir = suite / f"bug{i}"
        bug_dir.mkdir(parents=True)
        record = {
            "id": f"bug{i}",
            "title": f"WARNING in foo{i}",
            "crash_class": "WARNING" if i % 2 else "KASAN: use-after-free",
            "source": {"kind": "dir", "path": str(tree)},
            "reproducer": {"type": "c", "file": "repro.c"},
            "fix": {"file": "fix.patch", "modified_files": ["foo.c"]},
        }
        (bug_dir / "bug.json").write_text(json.dumps(record))
        patch = "--- a/foo.c\n+++ b/foo.c\n@@ -1 +1 @@\n-int y;\n+int z;\n"
        (bug_dir / "inject.patch").write_text(patch)
        (bug_dir / "fix.patch").write_text(patch)
        (bug_dir / "repro.c").write_text("int main(void) { return 0; }\n")
    return suite


def keys(out: Path) -> list[tuple[str, int, str]]:
    lines = (out / "results.jsonl").read_text().splitlines()
    return [(d["bug"], d["attempt"], d["agent"]) for d in map(json.loads, lines)]


def test_run_resume_report_in_process(ray_cluster, tmp_path: Path) -> None:
    suite = make_suite(tmp_path, 3)
    config = load_settings({"KGYM_HOME": str(tmp_path / "home")})
    out = tmp_path / "run"
    for agent in ["oracle", "noop"]:
        work = run_benchmark(
            str(suite), agent, out, workers=2, attempts=2, progress=False, config=config
        )
        assert len(work.todo) == 6 and work.done == 0
    again = run_benchmark(
        str(suite), "oracle", out, workers=2, attempts=2, progress=False, config=config
    )
    assert again.todo == [] and again.done == 6
    got = keys(out)
    assert len(got) == len(set(got)) == 12
    results, bad = load_results(out / "results.jsonl")
    assert bad == []
    for r in results:
        assert r.error is None, r.error
        assert r.verdict is not None and not r.verdict.applied and not r.resolved
        assert r.reproduced is False and r.crash_class in ("WARNING", "KASAN: use-after-free")
    oracle = next(r for r in results if r.agent == "oracle")
    assert oracle.patch == (suite / oracle.bug / "fix.patch").read_text()
    assert all(r.patch == "" for r in results if r.agent == "noop")
    report, _ = write_report(out)
    assert "## Agent `noop`" in report.read_text() and "## Agent `oracle`" in report.read_text()


def test_kill_then_resume_neither_loses_nor_duplicates(tmp_path: Path) -> None:
    suite = make_suite(tmp_path, 2)
    out = tmp_path / "run"
    env = {**os.environ, "KGYM_HOME": str(tmp_path / "home"), "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    cmd = [
        sys.executable,
        "-m",
        "kgym.front.cli",
        "bench",
        "run",
        str(suite),
        "--agent",
        "noop",
        "--workers",
        "1",
        "--attempts",
        "5",
        "--out",
        str(out),
        "--no-progress",
    ]
    results = out / "results.jsonl"
    first = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while not (results.exists() and results.read_text().count("\n") >= 1):
            assert first.poll() is None, "the run ended before writing a result"
            assert time.monotonic() < deadline, "no result line within 180 s"
            time.sleep(0.05)
        os.killpg(first.pid, signal.SIGKILL)
    finally:
        first.wait()
    before = keys(out)
    assert 1 <= len(before) < 10, f"killed too late to test resuming ({len(before)} done)"

    done = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == len(before) and summary["ran"] == 10 - len(before)
    after = keys(out)
    assert after[: len(before)] == before
    assert len(after) == len(set(after)) == 10
    assert set(after) == {(f"bug{i}", a, "noop") for i in range(2) for a in range(5)}

    report = subprocess.run(
        [sys.executable, "-m", "kgym.front.cli", "bench", "report", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr[-2000:]
    assert "| **all** | 2 | 10 |" in (out / "report.md").read_text()


def test_truncated_line_from_a_crash_is_reported_and_redone(ray_cluster, tmp_path: Path):
    suite = make_suite(tmp_path, 1)
    config = load_settings({"KGYM_HOME": str(tmp_path / "home")})
    out = tmp_path / "run"
    run_benchmark(str(suite), "noop", out, attempts=1, progress=False, config=config)
    results = out / "results.jsonl"
    whole = results.read_text()
    results.write_text(whole[: len(whole) // 2])  # as if killed mid-line
    work = run_benchmark(str(suite), "noop", out, attempts=1, progress=False, config=config)
    assert [b.line for b in work.bad_lines] == [1] and len(work.todo) == 1
    good, bad = load_results(results)
    assert [r.key for r in good] == [("bug0", 0, "noop")] and [b.line for b in bad] == [1]
