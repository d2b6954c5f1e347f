"""rootcause: explain the crash before anyone proposes a fix.

Reads the report, the symbolised frames with the source around each, the
allocation and free stacks of the object (use-after-free), the recent history of
the top frames' functions (git sources), and the reproducer;
writes a structured analysis (what object, which lifetime, bound, lock or
invariant is broken, where) that the localizer, planner and patchers read.
"""

from __future__ import annotations

from typing import Literal

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from graph import prompts
from graph.context import BudgetSpent, Deps
from graph.llm import LLMError, structured
from graph.nodes.common import (
    crash_class,
    frames_text,
    located_frames,
    object_stacks,
    report_text,
    reproducer_text,
)
from graph.state import Analysis, Candidate, State
from graph.tools import Workspace
from kgym.models import HistoryQuery


class RootCause(BaseModel):
    """Your analysis of the crash's root cause."""

    crash_class: Literal[
        "use-after-free", "out-of-bounds", "leak", "warning", "deadlock", "null-deref", "other"
    ]
    object: str = Field(description="the object, buffer, lock or field involved")
    violation: str = Field(
        description="the lifetime, bound, lock order or invariant that is broken, and how"
    )
    where: str = Field(description="file and function where the code goes wrong")
    explanation: str = Field(description="the sequence of events that leads to the crash")
    fix_direction: str = Field(description="what a correct fix must ensure (not a patch)")


HISTORY_FRAMES = 2
HISTORY_COMMITS = 5


async def frames_history(deps: Deps, frames: list[Candidate]) -> str:
    """Recent commits touching the top frames' functions (when the tree has history)."""
    if deps.platform is None:
        return "(no platform: history not asked)"
    out = []
    for c in [c for c in frames if c["function"]][:HISTORY_FRAMES]:
        q = HistoryQuery(kind="log", file=c["file"], function=c["function"], limit=HISTORY_COMMITS)
        answer = await deps.platform.history(deps.tree_request(), q)
        if not answer.available:
            return answer.note
        commits = [f"  {x.sha[:12]} {x.date} {x.subject}" for x in answer.commits]
        out.append(f"{c['function']} ({c['file']}):\n" + ("\n".join(commits) or f"  {answer.note}"))
    return "\n".join(out) or "(no frame to look up)"


async def rootcause_node(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    bug = state["bug"]
    ws = Workspace(bug["tree"], deps.run_dir / "scratch" / "rootcause")
    guess = crash_class(bug["title"])
    with deps.tracer.span("rootcause", "analyse", guess=guess) as out:
        frames = await located_frames(bug, ws, deps.platform, deps.tree_request())
        history = await frames_history(deps, frames)
        messages = prompts.messages(
            "rootcause",
            title=bug["title"],
            report=report_text(bug),
            frames=frames_text(frames, ws),
            stacks=object_stacks(bug),
            history=history,
            reproducer_type=bug["reproducer_type"],
            reproducer=reproducer_text(bug),
            guidance=prompts.guidance(guess),
        )
        try:
            answer, usage = await structured(deps, "rootcause", RootCause, messages)
        except (LLMError, BudgetSpent) as e:
            out["error"] = str(e)
            usage = getattr(e, "usage", None)
            analysis = Analysis(crash_class=guess)
        else:
            analysis = Analysis(**answer.model_dump())
            out.update(crash_class=analysis["crash_class"], where=analysis["where"])
    return {"analysis": analysis, **({"usage": usage} if usage else {})}
