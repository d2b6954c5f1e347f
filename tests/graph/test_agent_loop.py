"""The whole graph with the scripted model, on paths that never reach the platform."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time

import pytest
from agent_testkit import SECRET_COMMIT, SECRET_FIX, SECRET_INJECT
from trajectories import hopeless

from bench.scripted import ScriptedChatModel, Turn, call, say
from graph.agent import fix, fork, replay, resume, steps
from graph.context import FixOptions
from graph.record import ReplayDiverged
from kgym.rundir import LLM_RECORDING, read_events, read_meta


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
    # 1 root cause + 1 localizer + 2 planner + 4 patchers x 2 answers, 120 tokens each
    assert result.tokens == 120 * (1 + 1 + 2 + 8)
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
    assert h["outcome"] is None  # the patch waits in its branch for the review

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


def reader(kill_at: tuple[str, int] | None = None, reached: threading.Event | None = None):
    """Each patcher reads three different ranges, then gives up.

    At `kill_at` (hypothesis, step) the model hangs after setting `reached`, so the
    test can kill the run in the middle of that turn.
    """

    def script(turn: Turn):
        if turn.node in ("rootcause", "localizer"):
            return say("no idea")
        if turn.node == "planner":
            return call(
                "Plan",
                hypotheses=[
                    {"root_cause": f"cause {i}", "location": "mm/opt.c", "fix_idea": "x"}
                    for i in range(2)
                ],
            )
        if kill_at and (turn.hypothesis, turn.step) == kill_at:
            reached.set()
            time.sleep(2)
        if turn.step < 3:
            return call(
                "read_lines", path="mm/opt.c", start=1 + 5 * turn.step, end=5 + 5 * turn.step
            )
        return say("cannot fix")

    return script


def tool_calls(run_dir) -> list[tuple]:
    return [
        (e["hypothesis"], e["turn"], int(e["args"]["start"]))
        for e in read_events(run_dir)
        if e["event"] == "tool"
    ]


async def test_resume_after_a_kill_mid_patcher_redoes_no_finished_tool_call(
    bug, tree, report, settings
):
    opts = FixOptions(hypotheses=2, max_iterations=1)
    reached = threading.Event()
    run = asyncio.create_task(
        fix(
            bug,
            None,
            ScriptedChatModel(script=reader(kill_at=("i1h1", 2), reached=reached)),
            opts,
            settings=settings,
            run_id="k1",
            known=(str(tree), report),
        )
    )
    assert await asyncio.to_thread(reached.wait, 30)
    await asyncio.sleep(0.3)  # the sibling goes on meanwhile
    run.cancel()  # the kill: mid-turn in i1h1, wherever i1h2 is
    with pytest.raises(asyncio.CancelledError):
        await run
    await asyncio.sleep(2.5)  # the hung model call returns; a killed process would be gone
    run_dir = settings.runs_dir / "k1"
    before = tool_calls(run_dir)
    assert ("i1h1", 1, 1) in before and ("i1h1", 2, 6) in before  # two calls finished
    llm = ScriptedChatModel(script=reader())
    done = await resume("k1", None, llm, settings=settings)
    after = tool_calls(run_dir)
    assert len(after) == len(set(after)), "a finished tool call was redone"
    assert sorted(set(after)) == sorted(
        (h, t, 1 + 5 * (t - 1)) for h in ("i1h1", "i1h2") for t in (1, 2, 3)
    )
    asked = [(t.node, t.hypothesis, t.step) for t in llm.turns]
    assert ("patcher", "i1h1", 0) not in asked and ("patcher", "i1h1", 1) not in asked
    assert ("patcher", "i1h1", 2) in asked  # the turn that was cut off, and only it, again
    assert not any(node in ("rootcause", "localizer", "planner") for node, _, _ in asked)
    assert {h["outcome"] for h in done.hypotheses} == {"no_patch"}


async def test_replay_gives_the_same_result_without_a_model(bug, tree, report, settings):
    opts = FixOptions(hypotheses=2, max_iterations=2)
    llm = ScriptedChatModel(script=hopeless)
    first = await fix(
        bug, None, llm, opts, settings=settings, run_id="p1", known=(str(tree), report)
    )
    again = await replay("p1", None, settings=settings, new_run_id="p1-replay")
    assert again.hypotheses == first.hypotheses
    assert (again.reason, again.tokens, again.iterations) == (first.reason, first.tokens, 2)
    assert read_meta(settings.runs_dir / "p1-replay")["parent"] == {"run_id": "p1", "replay": True}
    assert again.parent == {"run_id": "p1", "replay": True}

    # a recording that no longer matches what the graph asks names the node
    path = settings.runs_dir / "p1" / LLM_RECORDING
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    for e in entries:
        if e["node"] == "planner":
            e["fingerprint"] = "0" * 20
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(ReplayDiverged, match="node planner: request #1 differs"):
        await replay("p1", None, settings=settings, new_run_id="p1-replay2")


async def test_a_fork_goes_on_from_the_chosen_step(bug, tree, report, settings):
    opts = FixOptions(hypotheses=2, max_iterations=1)
    await fix(
        bug,
        None,
        ScriptedChatModel(script=reader()),
        opts,
        settings=settings,
        run_id="f0",
        known=(str(tree), report),
    )
    at = next(s["step"] for s in steps(settings.runs_dir / "f0", "f0") if s["next"] == ["branch"])
    llm = ScriptedChatModel(script=hopeless)  # "another model": reads once, then gives up
    child = await fork("f0", at, None, llm, settings=settings, new_run_id="f1")
    assert child.parent == {"run_id": "f0", "step": at}
    assert read_meta(settings.runs_dir / "f1")["parent"] == {"run_id": "f0", "step": at}
    asked = {(t.node, t.hypothesis) for t in llm.turns}
    assert asked == {("patcher", "i1h1"), ("patcher", "i1h2")}  # nothing before the step again
    assert [h["root_cause"] for h in child.hypotheses] == ["cause 0", "cause 1"]
    assert len(tool_calls(settings.runs_dir / "f1")) == 2  # one read each, by the new model
    with pytest.raises(ValueError, match="no step 999"):
        await fork("f0", 999, None, llm, settings=settings, new_run_id="f2")

    # a fork replays: its parent's checkpoint again, every answer from the fork's recording
    again = await replay("f1", None, settings=settings, new_run_id="f1-replay")
    assert again.hypotheses == child.hypotheses
    assert (again.reason, again.tokens) == (child.reason, child.tokens)
    assert again.parent == {"run_id": "f1", "replay": True}
    assert read_meta(settings.runs_dir / "f1-replay")["forked_from"] == {"run_id": "f0", "step": at}
    # and so does that replay, which is a fork of f0 too
    twice = await replay("f1-replay", None, settings=settings, new_run_id="f1-replay2")
    assert twice.hypotheses == child.hypotheses


async def test_budget_exhaustion_mid_patcher_ends_cleanly(bug, tree, report, settings):
    opts = FixOptions(hypotheses=2, max_iterations=3, max_tokens=120 * 5)
    result = await fix(
        bug,
        None,
        ScriptedChatModel(script=reader()),
        opts,
        settings=settings,
        run_id="b1",
        known=(str(tree), report),
    )
    assert result.reason.startswith("token budget spent")
    assert {h["outcome"] for h in result.hypotheses} == {"stopped"}
    assert all("token budget spent" in h["stop"] for h in result.hypotheses)
    events = read_events(settings.runs_dir / "b1")
    assert events[-1]["event"] == "run.end"
    assert sum(1 for e in events if e["event"] == "llm.call") == 5  # not one call over


async def test_a_branch_repeating_a_call_is_stopped_with_a_reason(bug, tree, report, settings):
    def stuck(turn: Turn):
        if turn.node == "planner":
            return call("Plan", hypotheses=[{"root_cause": "r", "location": "l", "fix_idea": "f"}])
        if turn.node == "patcher":
            return call("read_lines", path="mm/opt.c", start=1, end=3)
        return say("?")

    opts = FixOptions(hypotheses=1, max_iterations=1, repeat_limit=3)
    result = await fix(
        bug,
        None,
        ScriptedChatModel(script=stuck),
        opts,
        settings=settings,
        known=(str(tree), report),
    )
    (h,) = result.hypotheses
    assert h["outcome"] == "no_patch"
    assert "read_lines called 3 times with the same arguments" in h["feedback"]


async def test_a_recorded_trajectory_replays_through_todays_graph(tree, tree_bug, settings):
    """The fixture in tests/graph/data (re-record: uv run python tests/graph/trajectories.py)."""
    from dataclasses import asdict

    from trajectories import HOPELESS, HOPELESS_RESULT, KEYS, scenario_report

    from kgym.models import CrashReport, Frame

    run_dir = settings.runs_dir / "recorded"
    run_dir.mkdir(parents=True)
    (run_dir / LLM_RECORDING).write_bytes(HOPELESS.read_bytes())
    report = scenario_report(CrashReport, Frame, tree_bug.title)
    meta = {
        "run_id": "recorded",
        "thread": "recorded",
        "bug": tree_bug.id,
        "bug_dir": tree_bug.dir,
        "options": asdict(FixOptions(hypotheses=2, max_iterations=2)),
        "known": {"tree": str(tree), "report": report.model_dump(mode="json")},
    }
    (run_dir / "run.json").write_text(json.dumps(meta))
    result = await replay("recorded", None, settings=settings)
    assert {k: getattr(result, k) for k in KEYS} == json.loads(HOPELESS_RESULT.read_text())
