"""kAgent performance on this machine: K=1 vs K=3, where the time goes, tokens, replay.

    uv run python bench/perf/agent_perf.py [--runs 3]

Both runs use the scripted model (bench/scripted.py; no LLM endpoint reaches
these machines, so LLM time is ~0 here — with a real endpoint it is what
`llm_s` shows) on the embedded demo bug, on the real platform in this process.
K=1 patches the real fix; K=3 adds a harmless edit (verified: same crash, and
its verification stops at the first crash) and a syntax error (stopped by the
compile check). A fresh nonce per run keeps every build from being a cache
hit; the bug is reproduced once first and both runs start from its report.
Then the K=3 run is replayed from its recording (no model at all).

Prints one JSON object: per run the wall seconds, the seconds and share of
wall in the LLM, compile checks, kernel builds and VMs (summed over parallel
branches, so shares can pass 1), tokens per node, the sibling tail (seconds
from the first resolved verdict to the last verdict of that iteration: the VM
time the "finish" sibling policy spends so the choice can rank every resolved
patch); the K3/K1 wall ratio; the replay's wall against the original's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import uuid
from collections import defaultdict

from actors.platforms.local_platform import LocalPlatform
from bench.demo_agent import DEMO, demo_edits, demo_script, hunks_as_edits
from bench.scripted import ScriptedChatModel
from bench.suites import resolve_bug
from graph.agent import fix, replay
from graph.context import FixOptions
from kgym import judge
from kgym.rundir import read_events
from kgym.settings import settings

KINDS = {1: ["right"], 3: ["wrong", "broken", "right"]}


def time_split(run_id: str, wall_s: float) -> dict:
    """Seconds (and share of the wall) in the LLM, compile checks, builds and VMs."""
    events = read_events(settings().runs_dir / run_id)
    ends = [e for e in events if e["event"].endswith(".end") or e["event"] == "llm.call"]
    seconds = {
        "llm_s": sum(e.get("llm_s", 0.0) for e in events if e["event"] == "llm.call"),
        "compile_check_s": sum(
            e["duration_s"] for e in ends if e["event"] == "platform.compile_check.end"
        ),
        "build_s": sum(e.get("build_s", 0.0) for e in ends),
        "vm_s": sum(e.get("vm_s", 0.0) for e in ends),
    }
    out = {k: round(v, 2) for k, v in seconds.items()}
    out["share_of_wall"] = {k[:-2]: round(v / wall_s, 3) for k, v in seconds.items()}
    return out


def tokens_per_node(run_id: str) -> dict:
    tokens: dict[str, int] = defaultdict(int)
    for e in read_events(settings().runs_dir / run_id):
        if e["event"] == "llm.call":
            tokens[e["node"]] += int(e.get("input_tokens", 0)) + int(e.get("output_tokens", 0))
    return dict(tokens)


def sibling_tail(run_id: str) -> float | None:
    """Seconds from the first resolved verdict to the last verdict of the run's first iteration."""
    verdicts = [
        e
        for e in read_events(settings().runs_dir / run_id)
        if (e["node"], e["event"]) == ("verifier", "verdict")
        and (e.get("hypothesis") or "").startswith("i1")
    ]
    resolved = [e["ts"] for e in verdicts if e["outcome"] == "resolved"]
    if not resolved:
        return None
    return round(max(e["ts"] for e in verdicts) - min(resolved), 2)


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
        **time_split(run_id, result.wall_s),
        "tokens_per_node": tokens_per_node(run_id),
        "sibling_tail_s": sibling_tail(run_id),
        "mbox_bytes": len(result.mbox),
        "run_id": run_id,
        "patch": result.patch,
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
        again = await replay(k3["run_id"], platform)
    print(
        json.dumps(
            {
                "bug": bug.id,
                "cpus": os.cpu_count(),
                "verify_runs": args.runs,
                "k1": {k: v for k, v in k1.items() if k != "patch"},
                "k3": k3,
                "wall_ratio_k3_over_k1": round(k3["wall_s"] / k1["wall_s"], 2),
                "replay": {
                    "run_id": again.run_id,
                    "wall_s": again.wall_s,
                    "same_result": again.patch == k3.pop("patch")
                    and {h["id"]: h["outcome"] for h in again.hypotheses} == k3["outcomes"],
                    "wall_ratio_replay_over_original": round(again.wall_s / k3["wall_s"], 2),
                },
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
