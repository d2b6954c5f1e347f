"""`results.jsonl`: one line per finished attempt, appended atomically, read forgivingly.

Each line is written whole with a single `os.write` on an `O_APPEND` descriptor,
then fsync'd: a crash leaves at most one truncated last line, which the reader
reports (with its line number) and skips, and the next writer starts on a fresh line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kgym.models import Verdict


class VerdictSummary(BaseModel):
    """The part of a Verdict a report needs (the full one is in the run's logs)."""

    applied: bool
    built: bool
    booted: bool
    runs: int
    crashed_runs: int
    same_crash_runs: int = 0
    title: str | None = None
    infra_error: bool = False
    boot_failure: bool = False
    errors: list[str] = Field(default_factory=list)
    duration_s: float = 0.0
    node: str | None = None  # the Ray node that built the kernel
    run_nodes: list[str | None] = Field(default_factory=list)  # the nodes whose VMs ran it
    retries: int = 0
    retry_reasons: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictSummary:
        data = verdict.model_dump(include=set(cls.model_fields) - {"run_nodes"})
        data["errors"] = [e[:500] for e in verdict.errors[:5]]
        data["run_nodes"] = [r.node for r in verdict.run_results]
        return cls.model_validate(data)


class FixOverlap(BaseModel):
    """How close a patch is to the upstream fix (bench.metrics.fix_overlap); report only."""

    file_iou: float
    function_iou: float
    line_iou: float
    same_function: bool  # changes at least one function the fix changes
    same_functions: bool  # changes exactly the functions the fix changes
    close: bool  # same functions and line IoU >= bench.metrics.CLOSE_LINE_IOU


class AttemptResult(BaseModel):
    """One finished (bug, attempt, agent)."""

    model_config = ConfigDict(extra="ignore")

    bug: str
    attempt: int
    agent: str
    run_id: str | None = None  # its events: <out>/runs/<run_id>/events.jsonl
    crash_class: str | None = None
    reproduced: bool | None = None  # None: reproduction not attempted
    resolved: bool = False  # "plausible": the platform's verdict
    verdict: VerdictSummary | None = None
    reproduction_rate: float | None = None  # of the buggy kernel (kgym verify's contract)
    confidence: float | None = None
    quality: dict | None = None  # kgym.models.Quality.contract()
    fix_overlap: FixOverlap | None = None  # never shown to the agent
    reproduction: VerdictSummary | None = None
    node: str | None = None  # the Ray node that verified the patch (else reproduced)
    retries: int = 0  # moves to another node, over the attempt's units of work
    retry_reasons: list[str] = Field(default_factory=list)
    patch: str = ""
    wall_s: float = 0.0
    tokens: int = 0
    cost_usd: float = 0.0
    error: str | None = None
    finished_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.bug, self.attempt, self.agent)


@dataclass(frozen=True)
class BadLine:
    """A line of results.jsonl that could not be read."""

    line: int
    reason: str


def append_result(path: Path, result: AttemptResult) -> None:
    """Append one complete line (single write, fsync); start a fresh line after a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (result.model_dump_json() + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if not _ends_with_newline(path):
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_results(path: Path) -> tuple[list[AttemptResult], list[BadLine]]:
    """The good results (first of duplicates wins) and the lines that are not results."""
    if not path.exists():
        return [], []
    good: dict[tuple[str, int, str], AttemptResult] = {}
    bad: list[BadLine] = []
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            result = AttemptResult.model_validate_json(raw)
        except ValidationError as e:
            reason = "truncated or not JSON" if "json_invalid" in str(e) else _first_error(e)
            bad.append(BadLine(number, reason))
            continue
        if result.key in good:
            bad.append(BadLine(number, f"duplicate of {result.key}"))
            continue
        good[result.key] = result
    return list(good.values()), bad


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "line"
    return f"{where}: {err['msg']}"


def _ends_with_newline(path: Path) -> bool:
    size = path.stat().st_size
    if size == 0:
        return True
    with path.open("rb") as f:
        f.seek(size - 1)
        return f.read(1) == b"\n"
