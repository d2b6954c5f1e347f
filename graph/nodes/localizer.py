"""localizer: rank suspect files and functions from the frames, the analysis and the code."""

from __future__ import annotations

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from graph import prompts
from graph.context import BudgetSpent, Deps
from graph.llm import LLMError, structured
from graph.nodes.common import analysis_text, frames_text, located_frames, report_text
from graph.state import Candidate, State
from graph.tools import ToolError, Workspace


class Suspect(BaseModel):
    file: str = Field(description="path relative to the kernel source tree")
    function: str
    reason: str


class Localization(BaseModel):
    """Suspect locations, most suspect first."""

    suspects: list[Suspect]


async def localizer_node(state: State, runtime: Runtime[Deps]) -> dict:
    """Rank suspects with the model; fall back to the frames' order if its answer is unusable."""
    deps = runtime.context
    bug = state["bug"]
    ws = Workspace(bug["tree"], deps.run_dir / "scratch" / "localizer")
    with deps.tracer.span("localizer", "localize") as out:
        frames = await located_frames(bug, ws, deps.platform, deps.tree_request())
        messages = prompts.messages(
            "localizer",
            title=bug["title"],
            report=report_text(bug),
            analysis=analysis_text(state.get("analysis")),
            frames=frames_text(frames, ws),
            limit=deps.options.candidates,
        )
        usage = None
        try:
            answer, usage = await structured(deps, "localizer", Localization, messages)
            ranked = [
                Candidate(
                    file=ws.rel(s.file),
                    function=s.function,
                    reason=s.reason,
                    line=_line_of(frames, s.function),
                )
                for s in answer.suspects
                if _exists(ws, s.file)
            ]
        except (LLMError, BudgetSpent, ToolError) as e:
            out["error"] = str(e)
            usage = getattr(e, "usage", None)
            ranked = []
        candidates = (ranked or frames)[: deps.options.candidates]
        out.update(candidates=len(candidates), **(usage or {}))
    return {"candidates": candidates, **({"usage": usage} if usage else {})}


def _exists(ws: Workspace, file: str) -> bool:
    try:
        return (ws.root / ws.rel(file)).is_file()
    except ToolError:
        return False


def _line_of(frames: list[Candidate], function: str) -> int | None:
    return next((c["line"] for c in frames if c["function"] == function), None)
