"""Benchmark performance on this machine: suite validation wall time, and run throughput.

    uv run python bench/perf/bench_perf.py [--suite kbench-6.1] [--bugs ID ...]
        [--runs 10] [--fix-runs 3] [--skip-validate]

1. Validation: `kgym bench validate` figures for the chosen bugs (this also warms
   the build cache, so the throughput runs below compare workers, not cold builds).
2. Throughput: `kgym bench run --agent oracle --attempts 1` with 1 worker, then
   with 2, each into a fresh run directory; bugs/hour for each, and their ratio.

Prints one JSON object on stdout. Real kernels and VMs: this takes a while.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from actors.platforms.local_platform import LocalPlatform
from bench.results import load_results
from bench.runner import run_benchmark
from bench.suites import load_suite, suite_dir
from bench.validate import validate_bugs


def _subset(suite: str, bugs: list[str] | None, tmp: Path) -> str:
    """The suite itself, or a copy holding only `bugs` (symlinked bug dirs)."""
    if not bugs:
        return suite
    base = suite_dir(suite)
    sub = tmp / "suite"
    sub.mkdir()
    for bug in bugs:
        if not (base / bug / "bug.json").is_file():
            raise SystemExit(f"error: no bug {bug!r} in {base}")
        (sub / bug).symlink_to(base / bug)
    return str(sub)


async def _validate(suite: str, runs: int, fix_runs: int) -> dict:
    bugs = load_suite(suite)
    started = time.monotonic()
    async with LocalPlatform() as platform:
        results = await validate_bugs(platform, bugs, runs, fix_runs)
    return {
        "bugs": len(bugs),
        "runs": runs,
        "fix_runs": fix_runs,
        "wall_s": round(time.monotonic() - started, 1),
        "per_bug_s": {r.bug: round(r.duration_s, 1) for r in results},
        "passed": sum(r.passed for r in results),
    }


def _throughput(suite: str, workers: int, out: Path) -> dict:
    started = time.monotonic()
    run_benchmark(suite, "oracle", out, workers=workers, attempts=1, progress=False)
    wall = time.monotonic() - started
    results, _ = load_results(out / "results.jsonl")
    return {
        "workers": workers,
        "attempts": len(results),
        "resolved": sum(r.resolved for r in results),
        "errors": sum(r.error is not None for r in results),
        "wall_s": round(wall, 1),
        "bugs_per_hour": round(len(results) / wall * 3600, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="kbench-6.1")
    parser.add_argument("--bugs", nargs="*", help="only these bug ids")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--fix-runs", type=int, default=3)
    parser.add_argument("--skip-validate", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kgym-bench-perf-") as tmp:
        suite = _subset(args.suite, args.bugs, Path(tmp))
        figures: dict = {"suite": args.suite, "bugs": args.bugs or "all"}
        if not args.skip_validate:
            figures["validation"] = asyncio.run(_validate(suite, args.runs, args.fix_runs))
        one = _throughput(suite, 1, Path(tmp) / "w1")
        two = _throughput(suite, 2, Path(tmp) / "w2")
        figures["throughput"] = [one, two]
        figures["speedup_2_vs_1"] = round(two["bugs_per_hour"] / one["bugs_per_hour"], 2)
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
