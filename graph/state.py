"""The agent's state: what it may see of the bug, what it tried, what it spent.

The state is plain typed dicts (JSON all the way down) so LangGraph's SQLite
checkpointer stores it as it is and a run can be resumed or inspected later.
The bug view holds the buggy tree, the crash report, the reproducer and the
kernel config — never the fix, the inject patch or the record's origin.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypedDict

from pydantic import BaseModel, Field


class Outcome(StrEnum):
    """The verifier's verdict on one hypothesis's patch."""

    RESOLVED = "resolved"
    SAME_CRASH = "same_crash"
    OTHER_CRASH = "other_crash"
    BUILD_ERROR = "build_error"
    INFRA_ERROR = "infra_error"
    NO_PATCH = "no_patch"  # the patcher made no edit
    STOPPED = "stopped"  # the patcher was stopped (budget spent), its patch not judged
    CANCELLED = "cancelled"  # a sibling resolved first and the policy cancels the rest
    REJECTED = "rejected"  # a person rejected it (human-in-the-loop mode)


class BugView(TypedDict):
    """The bug as the agent may see it."""

    id: str
    title: str
    tree: str  # read-only buggy tree (source + the bug, no fix)
    report: dict  # CrashReport.model_dump()
    reproducer: str  # the reproducer's source text
    reproducer_type: str  # "c" | "sh"
    config: str  # extra Kconfig lines


class Candidate(TypedDict):
    """A suspect location, ranked by the localizer."""

    file: str
    function: str
    line: int | None
    reason: str


class Analysis(TypedDict, total=False):
    """The root-cause node's reading of the crash, for the planner and the patchers."""

    crash_class: (
        str  # use-after-free | out-of-bounds | leak | warning | deadlock | null-deref | other
    )
    object: str  # the object or data involved
    violation: str  # the lifetime, bound, lock order or invariant that is broken
    where: str  # where it goes wrong: file and function
    explanation: str
    fix_direction: str


class Hypothesis(TypedDict, total=False):
    """One root-cause hypothesis and what became of it."""

    id: str  # "i{iteration}h{n}"
    iteration: int
    root_cause: str
    location: str
    fix_idea: str
    patch: str  # unified diff relative to the buggy tree
    files: list[str]
    compile_errors: list[str]  # from the last compile check ([] = it compiled)
    outcome: str  # Outcome
    feedback: str  # what the verifier tells the planner
    warnings: int  # compiler warnings in the verified build
    crash_title: str | None
    node: str | None  # the Ray node that verified it (None: in this process)
    retries: int  # times its verification moved to another node (a node died)
    quality: dict  # hunks, files, checkpatch_errors/warnings, new_*_warnings, silences_symptom
    stop: str  # why its tool loop stopped early, if it did


class Usage(TypedDict):
    input_tokens: int
    output_tokens: int
    cost_usd: float
    llm_s: float  # wall time spent waiting for the model


def add_usage(a: Usage | None, b: Usage | None) -> Usage:
    """Reducer: sum usage from parallel nodes."""
    a = a or zero_usage()
    b = b or zero_usage()
    return Usage(
        input_tokens=a["input_tokens"] + b["input_tokens"],
        output_tokens=a["output_tokens"] + b["output_tokens"],
        cost_usd=round(a["cost_usd"] + b["cost_usd"], 6),
        llm_s=round(a.get("llm_s", 0.0) + b.get("llm_s", 0.0), 3),
    )


def zero_usage() -> Usage:
    return Usage(input_tokens=0, output_tokens=0, cost_usd=0.0, llm_s=0.0)


def merge_hypotheses(
    old: list[Hypothesis] | None, new: list[Hypothesis] | None
) -> list[Hypothesis]:
    """Reducer: update hypotheses by id (parallel patchers/verifiers), keep first-seen order."""
    out = {h["id"]: dict(h) for h in old or []}
    for h in new or []:
        out[h["id"]] = {**out.get(h["id"], {}), **h}
    return list(out.values())  # type: ignore[return-value]


class Result(TypedDict, total=False):
    resolved: bool
    patch: str
    hypothesis: str | None
    reason: str  # why the run ended
    rule: str  # how the patch was chosen among the resolved ones
    mbox: str  # the chosen patch as a `git format-patch` mail
    subject: str
    fixes: str | None
    recipients: list[str]
    checkpatch: dict  # the final CheckpatchResult


class State(TypedDict, total=False):
    """The graph's state."""

    bug: BugView
    analysis: Analysis
    candidates: list[Candidate]
    hypotheses: Annotated[list[Hypothesis], merge_hypotheses]
    iteration: int
    usage: Annotated[Usage, add_usage]
    started_at: float  # time.time() of the run's start (wall time survives a resume)
    stop_reason: str
    result: Result | None


class PatchTask(TypedDict, total=False):
    """What a `Send` hands to one hypothesis's branch (its tool loop, then the verifier)."""

    bug: BugView
    analysis: Analysis
    candidates: list[Candidate]
    hypothesis: Hypothesis


class Branch(PatchTask, total=False):
    """One branch's state: its conversation and edits, checkpointed after every step."""

    messages: list[dict]  # the conversation (langchain message dicts)
    edits: list[dict]  # successful edit_file calls, replayed onto a fresh scratch copy
    turns: int  # model answers so far
    compile_rounds: int  # times the compiler's errors went back to the model
    repeats: dict[str, int]  # tool call -> times asked since the last successful edit
    stop: str  # why the loop stops early ("" while it goes on)
    budget_spent: bool
    hypotheses: Annotated[list[Hypothesis], merge_hypotheses]  # out: the judged hypothesis
    usage: Annotated[Usage, add_usage]  # out: what the branch spent


class BranchOut(TypedDict, total=False):
    """What a branch hands back to the main graph."""

    hypotheses: Annotated[list[Hypothesis], merge_hypotheses]
    usage: Annotated[Usage, add_usage]


class FixResult(BaseModel):
    """The outcome of one `kgym fix` run (its `--json` output)."""

    bug: str
    resolved: bool
    patch: str
    iterations: int
    hypotheses: list[dict] = Field(default_factory=list)
    tokens: int
    cost_usd: float
    wall_s: float
    run_id: str
    reason: str = ""
    mbox: str = ""
    rule: str = ""
    parent: dict | None = None  # a fork: {run_id, step}; a replay: {run_id, replay: true}
