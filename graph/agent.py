"""Run the repair agent on a bug: fresh, resumed, replayed, forked, or paused for review.

Each run has a directory `<runs_dir>/<run_id>/` in the format of kgym/rundir.py:
`checkpoints.sqlite` (LangGraph's checkpoints, written before each step goes
on: a resumed run redoes no finished step), `llm.jsonl` (every LLM exchange:
a replay answers from it with no endpoint), `patch.mbox` (the chosen patch).
A fork copies its parent's checkpoints up to a step and goes on from there,
with any model, as a new run that names its parent.
"""

from __future__ import annotations

import shutil
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

from graph import prompts
from graph.builder import build_graph
from graph.context import Deps, FixOptions
from graph.llm import model_name
from graph.nodes.reproduce import bug_view
from graph.record import Recorder
from graph.state import FixResult, State, zero_usage
from graph.trace import Listener, Tracer
from kgym import events, rundir
from kgym.models import BugSpec, CrashReport
from kgym.platform import Platform
from kgym.rundir import CHECKPOINTS, LLM_RECORDING
from kgym.settings import Settings
from kgym.settings import settings as default_settings

# A person's review: gets {hypothesis, root_cause, patch}, answers {action, patch?}.
Reviewer = Callable[[dict], Awaitable[dict]]


def new_run_id(bug: BugSpec, kind: str = "fix") -> str:
    return rundir.new_run_id(kind, bug.id)


def _meta(run_id: str, bug: BugSpec, model: str, options: FixOptions, **extra) -> dict:
    return {
        "run_id": run_id,
        "thread": run_id,
        "bug": bug.id,
        "bug_dir": bug.dir,
        "model": model,
        "options": asdict(options),
        "prompts": prompts.versions(),
        **extra,
    }


async def fix(
    bug: BugSpec,
    platform: Platform | None,
    llm: BaseChatModel | None,
    options: FixOptions | None = None,
    *,
    settings: Settings | None = None,
    run_id: str | None = None,
    known: tuple[str, CrashReport] | None = None,
    listeners: list[Listener] | None = None,
    reviewer: Reviewer | None = None,
    replay_of: str | None = None,
) -> FixResult:
    """Repair `bug`. `known` = (buggy tree, crash report) skips reproducing it first.

    `replay_of` answers every LLM request from that run's recording (llm may be None).
    """
    settings = settings or default_settings()
    options = options or FixOptions()
    run_id = run_id or new_run_id(bug, "replay" if replay_of else "fix")
    run_dir = settings.runs_dir / run_id
    model = model_name(llm)
    replay = None
    extra: dict = {}
    if replay_of:
        parent = rundir.read_meta(settings.runs_dir / replay_of)
        model = model or parent.get("model", "")
        replay = settings.runs_dir / replay_of / LLM_RECORDING
        extra["parent"] = {"run_id": replay_of, "replay": True}
    if known:
        extra["known"] = {"tree": known[0], "report": known[1].model_dump(mode="json")}
    rundir.write_meta(run_dir, _meta(run_id, bug, model, options, **extra))
    state: State = {
        "iteration": 0,
        "usage": zero_usage(),
        "started_at": time.time(),
        "hypotheses": [],
        "result": None,
    }
    if known:
        state["bug"] = bug_view(bug, *known)
    recorder = Recorder(run_dir, replay=replay)
    tracer = Tracer(run_id, run_dir, listeners)
    deps = Deps(llm, platform, bug, tracer, options, run_dir, recorder=recorder, model=model)
    return await _drive(state, deps, reviewer, run_id, extra.get("parent"))


async def replay(
    run_id: str,
    platform: Platform | None,
    *,
    settings: Settings | None = None,
    new_run_id: str | None = None,
    listeners: list[Listener] | None = None,
) -> FixResult:
    """Re-run `run_id` with every LLM answer read from its recording.

    It starts from the crash report the original reproduced (or was given), so a
    replay spends no VM time reproducing and sees the same report text.
    """
    settings = settings or default_settings()
    meta = _read(settings, run_id)
    if origin := _forked_from(meta):  # the same checkpoint again, then the fork's answers
        return await fork(
            origin["run_id"],
            origin["step"],
            platform,
            None,
            settings=settings,
            new_run_id=new_run_id,
            listeners=listeners,
            replay_of=run_id,
        )
    bug = BugSpec.load(meta["bug_dir"])
    known = None
    if meta.get("known"):
        known = (meta["known"]["tree"], CrashReport.model_validate(meta["known"]["report"]))
    elif view := _checkpointed_bug(settings.runs_dir / run_id, meta.get("thread", run_id)):
        # start from the report the original reproduced: console text (timestamps) varies
        known = (view["tree"], CrashReport.model_validate(view["report"]))
    return await fix(
        bug,
        platform,
        None,
        FixOptions(**meta["options"]),
        settings=settings,
        run_id=new_run_id,
        known=known,
        listeners=listeners,
        replay_of=run_id,
    )


