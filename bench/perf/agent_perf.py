"""kAgent performance on this machine: one run with K=1 vs K=3 hypotheses, and where time goes.

    uv run python bench/perf/agent_perf.py [--runs 3]

Both runs use the scripted model of tests/graph (so LLM time is ~0 here; with
a real endpoint it is what `llm_s` would show) on the embedded demo bug, on the
real platform in this process. K=1 patches the real fix; K=3 adds a harmless
edit (verified: same crash) and a syntax error (stopped by the compile check).
A fresh nonce per run keeps every build from being a cache hit; the bug is
reproduced once first and both runs start from its report.

Prints one JSON object on stdout: wall seconds of each run, their ratio, and
per run the seconds spent in the LLM, compile checks, kernel builds and VMs
(summed over parallel branches, so they can exceed the wall time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "graph"))  # the scripted model and the demo script

from agent_testkit import DEMO, demo_edits, demo_script, hunks_as_edits  # noqa: E402
from scripted import ScriptedChatModel  # noqa: E402

from actors.platforms.local_platform import LocalPlatform  # noqa: E402
from bench.suites import resolve_bug  # noqa: E402
from graph.agent import fix  # noqa: E402
from graph.context import FixOptions  # noqa: E402
from kgym import judge  # noqa: E402
from kgym.rundir import read_events  # noqa: E402
from kgym.settings import settings  # noqa: E402

KINDS = {1: ["right"], 3: ["wrong", "broken", "right"]}


def time_split(run_id: str) -> dict:
    """Seconds in the LLM, compile checks, builds and VMs, from the run's trace."""
    events = read_events(settings().runs_dir / run_id)
    ends = [e for e in events if e["event"].endswith(".end")]
    return {
        "llm_s": round(sum(e.get("llm_s", 0.0) for e in ends if e["node"] != "agent"), 2),
        "compile_check_s": round(
            sum(e["duration_s"] for e in ends if e["event"] == "platform.compile_check.end"), 2
        ),
        "build_s": round(sum(e.get("build_s", 0.0) for e in ends), 2),
        "vm_s": round(sum(e.get("vm_s", 0.0) for e in ends), 2),
    }


async def one_run(platform, bug, tree, report, k: int, runs: int) -> dict:
    nonce = uuid.uuid4().hex[:8]
    edits = demo_edits(hunks_as_edits(bug.read("fix.patch")), nonce=nonce)
    llm = ScriptedChatModel(script=demo_script(KINDS[k], edits))
    options = FixOptions(hypotheses=k, max_iterations=1, verify_runs=runs)
    run_id = f"perf-k{k}-{nonce}"
    result = await fix(bug, platform, llm, options, run_id=run_id, known=(tree, report))
    return {
        "k": k,
        "resolved": result.resolved,
        "wall_s": result.wall_s,
        "outcomes": {h["id"]: h["outcome"] for h in result.hypotheses},
        **time_split(run_id),
        "run_id": run_id,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="reproducer runs per verification")
    args = parser.parse_args()
    bug = resolve_bug(DEMO)
    async with LocalPlatform() as platform:
        verdict = await judge.reproduce(platform, bug, runs=1)
        report = next((r.report for r in verdict.run_results if r.report), None)
        if not verdict.same_crash_runs or report is None:
            raise SystemExit(f"error: {bug.id} did not reproduce: {verdict.errors}")
        tree = await platform.checkout(judge.bug_build_request(bug))
        k1 = await one_run(platform, bug, tree, report, 1, args.runs)
        k3 = await one_run(platform, bug, tree, report, 3, args.runs)
    print(
        json.dumps(
            {
                "bug": bug.id,
                "cpus": os.cpu_count(),
                "verify_runs": args.runs,
                "k1": k1,
                "k3": k3,
                "wall_ratio_k3_over_k1": round(k3["wall_s"] / k1["wall_s"], 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
