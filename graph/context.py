"""What every node gets besides the state: the model, the platform, options, the tracer.

This is LangGraph's run-scoped context (`Runtime.context`); it is not
checkpointed, so a resumed run is handed a fresh one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from graph.state import State
from graph.trace import Tracer
from kgym.models import BugSpec
from kgym.platform import Platform


@dataclass
class FixOptions:
    """The agent's knobs and budget."""

    hypotheses: int = 3  # K: hypotheses explored in parallel per iteration
    max_iterations: int = 3
    max_tokens: int = 400_000
    max_cost_usd: float | None = None
    max_wall_s: float = 3 * 3600.0
    verify_runs: int = 3
    patcher_steps: int = 20  # model turns per patcher
    candidates: int = 5  # suspect locations kept by the localizer
    human: bool = False  # pause before verifying each patch


@dataclass
class Deps:
    """The run-scoped context of the graph."""

    llm: BaseChatModel
    platform: Platform | None  # None only in tests that never reach the platform
    bug: BugSpec  # the whole record: for the platform only, never shown to the model
    tracer: Tracer
    options: FixOptions
    run_dir: Path

    @property
    def run_id(self) -> str:
        return self.tracer.run_id

    def need_platform(self) -> Platform:
        if self.platform is None:
            raise RuntimeError("this step needs the platform, and the run has none")
        return self.platform


def budget_spent(state: State, options: FixOptions) -> str | None:
    """Why the budget is spent, or None while some is left."""
    usage = state.get("usage") or {}
    tokens = usage.get("input_tokens", 0) + usage.get("output_tokens", 0)
    checks = [
        (
            state.get("iteration", 0) >= options.max_iterations,
            f"{options.max_iterations} iterations done",
        ),
        (tokens >= options.max_tokens, f"token budget spent ({tokens} >= {options.max_tokens})"),
        (
            options.max_cost_usd is not None and usage.get("cost_usd", 0.0) >= options.max_cost_usd,
            "cost budget spent",
        ),
        (
            time.time() - state.get("started_at", time.time()) >= options.max_wall_s,
            f"wall-time budget spent ({options.max_wall_s:.0f} s)",
        ),
    ]
    return next((why for spent, why in checks if spent), None)
