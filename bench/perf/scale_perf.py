"""Scale-out on this machine: oracle throughput on one and on two kgym nodes, the
scheduler's overhead per unit of work, and what warming a second node costs.

    flock /tmp/kgym-heavy.lock uv run python bench/perf/scale_perf.py [--bugs N] [--root DIR]

A real Ray cluster of `ray start` nodes on this machine (LocalCluster), each with
its own KGYM_HOME and one VM at a time (KGYM_VM_POOL_SIZE=1), one verification run
(KGYM_VERIFY_RUNS=1):

1. node a's home is seeded from this machine's warm home (`kgym seed`: copy, not a
   cold build); a warm-up `kgym bench run --agent oracle` on a alone builds every
   kernel there (its first build in the copied tree shows whether it stayed warm);
2. a timed oracle run on a alone (every build a cache hit);
3. node b's home is seeded from a's (the cost of warming a second node), b joins,
   and the same run is timed on a + b.

Throughput ratio = attempts/s on two nodes / attempts/s on one. The machine has
2 cores: two nodes share them, so this shows the work spread over nodes, not a
speed-up. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from actors.build_cache import BuildCache
from actors.build_cache.seed import seed_home
from actors.platforms.local_cluster import LocalCluster
from bench.suites import SUITES_DIR, resolve_bug
from kgym.judge import bug_build_request
from kgym.settings import load_settings

BUGS = [
    "mpol-parse-str",
    "tbf-fifo-set-limit-null",
    "watchq-free-null-page",
    "printk-record-text-oob",
    "damon-rm-context-oob",
    "ipv6-dump-mcaddr-rcu",
]
NODE_ENV = {"KGYM_VM_POOL_SIZE": "1", "KGYM_VERIFY_RUNS": "1"}


def bench_run(c: LocalCluster, suite: Path, out: Path, driver: Path, workers: int) -> dict:
    cmd = [
        sys.executable, "-m", "kgym.front.cli", "bench", "run", str(suite), "--agent", "oracle",
        "--workers", str(workers), "--out", str(out), "--no-progress", "--json",
    ]  # fmt: skip
    t0 = time.monotonic()
    done = subprocess.run(
        cmd, env=c.driver_env(KGYM_HOME=str(driver), **NODE_ENV), capture_output=True,
        text=True, timeout=7200,
    )  # fmt: skip
    wall = time.monotonic() - t0
    if done.returncode:
        raise SystemExit(f"bench run failed:\n{done.stderr[-3000:]}")
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    bad = [r for r in results if r["error"] or not r["resolved"]]
    if bad:
        raise SystemExit(f"oracle attempts failed: {bad[:2]}")
    events = [
        json.loads(line)
        for f in (driver / "runs").glob("oracle-*/events.jsonl")
        for line in f.read_text().splitlines()
    ]
    placed = [e["duration_s"] for e in events if e["event"] == "unit.placed"]
    builds = [
        e for e in events if e["event"] == "build.stage" and e.get("stage") == "build"
    ]  # fmt: skip
    units: dict[str, int] = {}
    for r in results:
        for unit in (r["reproduction"], r["verdict"]):
            units[unit["node"][:12]] = units.get(unit["node"][:12], 0) + 1
    return {
        "attempts": len(results),
        "wall_s": round(wall, 1),
        "attempts_per_min": round(60 * len(results) / wall, 2),
        "units_per_node": units,
        "placement_s_median": round(statistics.median(placed), 4) if placed else None,
        "placement_s_max": round(max(placed), 4) if placed else None,
        "builds": [
            {
                "node": (b.get("ray_node") or "")[:12],
                "s": b["duration_s"],
                "incr": b.get("incremental"),
            }
            for b in sorted(builds, key=lambda b: b["ts"])
        ],
    }


async def tree_of_demo() -> str:
    return await BuildCache().tree_key(bug_build_request(resolve_bug("kbench-6.1/mpol-parse-str")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bugs", type=int, default=4, help=f"how many bugs (max {len(BUGS)})")
    ap.add_argument("--root", type=Path, default=Path("/tmp/kgym-scale-perf"))
    args = ap.parse_args()
    shutil.rmtree(args.root, ignore_errors=True)
    suite = args.root / "suite"
    for bug in BUGS[: args.bugs]:
        shutil.copytree(SUITES_DIR / "kbench-6.1" / bug, suite / bug)
    shared = load_settings().home
    tree = asyncio.run(tree_of_demo())
    out: dict = {"machine": "2 cores: nodes share them, so this shows spreading, not speed-up"}
    home_a, home_b = args.root / "home-a", args.root / "home-b"
    seed_a = seed_home(shared, home_a, trees=[tree])
    out["seed_a_from_this_machine"] = {"parts_s": seed_a.parts_s, "total_s": seed_a.total_s}
    c = LocalCluster(args.root)
    try:
        c.add_node("a", home_a, {"kgym": 1}, env=NODE_ENV)
        c.wait_alive(1)
        out["warmup_one_node"] = bench_run(c, suite, args.root / "warm", args.root / "d0", 2)
        out["one_node"] = bench_run(c, suite, args.root / "one", args.root / "d1", 2)
        seed_b = seed_home(home_a, home_b, trees=[tree])
        out["seed_b_from_a"] = {
            "parts_s": seed_b.parts_s,
            "total_s": seed_b.total_s,
            "kernels": len(seed_b.artifacts),
            "relocated_files": seed_b.relocated_files,
        }
        t0 = time.monotonic()
        c.add_node("b", home_b, {"kgym": 1}, env=NODE_ENV)
        c.wait_alive(2)
        out["node_join_s"] = round(time.monotonic() - t0, 1)
        out["two_nodes"] = bench_run(c, suite, args.root / "two", args.root / "d2", 2)
    finally:
        c.stop()
    one, two = out["one_node"], out["two_nodes"]
    out["throughput_ratio_two_over_one"] = round(
        two["attempts_per_min"] / one["attempts_per_min"], 2
    )
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
