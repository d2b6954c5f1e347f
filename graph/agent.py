"""Run the repair agent on a bug: fresh, resumed, or paused for a person's review.

Each run has a directory `<runs_dir>/<run_id>/` with `run.json` (what was
asked), `events.jsonl` (the trace) and `checkpoints.sqlite` (LangGraph's
checkpoints: the run can be resumed and inspected).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict

from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.types import Command

from graph.builder import build_graph
from graph.context import Deps, FixOptions
from graph.llm import model_name
from graph.nodes.reproduce import bug_view
from graph.state import FixResult, State, zero_usage
from graph.trace import Listener, Tracer
from kgym.models import BugSpec, CrashReport
from kgym.platform import Platform
from kgym.settings import Settings
from kgym.settings import settings as default_settings

# A person's review: gets {hypothesis, root_cause, patch}, answers {action, patch?}.
Reviewer = Callable[[dict], Awaitable[dict]]


def new_run_id(bug: BugSpec) -> str:
    return f"fix-{bug.id}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


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
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "run.json").write_text(
        json.dumps(
            {
                "run_id": run_id,
                "bug": bug.id,
                "bug_dir": bug.dir,
                "model": model_name(llm),
                "options": asdict(options),
            },
            indent=2,
        )
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
    try:
        meta = json.loads((run_dir / "run.json").read_text())
    except FileNotFoundError:
        raise ValueError(f"{run_id}: no such run under {settings.runs_dir}") from None
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
    async with AsyncSqliteSaver.from_conn_string(str(deps.run_dir / "checkpoints.sqlite")) as saver:
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
