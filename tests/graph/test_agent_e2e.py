"""kAgent end to end on the embedded demo bug, on the real platform (builds, QEMU).

The scripted model proposes K=3 hypotheses — a harmless edit elsewhere in the
file, a syntax error, and the real fix — all patched and verified in parallel.
The run must return the real fix and record why the other two failed. Only
this test reads the bug's fix.patch; the agent's inputs must not contain it.
"""

from __future__ import annotations

import re
import uuid

import pytest
from scripted import ScriptedChatModel, Turn, call, say

from bench.suites import resolve_bug
from graph.agent import fix
from graph.context import FixOptions
from graph.trace import read_events
from kgym.platform import LocalPlatform
from kgym.settings import settings

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600)]

DEMO = "kbench-6.1/mpol-parse-str"
FILE = "mm/mempolicy.c"


def hunks_as_edits(patch: str) -> list[dict]:
    """Each hunk of a unified diff as an edit_file call (old side -> new side)."""
    edits = []
    for hunk in re.split(r"^@@.*@@.*\n", patch, flags=re.MULTILINE)[1:]:
        lines = hunk.splitlines(keepends=True)
        old = "".join(line[1:] for line in lines if line[:1] in " -")
        new = "".join(line[1:] for line in lines if line[:1] in " +")
        edits.append({"path": FILE, "search": old, "replace": new})
    return edits


def script_for(right_edits: list[dict]):
    patches = {
        "wrong": [
            {
                "path": FILE,
                "search": " * Simple NUMA memory policy for the Linux kernel.",
                "replace": " * Simple NUMA memory policy for the Linux kernel (kgym).",
            }
        ],
        "broken": [
            {
                "path": FILE,
                "search": "\tint err = 1, mode;\n\n\tif (nodelist) {",
                "replace": "\tint err = 1, mode\n\n\tif (nodelist) {",
            }
        ],
        "right": right_edits,
    }
    ideas = {"i1h1": "wrong", "i1h2": "broken", "i1h3": "right"}

    def script(turn: Turn):
        if turn.node == "localizer":
            return call(
                "Localization",
                suspects=[
                    {"file": FILE, "function": "mpol_parse_str", "reason": "writes out of bounds"}
                ],
            )
        if turn.node == "planner":
            return call(
                "Plan",
                hypotheses=[
                    {
                        "root_cause": f"{kind} idea",
                        "location": f"{FILE}:mpol_parse_str()",
                        "fix_idea": kind,
                    }
                    for kind in ("wrong", "broken", "right")
                ],
            )
        kind = ideas[turn.hypothesis]
        edits = patches[kind]
        if turn.step == 0:
            return call("find_definition", symbol="mpol_parse_str", path="mm")
        if turn.step <= len(edits):
            return call("edit_file", **edits[turn.step - 1])
        return say(f"{kind} patch done")

    return script


async def test_three_hypotheses_in_parallel_on_the_real_platform():
    bug = resolve_bug(DEMO)
    fix_patch = bug.read("fix.patch")  # the test may know the answer
    llm = ScriptedChatModel(script=script_for(hunks_as_edits(fix_patch)))
    run_id = f"e2e-{uuid.uuid4().hex[:8]}"
    async with LocalPlatform() as platform:
        result = await fix(
            bug, platform, llm, FixOptions(hypotheses=3, max_iterations=2), run_id=run_id
        )

    by_id = {h["id"]: h for h in result.hypotheses}
    assert result.resolved, result.model_dump_json(indent=1)
    assert result.patch == by_id["i1h3"]["patch"]
    assert result.reason == "a patch resolved the crash"
    assert result.iterations == 1
    wrong, broken, right = by_id["i1h1"], by_id["i1h2"], by_id["i1h3"]
    assert right["outcome"] == "resolved"
    assert wrong["outcome"] == "same_crash" and bug.title in wrong["feedback"]
    assert broken["outcome"] == "build_error"
    assert broken["compile_errors"] and "mempolicy.c" in broken["feedback"]
    # the broken patch got the compiler's errors once, and no VM time
    broken_turns = [t for t in llm.turns if t.hypothesis == "i1h2"]
    assert any("does not compile" in str(t.messages[-1].content) for t in broken_turns)
    events = read_events(settings().runs_dir / run_id)
    verified = {e["hypothesis"] for e in events if e["event"] == "platform.verify.start"}
    assert verified == {"i1h1", "i1h3"}
    checks = [e for e in events if e["event"] == "platform.compile_check.end"]
    assert {e["hypothesis"] for e in checks} == {"i1h1", "i1h2", "i1h3"}

    # the agent's inputs: no trace of the fix, the inject patch or the origin
    shown = llm.prompts_text()
    assert "mpol_parse_str" in shown and "slab-out-of-bounds" in shown
    secrets = [bug.origin.fix_commit, bug.origin.kbench_id, "fix.patch", "inject.patch"]
    for name in ("fix.patch", "inject.patch"):
        secrets += [
            line
            for line in bug.read(name).splitlines()
            if line[:1] in "+-@" and not line.startswith(("+++", "---")) and line[1:].strip()
        ]
    leaked = [s for s in secrets if s and s in shown]
    assert not leaked
