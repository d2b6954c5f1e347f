"""The baseline agents and the agent registry."""

from __future__ import annotations

import pytest

from bench.agents import AgentInput, get_agent
from bench.suites import SUITES_DIR, resolve_bug

DEMO = SUITES_DIR / "kbench-6.1" / "mpol-parse-str"


def task():
    return AgentInput(resolve_bug(str(DEMO)), platform=None, report=None, attempt=0, run_id="t")


async def test_oracle_returns_the_upstream_fix_and_noop_nothing() -> None:
    oracle = await get_agent("oracle")(task())
    assert oracle.patch == (DEMO / "fix.patch").read_text() and oracle.patch.startswith("---")
    assert (await get_agent("noop")(task())).patch == ""


async def test_oracle_needs_a_fix() -> None:
    t = task()
    t.bug.fix = None
    with pytest.raises(ValueError, match="no ground-truth fix"):
        await get_agent("oracle")(t)


def test_unknown_agent() -> None:
    with pytest.raises(ValueError, match="unknown agent 'gpt'; known: oracle, noop, kagent"):
        get_agent("gpt")


async def test_kagent_goes_through_graph_entry_point() -> None:
    """With no crash to repair, kAgent answers an empty patch without calling a model."""
    out = await get_agent("kagent")(task())
    assert (out.patch, out.tokens, out.cost_usd) == ("", 0, 0.0)
