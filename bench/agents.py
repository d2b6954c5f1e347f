"""Agents a benchmark runs: the baselines that give the numbers meaning, and kAgent.

An agent is an async function `AgentInput -> AgentOutput`: given the buggy bug
(never its fix, except for the `oracle` baseline), the platform, and the crash
report of the reproduction, it returns a patch relative to the buggy tree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from graph.agent import fix
from graph.context import FixOptions
from graph.llm import chat_model
from kgym.judge import bug_build_request
from kgym.models import BugSpec, CrashReport
from kgym.platform import Platform
from kgym.settings import settings


@dataclass
class AgentInput:
    bug: BugSpec
    platform: Platform
    report: CrashReport | None  # the reproduction's crash, if it crashed
    attempt: int
    run_id: str


class AgentOutput(BaseModel):
    patch: str
    tokens: int = 0
    cost_usd: float = 0.0


Agent = Callable[[AgentInput], Awaitable[AgentOutput]]


async def oracle(task: AgentInput) -> AgentOutput:
    """The upstream fix: must resolve every bug of a validated suite."""
    if task.bug.fix is None:
        raise ValueError(f"bug {task.bug.id} has no ground-truth fix for the oracle")
    return AgentOutput(patch=task.bug.read(task.bug.fix.file))


async def noop(task: AgentInput) -> AgentOutput:
    """The empty patch: must resolve nothing."""
    return AgentOutput(patch="")


async def kagent(task: AgentInput) -> AgentOutput:
    """kAgent (graph/), the LangGraph repair agent, with the model of the settings.

    An empty patch when the bug did not crash: there is nothing to repair.
    """
    if task.report is None or not task.report.crashed:
        return AgentOutput(patch="")
    s = settings()
    tree = await task.platform.checkout(bug_build_request(task.bug))
    result = await fix(
        task.bug,
        task.platform,
        chat_model(s),
        FixOptions(verify_runs=s.verify_runs),
        settings=s,
        run_id=f"{task.run_id}-agent",
        known=(tree, task.report),
    )
    return AgentOutput(patch=result.patch, tokens=result.tokens, cost_usd=result.cost_usd)


AGENTS: dict[str, Agent] = {"oracle": oracle, "noop": noop, "kagent": kagent}


def get_agent(name: str) -> Agent:
    try:
        return AGENTS[name]
    except KeyError:
        raise ValueError(f"unknown agent {name!r}; known: {', '.join(AGENTS)}") from None
