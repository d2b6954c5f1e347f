"""What every node gets besides the state: the model, the platform, options, the tracer.

This is LangGraph's run-scoped context (`Runtime.context`); it is not
checkpointed, so a resumed run is handed a fresh one (its budget ledger seeded
from the checkpoint).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from langchain_core.language_models import BaseChatModel

from graph.record import Recorder
from graph.state import State, Usage
from graph.trace import Tracer
from kgym.judge import bug_build_request
from kgym.models import BugSpec, BuildRequest
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
    compile_rounds: int = 1  # times the compiler's errors go back to the patcher
    repeat_limit: int = 3  # the same tool call this often without an edit stops the branch
    context_tokens: int = 128_000  # the model's context window (settings.llm_context_tokens)
    candidates: int = 5  # suspect locations kept by the localizer
    style_rounds: int = 2  # checkpatch rounds the model may fix
    siblings: Literal["finish", "cancel"] = "finish"  # when a sibling resolves first
    author: str = "kgym <kgym@localhost>"  # the mbox's author and Signed-off-by
    human: bool = False  # pause before verifying each patch


class BudgetSpent(RuntimeError):
    """No LLM call may be made: the reason is the message."""


@dataclass
class Ledger:
    """What the run has spent so far, live across parallel branches (checked before each call)."""

    options: FixOptions
    started_at: float = field(default_factory=time.time)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, usage: Usage) -> None:
        self.input_tokens += usage["input_tokens"]
        self.output_tokens += usage["output_tokens"]
        self.cost_usd += usage["cost_usd"]

    def seed(self, usage: Usage | None, started_at: float | None) -> None:
        """Start from a checkpoint's totals (a resumed or forked run)."""
        self.input_tokens = self.output_tokens = 0
        self.cost_usd = 0.0
        if usage:
            self.add(usage)
        if started_at:
            self.started_at = started_at

    def spent(self) -> str | None:
        """Why no more LLM calls may be made, or None."""
        o = self.options
        tokens = self.input_tokens + self.output_tokens
        if tokens >= o.max_tokens:
            return f"token budget spent ({tokens} >= {o.max_tokens})"
        if o.max_cost_usd is not None and self.cost_usd >= o.max_cost_usd:
            return f"cost budget spent (${self.cost_usd:.4f} >= ${o.max_cost_usd})"
        if time.time() - self.started_at >= o.max_wall_s:
            return f"wall-time budget spent ({o.max_wall_s:.0f} s)"
        return None


@dataclass
class Deps:
    """The run-scoped context of the graph."""

    llm: BaseChatModel | None  # None when replaying a recording
    platform: Platform | None  # None only in tests that never reach the platform
    bug: BugSpec  # the whole record: for the platform only, never shown to the model
    tracer: Tracer
    options: FixOptions
    run_dir: Path
    recorder: Recorder | None = None
    ledger: Ledger | None = None
    # per iteration: set once one of its patches resolved (siblings may stop then)
    resolved: defaultdict[int, asyncio.Event] = field(
        default_factory=lambda: defaultdict(asyncio.Event)
    )
    model: str = ""  # the model's name (a replay has no llm to ask)

    def __post_init__(self) -> None:
        if self.recorder is None:
            self.recorder = Recorder(self.run_dir)
        if self.ledger is None:
            self.ledger = Ledger(self.options)

    @property
    def run_id(self) -> str:
        return self.tracer.run_id

    def need_platform(self) -> Platform:
        if self.platform is None:
            raise RuntimeError("this step needs the platform, and the run has none")
        return self.platform

    def tree_request(self) -> BuildRequest:
        """The buggy tree, as the platform knows it (never shown to the model)."""
        return bug_build_request(self.bug)


def budget_spent(state: State, options: FixOptions) -> str | None:
    """Why the budget is spent, or None while some is left (the planner's check)."""
    if state.get("iteration", 0) >= options.max_iterations:
        return f"{options.max_iterations} iterations done"
    ledger = Ledger(options)
    ledger.seed(state.get("usage"), state.get("started_at"))
    return ledger.spent()