async def resume(
    run_id: str,
    platform: Platform | None,
    llm: BaseChatModel | None,
    *,
    settings: Settings | None = None,
    listeners: list[Listener] | None = None,
    reviewer: Reviewer | None = None,
) -> FixResult:
    """Go on with a run from its last checkpoint (after a crash or a review pause)."""
    settings = settings or default_settings()
    run_dir = settings.runs_dir / run_id
    meta = _read(settings, run_id)
    bug = BugSpec.load(meta["bug_dir"])
    deps = Deps(
        llm,
        platform,
        bug,
        Tracer(run_id, run_dir, listeners),
        FixOptions(**meta["options"]),
        run_dir,
        model=model_name(llm) or meta.get("model", ""),
    )
    return await _drive(None, deps, reviewer, meta.get("thread", run_id), meta.get("parent"))


async def fork(
    run_id: str,
    step: int,
    platform: Platform | None,
    llm: BaseChatModel | None,
    *,
    settings: Settings | None = None,
    new_run_id: str | None = None,
    listeners: list[Listener] | None = None,
    replay_of: str | None = None,
) -> FixResult:
    """A new run that goes on from `run_id`'s checkpoint at `step` (see `steps()`).

    `replay_of` (a fork of the same checkpoint) answers every LLM request from its recording.
    """
    settings = settings or default_settings()
    meta = _read(settings, run_id)
    found = {s["step"]: s for s in steps(settings.runs_dir / run_id, meta.get("thread", run_id))}
    if step not in found:
        raise ValueError(f"{run_id}: no step {step}; its steps are {sorted(found)}")
    bug = BugSpec.load(meta["bug_dir"])
    new_id = new_run_id or new_run_id_for(bug, "replay" if replay_of else "fork")
    run_dir = settings.runs_dir / new_id
    if run_dir.exists():
        raise ValueError(f"run {new_id!r} exists already")
    origin = {"run_id": run_id, "step": step}
    parent, model, recording = origin, model_name(llm) or meta.get("model", ""), None
    if replay_of:
        parent = {"run_id": replay_of, "replay": True}
        model = model or _read(settings, replay_of).get("model", "")
        recording = settings.runs_dir / replay_of / LLM_RECORDING
    recorder = Recorder(run_dir, replay=recording)  # an empty recording fails here, not later
    run_dir.mkdir(parents=True)
    _copy_checkpoints(settings.runs_dir / run_id / CHECKPOINTS, run_dir / CHECKPOINTS)
    options = FixOptions(**meta["options"])
    thread = meta.get("thread", run_id)
    rundir.write_meta(
        run_dir,
        {
            **_meta(new_id, bug, model, options, parent=parent),
            "thread": thread,
            "forked_from": origin,
        },
    )
    deps = Deps(
        llm,
        platform,
        bug,
        Tracer(new_id, run_dir, listeners),
        options,
        run_dir,
        recorder=recorder,
        model=model,
    )
    deps.tracer.event("agent", "run.fork", parent=run_id, step=step)
    return await _drive(None, deps, None, thread, parent, found[step]["checkpoint_id"])


def _forked_from(meta: dict) -> dict | None:
    """The checkpoint a run was forked from ({run_id, step}), if it is a fork or its replay."""
    parent = meta.get("parent") or {}
    return meta.get("forked_from") or (parent if "step" in parent else None)


new_run_id_for = new_run_id


def steps(run_dir: Path, thread: str) -> list[dict]:
    """The run's checkpoints a fork may start from: step, checkpoint id, the nodes next."""
    path = run_dir / CHECKPOINTS
    if not path.is_file():
        return []
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        graph = build_graph(SqliteSaver(conn))
        out = [
            {
                "step": snap.metadata.get("step"),
                "checkpoint_id": snap.config["configurable"]["checkpoint_id"],
                "next": sorted(set(snap.next)),
            }
            for snap in graph.get_state_history({"configurable": {"thread_id": thread}})
        ]
    return sorted(out, key=lambda s: s["step"])


