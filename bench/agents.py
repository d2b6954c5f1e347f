"""Agents a benchmark runs: the baselines that give the numbers meaning, and kAgent.

An agent is an async function `AgentInput -> AgentOutput`: given the buggy bug
(never its fix, except for the `oracle` baseline), the platform, and the crash
report of the reproduction, it returns a patch relative to the buggy tree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from kgym.models import BugSpec, CrashReport
from kgym.platform import Platform


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
    """kAgent (graph/): the LangGraph repair agent, through `graph.bench.solve`."""
    try:
        from graph.bench import solve
    except ImportError as e:
        raise RuntimeError(f"kagent is not available: {e}") from e
    return AgentOutput.model_validate(await solve(task))


AGENTS: dict[str, Agent] = {"oracle": oracle, "noop": noop, "kagent": kagent}


def get_agent(name: str) -> Agent:
    try:
        return AGENTS[name]
    except KeyError:
        raise ValueError(f"unknown agent {name!r}; known: {', '.join(AGENTS)}") from None
