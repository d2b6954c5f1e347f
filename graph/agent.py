"""Run the repair agent on a bug: fresh, resumed, or paused for a person's review.

Each run has a directory `<runs_dir>/<run_id>/` in the format of kgym/rundir.py;
its `checkpoints.sqlite` (LangGraph's checkpoints) lets a run be resumed and
inspected.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from dataclasses import asdict
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.types import Command

from graph.builder import build_graph
from graph.context import Deps, FixOptions
from graph.llm import model_name
from graph.nodes.reproduce import bug_view
from graph.state import FixResult, State, zero_usage
from graph.trace import Listener, Tracer
from kgym import events, rundir
from kgym.models import BugSpec, CrashReport
from kgym.platform import Platform
from kgym.rundir import CHECKPOINTS
from kgym.settings import Settings
from kgym.settings import settings as default_settings

# A person's review: gets {hypothesis, root_cause, patch}, answers {action, patch?}.
Reviewer = Callable[[dict], Awaitable[dict]]


def new_run_id(bug: BugSpec) -> str:
    return rundir.new_run_id("fix", bug.id)


async def fix(
    bug: BugSpec,
    platform: Platform | None,
    llm: BaseChatModel,
    options: FixOptions | None = None,
    *,
    settings: Settings | None = None,
    run_id: str | None = None,
    known: tuple[str, CrashReport] | None = None,
    listeners: list[Listener] | None = None,
    reviewer: Reviewer | None = None,
) -> FixResult:
    """Repair `bug`. `known` = (buggy tree, crash report) skips reproducing it first."""
    settings = settings or default_settings()
    options = options or FixOptions()
    run_id = run_id or new_run_id(bug)
    run_dir = settings.runs_dir / run_id
    rundir.write_meta(
        run_dir,
        {
            "run_id": run_id,
            "bug": bug.id,
            "bug_dir": bug.dir,
            "model": model_name(llm),
            "options": asdict(options),
        },
    )
    state: State = {
        "iteration": 0,
        "usage": zero_usage(),
        "started_at": time.time(),
        "hypotheses": [],
        "result": None,
    }
    if known:
        state["bug"] = bug_view(bug, *known)
    deps = Deps(llm, platform, bug, Tracer(run_id, run_dir, listeners), options, run_dir)
    return await _drive(state, deps, reviewer)


async def resume(
    run_id: str,
    platform: Platform | None,
    llm: BaseChatModel,
    *,
    settings: Settings | None = None,
    listeners: list[Listener] | None = None,
    reviewer: Reviewer | None = None,
) -> FixResult:
    """Go on with a run from its last checkpoint (after a crash or a review pause)."""
    settings = settings or default_settings()
    run_dir = settings.runs_dir / run_id
    meta = rundir.read_meta(run_dir)
    if not meta:
        raise ValueError(f"{run_id}: no such run under {settings.runs_dir}")
    bug = BugSpec.load(meta["bug_dir"])
    deps = Deps(
        llm,
        platform,
        bug,
        Tracer(run_id, run_dir, listeners),
        FixOptions(**meta["options"]),
        run_dir,
    )
    return await _drive(None, deps, reviewer)


async def _drive(state: State | None, deps: Deps, reviewer: Reviewer | None) -> FixResult:
    config = {
        "configurable": {"thread_id": deps.run_id},
        "recursion_limit": 20 + 4 * deps.options.max_iterations,
    }
    with events.run_context(deps.run_id):
        try:
            return await _drive_graph(state, deps, reviewer, config)
        finally:
            deps.tracer.close()


async def _drive_graph(
    state: State | None, deps: Deps, reviewer: Reviewer | None, config: dict
) -> FixResult:
    async with AsyncSqliteSaver.from_conn_string(str(deps.run_dir / CHECKPOINTS)) as saver:
        graph = build_graph(saver)
        deps.tracer.event(
            "agent",
            "run.start" if state else "run.resume",
            bug=deps.bug.id,
            model=model_name(deps.llm),
        )
        step = state
        while True:
            await graph.ainvoke(step, config, context=deps)
            snapshot = await graph.aget_state(config)
            if not snapshot.interrupts or reviewer is None:
                break
            answers = {i.id: await reviewer(i.value) for i in snapshot.interrupts}
            step = Command(resume=answers)
        result = to_result(deps, snapshot.values, paused=bool(snapshot.interrupts))
    usage = snapshot.values.get("usage") or zero_usage()
    deps.tracer.event(
        "agent",
        "run.end",
        resolved=result.resolved,
        reason=result.reason,
        **usage,
        duration_s=result.wall_s,
    )
    return result


def to_result(deps: Deps, values: dict, paused: bool = False) -> FixResult:
    result = values.get("result") or {}
    usage = values.get("usage") or zero_usage()
    reason = result.get("reason", "")
    if paused:
        reason = f"paused for review; resume with: kgym fix --resume {deps.run_id}"
    return FixResult(
        bug=deps.bug.id,
        resolved=bool(result.get("resolved")),
        patch=result.get("patch", ""),
        iterations=values.get("iteration", 0),
        hypotheses=[
            {
                k: h.get(k)
                for k in (
                    "id",
                    "iteration",
                    "root_cause",
                    "location",
                    "outcome",
                    "feedback",
                    "patch",
                    "compile_errors",
                    "node",
                    "retries",
                )
            }
            for h in values.get("hypotheses") or []
        ],
        tokens=usage["input_tokens"] + usage["output_tokens"],
        cost_usd=usage["cost_usd"],
        wall_s=round(time.time() - values.get("started_at", time.time()), 3),
        run_id=deps.run_id,
        reason=reason,
    )


def read_hypotheses(run_dir: Path, run_id: str) -> list[dict]:
    """The hypotheses in the run's latest LangGraph checkpoint (with their patches), or []."""
    path = run_dir / CHECKPOINTS
    if not path.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            found = SqliteSaver(conn).get_tuple({"configurable": {"thread_id": run_id}})
    except Exception:  # a checkpoint being written or from another version: show none
        return []
    if found is None:
        return []
    return list(found.checkpoint.get("channel_values", {}).get("hypotheses") or [])
