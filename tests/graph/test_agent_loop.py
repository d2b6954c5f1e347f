"""The whole graph with the scripted model, on paths that never reach the platform."""

from __future__ import annotations

import sqlite3

from agent_testkit import SECRET_COMMIT, SECRET_FIX, SECRET_INJECT
from scripted import ScriptedChatModel, Turn, call, say

from graph.agent import fix, resume
from graph.context import FixOptions
from kgym.rundir import read_events


def hopeless(turn: Turn):
    """Localizes, proposes fresh hypotheses every time, never manages an edit."""
    if turn.node == "localizer":
        return call(
            "Localization",
            suspects=[{"file": "mm/opt.c", "function": "parse_opt", "reason": "faulting frame"}],
        )
    if turn.node == "planner":
        n = turn.text().count("root cause:")  # earlier hypotheses shown
        return call(
            "Plan",
            reason="try",
            hypotheses=[
                {
                    "root_cause": f"cause {n + i}",
                    "location": "mm/opt.c:parse_opt()",
                    "fix_idea": "reorder",
                }
                for i in range(2)
            ],
        )
    if turn.step == 0:
        return call("read_lines", path="mm/opt.c", start=1, end=30)
    return say("I cannot find a fix.")


async def test_budget_exhaustion_ends_cleanly_with_a_result(bug, tree, report, settings):
    llm = ScriptedChatModel(script=hopeless)
    opts = FixOptions(hypotheses=2, max_iterations=2)
    result = await fix(
        bug, None, llm, opts, settings=settings, run_id="r1", known=(str(tree), report)
    )
    assert not result.resolved and result.patch == ""
    assert result.reason == "2 iterations done"
    assert result.iterations == 2
    assert [h["id"] for h in result.hypotheses] == ["i1h1", "i1h2", "i2h1", "i2h2"]
    assert {h["outcome"] for h in result.hypotheses} == {"no_patch"}
    # 1 localizer + 2 planner + 4 patchers x 2 answers, 120 tokens each
    assert result.tokens == 120 * (1 + 2 + 8)
    run_dir = settings.runs_dir / "r1"
    events = read_events(run_dir)
    assert {e["node"] for e in events} >= {
        "agent",
        "localizer",
        "planner",
        "patcher",
        "verifier",
        "finish",
    }
    assert all(e["run_id"] == "r1" for e in events)
    assert events[-1]["event"] == "run.end"
    with sqlite3.connect(run_dir / "checkpoints.sqlite") as db:
        assert db.execute("select count(*) from checkpoints").fetchone()[0] > 0


async def test_token_budget(bug, tree, report, settings):
    llm = ScriptedChatModel(script=hopeless)
    opts = FixOptions(hypotheses=1, max_iterations=5, max_tokens=300)
    result = await fix(bug, None, llm, opts, settings=settings, known=(str(tree), report))
    assert result.reason.startswith("token budget spent")
    assert result.iterations == 1


async def test_agent_inputs_hold_no_trace_of_fix_inject_or_origin(bug, tree, report, settings):
    llm = ScriptedChatModel(script=hopeless)
    await fix(
        bug, None, llm, FixOptions(max_iterations=1), settings=settings, known=(str(tree), report)
    )
    shown = llm.prompts_text()
    assert "parse_opt" in shown and "mount(" in shown  # the report and the reproducer
    for secret in (
        SECRET_FIX,
        SECRET_INJECT,
        SECRET_COMMIT,
        "SECRET",
        "fix.patch",
        "inject.patch",
        "planted",
        bug.dir,
    ):
        assert secret not in shown


def header_fixer(turn: Turn):
    """Proposes one hypothesis whose patch touches only a header (no compile check)."""
    if turn.node == "localizer":
        return say("no idea")
    if turn.node == "planner":
        return call(
            "Plan",
            hypotheses=[
                {"root_cause": "field too small", "location": "mm/opt.h", "fix_idea": "widen it"}
            ],
        )
    if turn.step == 0:
        return call("edit_file", path="mm/opt.h", search="\tint mode;", replace="\tlong mode;")
    return say("widened mode")


async def test_human_review_pauses_and_resumes(bug, tree, report, settings):
    llm = ScriptedChatModel(script=header_fixer)
    opts = FixOptions(hypotheses=1, max_iterations=1, human=True)
    paused = await fix(
        bug, None, llm, opts, settings=settings, run_id="h1", known=(str(tree), report)
    )
    assert paused.reason == "paused for review; resume with: kgym fix --resume h1"
    (h,) = paused.hypotheses
    assert h["outcome"] is None and "+\tlong mode;" in h["patch"]

    asked = []

    async def reviewer(question: dict) -> dict:
        asked.append(question)
        return {"action": "reject"}

    done = await resume("h1", None, llm, settings=settings, reviewer=reviewer)
    assert [q["hypothesis"] for q in asked] == ["i1h1"]
    assert "+\tlong mode;" in asked[0]["patch"]
    (h,) = done.hypotheses
    assert h["outcome"] == "rejected"
    assert not done.resolved and done.reason == "1 iterations done"
    assert len([t for t in llm.turns if t.node == "patcher"]) == 2  # not redone on resume
