"""kAgent as a benchmark agent: `solve(task)` is what `bench.agents.kagent` calls.

The task (bench.agents.AgentInput) carries the bug, the platform, the crash
report of the reproduction, the attempt number and a run id. The model comes
from the settings (an OpenAI-compatible endpoint).
"""

from __future__ import annotations

from graph.agent import fix
from graph.context import FixOptions
from graph.llm import chat_model
from kgym.judge import bug_build_request
from kgym.settings import settings


async def solve(task) -> dict:
    """A patch for `task.bug` (empty when the bug did not crash), with tokens and cost."""
    if task.report is None or not task.report.crashed:
        return {"patch": "", "tokens": 0, "cost_usd": 0.0}
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
    return {"patch": result.patch, "tokens": result.tokens, "cost_usd": result.cost_usd}
