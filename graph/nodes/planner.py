"""planner: propose K distinct root-cause hypotheses, or stop; fan them out to K branches.

Each branch (graph/builder.py) is the patcher's tool loop then the verifier, as
steps of its own, checkpointed one by one.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import Command, Send
from pydantic import BaseModel, Field

from graph import prompts
from graph.context import BudgetSpent, Deps, budget_spent
from graph.llm import LLMError, structured
from graph.nodes.common import (
    analysis_text,
    candidates_text,
    crash_class,
    history_text,
    report_text,
)
from graph.state import Hypothesis, Outcome, PatchTask, State


class Proposal(BaseModel):
    root_cause: str = Field(description="what is wrong, in one or two sentences")
    location: str = Field(description="file and function to change, e.g. mm/foo.c:bar()")
    fix_idea: str = Field(description="how to fix it, in one or two sentences")


class Plan(BaseModel):
    """The planner's decision: hypotheses to try next, or stop."""

    stop: bool = Field(default=False, description="true when nothing sensible is left to try")
    reason: str = Field(default="", description="why these hypotheses, or why stop")
    hypotheses: list[Proposal] = Field(default_factory=list)


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def distinct(proposals: list[Proposal], earlier: list[Hypothesis], k: int) -> list[Proposal]:
    """At most `k` proposals, none repeating another or an earlier hypothesis."""
    seen = {(_key(h["root_cause"]), _key(h["location"])) for h in earlier}
    out = []
    for p in proposals:
        key = (_key(p.root_cause), _key(p.location))
        if key not in seen and p.root_cause.strip():
            seen.add(key)
            out.append(p)
    return out[:k]


async def planner_node(state: State, runtime: Runtime[Deps]) -> Command:
    deps = runtime.context
    hypotheses = state.get("hypotheses") or []
    if any(h.get("outcome") == Outcome.RESOLVED for h in hypotheses):
        return Command(goto="finish", update={"stop_reason": "a patch resolved the crash"})
    if why := budget_spent(state, deps.options):
        deps.tracer.event("planner", "budget.spent", reason=why)
        return Command(goto="finish", update={"stop_reason": why})
    iteration = state.get("iteration", 0) + 1
    analysis = state.get("analysis")
    with deps.tracer.span("planner", "plan", iteration=iteration) as out:
        messages = prompts.messages(
            "planner",
            title=state["bug"]["title"],
            report=report_text(state["bug"]),
            analysis=analysis_text(analysis),
            guidance=prompts.guidance(
                (analysis or {}).get("crash_class") or crash_class(state["bug"]["title"])
            ),
            candidates=candidates_text(state.get("candidates") or []),
            history=history_text(hypotheses),
            iteration=iteration,
            max_iterations=deps.options.max_iterations,
            k=deps.options.hypotheses,
        )
        try:
            plan, usage = await structured(deps, "planner", Plan, messages)
        except BudgetSpent as e:
            out["error"] = str(e)
            return Command(goto="finish", update={"stop_reason": str(e)})
        except LLMError as e:
            out["error"] = str(e)
            return Command(
                goto="finish", update={"stop_reason": f"planner failed: {e}", "usage": e.usage}
            )
        proposals = (
            [] if plan.stop else distinct(plan.hypotheses, hypotheses, deps.options.hypotheses)
        )
        out.update(stop=plan.stop, proposed=len(proposals), **usage)
    if not proposals:
        why = plan.reason if plan.stop else "the planner proposed nothing new"
        return Command(
            goto="finish", update={"stop_reason": f"planner stopped: {why}", "usage": usage}
        )
    new = [
        Hypothesis(id=f"i{iteration}h{n}", iteration=iteration, **p.model_dump())
        for n, p in enumerate(proposals, 1)
    ]
    for h in new:
        deps.tracer.event(
            "planner", "hypothesis", h["id"], root_cause=h["root_cause"], location=h["location"]
        )
    sends = [
        Send(
            "branch",
            PatchTask(
                bug=state["bug"],
                analysis=analysis or {},
                candidates=state.get("candidates") or [],
                hypothesis=h,
            ),
        )
        for h in new
    ]
    return Command(goto=sends, update={"hypotheses": new, "iteration": iteration, "usage": usage})