def _copy_checkpoints(src: Path, dst: Path) -> None:
    """The parent's checkpoints without its branches' inner ones (a fork redoes those)."""
    shutil.copyfile(src, dst)
    with closing(sqlite3.connect(dst)) as db:
        db.execute("delete from checkpoints where checkpoint_ns != ''")
        db.execute("delete from writes where checkpoint_ns != ''")
        db.commit()


def _read(settings: Settings, run_id: str) -> dict:
    meta = rundir.read_meta(settings.runs_dir / rundir.check_run_id(run_id))
    if not meta:
        raise ValueError(f"{run_id}: no such run under {settings.runs_dir}")
    return meta


async def _drive(
    state: State | None,
    deps: Deps,
    reviewer: Reviewer | None,
    thread: str,
    parent: dict | None,
    checkpoint_id: str | None = None,
) -> FixResult:
    config: dict = {
        "configurable": {"thread_id": thread},
        "recursion_limit": 40 + 4 * deps.options.max_iterations,
    }
    if checkpoint_id:
        config["configurable"]["checkpoint_id"] = checkpoint_id
    with events.run_context(deps.run_id):
        try:
            return await _drive_graph(state, deps, reviewer, config, parent)
        finally:
            deps.tracer.close()


async def _drive_graph(
    state: State | None, deps: Deps, reviewer: Reviewer | None, config: dict, parent: dict | None
) -> FixResult:
    async with AsyncSqliteSaver.from_conn_string(str(deps.run_dir / CHECKPOINTS)) as saver:
        graph = build_graph(saver)
        if state is None:  # resumed or forked: the budget goes on from the checkpoint
            values = (await graph.aget_state(config)).values
            deps.ledger.seed(values.get("usage"), values.get("started_at"))
        deps.tracer.event(
            "agent",
            "run.start" if state else "run.resume",
            bug=deps.bug.id,
            model=deps.model,
            parent=parent,
        )
        step = state
        while True:
            await graph.ainvoke(step, config, context=deps, durability="sync")
            config["configurable"].pop("checkpoint_id", None)
            snapshot = await graph.aget_state(config)
            if not snapshot.interrupts or reviewer is None:
                break
            answers = {i.id: await reviewer(i.value) for i in snapshot.interrupts}
            step = Command(resume=answers)
        result = to_result(deps, snapshot.values, paused=bool(snapshot.interrupts), parent=parent)
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


HYPOTHESIS_KEYS = (
    "id",
    "iteration",
    "root_cause",
    "location",
    "outcome",
    "feedback",
    "patch",
    "compile_errors",
    "quality",
    "stop",
    "node",
    "retries",
)


def to_result(
    deps: Deps, values: dict, paused: bool = False, parent: dict | None = None
) -> FixResult:
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
        hypotheses=[{k: h.get(k) for k in HYPOTHESIS_KEYS} for h in values.get("hypotheses") or []],
        tokens=usage["input_tokens"] + usage["output_tokens"],
        cost_usd=usage["cost_usd"],
        wall_s=round(time.time() - values.get("started_at", time.time()), 3),
        run_id=deps.run_id,
        reason=reason,
        mbox=result.get("mbox", ""),
        rule=result.get("rule", ""),
        parent=parent,
    )


def _checkpointed_bug(run_dir: Path, thread: str) -> dict | None:
    """The bug view (tree, report) in a run's latest checkpoint, if it got that far."""
    path = run_dir / CHECKPOINTS
    if not path.is_file():
        return None
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
        found = SqliteSaver(conn).get_tuple({"configurable": {"thread_id": thread}})
    return (found.checkpoint.get("channel_values", {}).get("bug") if found else None) or None


def read_hypotheses(run_dir: Path, run_id: str) -> list[dict]:
    """The hypotheses in the run's latest LangGraph checkpoint (with their patches), or []."""
    path = run_dir / CHECKPOINTS
    if not path.is_file():
        return []
    thread = rundir.read_meta(run_dir).get("thread", run_id)
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            found = SqliteSaver(conn).get_tuple({"configurable": {"thread_id": thread}})
    except Exception:  # a checkpoint being written or from another version: show none
        return []
    if found is None:
        return []
    return list(found.checkpoint.get("channel_values", {}).get("hypotheses") or [])
