"""finish: choose the result when the loop ends.

The rule, among resolved patches (each part breaks the ties of the one before):
1. not flagged as only silencing the symptom;
2. fewest checkpatch errors;
3. fewest new warnings (compiler warnings in the touched files + new boot-log warnings);
4. fewest checkpatch warnings;
5. the simplest: fewest hunks, then files, then changed lines;
6. the earliest hypothesis.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from graph.context import Deps
from graph.state import Hypothesis, Outcome, Result, State

RULE = (
    "resolved patches ranked by: not silencing the symptom, fewest checkpatch errors, fewest "
    "new compiler and boot warnings, fewest checkpatch warnings, fewest hunks, files and "
    "changed lines, earliest (a count not measured counts as none)"
)


def changed_lines(patch: str) -> int:
    return sum(
        1 for line in patch.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def rank(h: Hypothesis, order: int) -> tuple:
    q = h.get("quality") or {}

    def count(key: str, fallback: int = 0) -> int:
        value = q.get(key)  # None: not measured (e.g. the boot log was not read)
        return fallback if value is None else value

    return (
        bool(q.get("silences_symptom")),
        count("checkpatch_errors"),
        count("new_compiler_warnings", h.get("warnings") or 0) + count("new_boot_warnings"),
        count("checkpatch_warnings"),
        count("hunks"),
        count("files", len(h.get("files") or [])),
        changed_lines(h.get("patch") or ""),
        order,
    )


def best(hypotheses: list[Hypothesis]) -> Hypothesis | None:
    resolved = [(i, h) for i, h in enumerate(hypotheses) if h.get("outcome") == Outcome.RESOLVED]
    return min(resolved, key=lambda ih: rank(ih[1], ih[0]), default=(0, None))[1]


async def style_of(deps: Deps, hypotheses: list[Hypothesis]) -> list[Hypothesis]:
    """Resolved hypotheses with checkpatch counts in their quality (asked of the platform)."""
    out = []
    for h in hypotheses:
        q = dict(h.get("quality") or {})
        if (
            h.get("outcome") == Outcome.RESOLVED
            and deps.platform is not None
            and "checkpatch_errors" not in q
        ):
            style = await deps.platform.checkpatch(deps.tree_request(), h["patch"])
            if style.ok:
                q.update(checkpatch_errors=style.errors, checkpatch_warnings=style.warnings)
            h = {**h, "quality": q}  # type: ignore[assignment]
        out.append(h)
    return out


async def finish_node(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    hypotheses = await style_of(deps, state.get("hypotheses") or [])
    chosen = best(hypotheses)
    result = Result(
        resolved=chosen is not None,
        patch=chosen["patch"] if chosen else "",
        hypothesis=chosen["id"] if chosen else None,
        reason=state.get("stop_reason") or "",
        rule=RULE,
    )
    deps.tracer.event(
        "finish",
        "result",
        result["hypothesis"],
        resolved=result["resolved"],
        reason=result["reason"],
        quality=(chosen or {}).get("quality"),
    )
    return {"result": result, "hypotheses": hypotheses}
