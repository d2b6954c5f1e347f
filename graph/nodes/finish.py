"""finish: pick the result when the loop ends.

Rule, when several patches resolve the crash: fewest compiler warnings in the
touched files, then the smallest patch (changed lines), then the earliest.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from graph.context import Deps
from graph.state import Hypothesis, Outcome, Result, State


def changed_lines(patch: str) -> int:
    return sum(
        1 for line in patch.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def best(hypotheses: list[Hypothesis]) -> Hypothesis | None:
    resolved = [h for h in hypotheses if h.get("outcome") == Outcome.RESOLVED]
    order = {h["id"]: i for i, h in enumerate(hypotheses)}
    return min(
        resolved,
        key=lambda h: (h.get("warnings", 0), changed_lines(h["patch"]), order[h["id"]]),
        default=None,
    )


async def finish_node(state: State, runtime: Runtime[Deps]) -> dict:
    chosen = best(state.get("hypotheses") or [])
    result = Result(
        resolved=chosen is not None,
        patch=chosen["patch"] if chosen else "",
        hypothesis=chosen["id"] if chosen else None,
        reason=state.get("stop_reason") or "",
    )
    runtime.context.tracer.event(
        "finish",
        "result",
        result["hypothesis"],
        resolved=result["resolved"],
        reason=result["reason"],
    )
    return {"result": result}
