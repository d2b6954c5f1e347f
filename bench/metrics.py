"""Benchmark metrics from results: rates, pass@k, wall time, tokens and cost, by crash class;
patch quality; and closeness to the upstream fix (for the report only: never the agent's).

"Plausible" is resolved (the platform's verdict). "Close to the developer's fix" is
plausible, changing exactly the functions the upstream fix changes, with a line IoU
of at least CLOSE_LINE_IOU (X = 50%) over the old-side lines both change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from math import prod
from statistics import mean, median

from bench.results import AttemptResult, FixOverlap
from kgym.patchinfo import FileInfo, Reader, hunk_functions, parse_diff

ALL = "all"
CLOSE_LINE_IOU = 0.5  # X of "close to the developer's fix"


def _iou(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def _touched(files: list[FileInfo], read: Reader) -> tuple[set, set, set]:
    """(files, (file, function) pairs, (file, old line) pairs) a diff changes."""
    functions = hunk_functions(files, read)
    return (
        {f.path for f in files},
        {(path, fn) for (path, _), fn in functions.items() if fn},
        {(f.path, n) for f in files for h in f.hunks for n in h.touched_old_lines()},
    )


def fix_overlap(patch: str, fix: str, read: Reader) -> FixOverlap:
    """How `patch` overlaps the upstream `fix` (both relative to the buggy tree `read`)."""
    try:
        mine = _touched(parse_diff(patch), read)
    except ValueError:  # an empty or unreadable patch overlaps nothing
        mine = (set(), set(), set())
    theirs = _touched(parse_diff(fix), read)
    same_functions = bool(theirs[1]) and mine[1] == theirs[1]
    line_iou = _iou(mine[2], theirs[2])
    return FixOverlap(
        file_iou=_iou(mine[0], theirs[0]),
        function_iou=_iou(mine[1], theirs[1]),
        line_iou=line_iou,
        same_function=bool(mine[1] & theirs[1]),
        same_functions=same_functions,
        close=same_functions and line_iou >= CLOSE_LINE_IOU,
    )


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one bug with `c` resolved out of `n` attempts (Chen et al., 2021)."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} attempts, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - prod((n - c - i) / (n - i) for i in range(k))


@dataclass
class BugStats:
    bug: str
    crash_class: str
    attempts: int
    reproduced: int
    repro_tried: int
    resolved: int
    errors: int
    wall_s: float  # mean per attempt
    tokens: int
    cost_usd: float
    close: int = 0  # resolved attempts close to the developer's fix
    same_function: int = 0  # attempts changing a function the fix changes
    overlaps: int = 0  # attempts with a fix overlap measured
    file_iou: float | None = None  # mean over those attempts
    function_iou: float | None = None
    silencing: int = 0  # attempts flagged as silencing the symptom
    hunks: float | None = None  # mean over attempts with quality checks
    files: float | None = None
    checkpatch_errors: int = 0
    confidence: float | None = None  # mean over resolved attempts with one


@dataclass
class GroupStats:
    """Figures for a set of bugs (one crash class, or all)."""

    name: str
    bugs: int
    attempts: int
    reproduction_rate: float | None  # over attempts that tried to reproduce
    resolution_rate: float  # resolved attempts / attempts
    pass_at: dict[int, float]  # mean over bugs
    wall_s_mean: float  # per bug: mean of its attempts, then mean over bugs
    wall_s_median: float
    tokens: int
    cost_usd: float
    errors: int
    close_rate: float = 0.0  # close-to-the-developer's-fix attempts / attempts
    close_pass_at: dict[int, float] = field(default_factory=dict)
    same_function_rate: float | None = None  # over attempts with an overlap measured
    file_iou: float | None = None  # mean over bugs that have one
    function_iou: float | None = None
    silencing_rate: float = 0.0
    hunks: float | None = None
    files: float | None = None
    checkpatch_errors: int = 0
    confidence: float | None = None


@dataclass
class Metrics:
    agent: str
    overall: GroupStats
    by_class: list[GroupStats]
    bugs: list[BugStats] = field(default_factory=list)


def bug_stats(results: list[AttemptResult]) -> list[BugStats]:
    by_bug: dict[str, list[AttemptResult]] = defaultdict(list)
    for r in results:
        by_bug[r.bug].append(r)
    return [
        BugStats(
            bug=bug,
            crash_class=rs[0].crash_class or "unknown",
            attempts=len(rs),
            reproduced=sum(bool(r.reproduced) for r in rs),
            repro_tried=sum(r.reproduced is not None for r in rs),
            resolved=sum(r.resolved for r in rs),
            errors=sum(r.error is not None for r in rs),
            wall_s=mean(r.wall_s for r in rs),
            tokens=sum(r.tokens for r in rs),
            cost_usd=sum(r.cost_usd for r in rs),
            **_quality_stats(rs),
        )
        for bug, rs in sorted(by_bug.items())
    ]


def _mean(values: list[float]) -> float | None:
    return mean(values) if values else None


def _quality_stats(rs: list[AttemptResult]) -> dict:
    overlaps = [r.fix_overlap for r in rs if r.fix_overlap is not None]
    quality = [r.quality for r in rs if r.quality]
    return dict(
        close=sum(r.resolved and r.fix_overlap is not None and r.fix_overlap.close for r in rs),
        same_function=sum(o.same_function for o in overlaps),
        overlaps=len(overlaps),
        file_iou=_mean([o.file_iou for o in overlaps]),
        function_iou=_mean([o.function_iou for o in overlaps]),
        silencing=sum(bool(q.get("silences_symptom")) for q in quality),
        hunks=_mean([q["hunks"] for q in quality if "hunks" in q]),
        files=_mean([q["files"] for q in quality if "files" in q]),
        checkpatch_errors=sum(q.get("checkpatch_errors") or 0 for q in quality),
        confidence=_mean([r.confidence for r in rs if r.resolved and r.confidence is not None]),
    )


def group_stats(name: str, bugs: list[BugStats]) -> GroupStats:
    attempts = sum(b.attempts for b in bugs)
    tried = sum(b.repro_tried for b in bugs)
    k_max = min(b.attempts for b in bugs)
    return GroupStats(
        name=name,
        bugs=len(bugs),
        attempts=attempts,
        reproduction_rate=sum(b.reproduced for b in bugs) / tried if tried else None,
        resolution_rate=sum(b.resolved for b in bugs) / attempts,
        pass_at={
            k: mean(pass_at_k(b.attempts, b.resolved, k) for b in bugs) for k in range(1, k_max + 1)
        },
        wall_s_mean=mean(b.wall_s for b in bugs),
        wall_s_median=median(b.wall_s for b in bugs),
        tokens=sum(b.tokens for b in bugs),
        cost_usd=sum(b.cost_usd for b in bugs),
        errors=sum(b.errors for b in bugs),
        close_rate=sum(b.close for b in bugs) / attempts,
        close_pass_at={
            k: mean(pass_at_k(b.attempts, b.close, k) for b in bugs) for k in range(1, k_max + 1)
        },
        same_function_rate=(
            sum(b.same_function for b in bugs) / measured
            if (measured := sum(b.overlaps for b in bugs))
            else None
        ),
        file_iou=_mean([b.file_iou for b in bugs if b.file_iou is not None]),
        function_iou=_mean([b.function_iou for b in bugs if b.function_iou is not None]),
        silencing_rate=sum(b.silencing for b in bugs) / attempts,
        hunks=_mean([b.hunks for b in bugs if b.hunks is not None]),
        files=_mean([b.files for b in bugs if b.files is not None]),
        checkpatch_errors=sum(b.checkpatch_errors for b in bugs),
        confidence=_mean([b.confidence for b in bugs if b.confidence is not None]),
    )


def compute(results: list[AttemptResult]) -> list[Metrics]:
    """One Metrics per agent in `results`, sorted by agent name."""
    by_agent: dict[str, list[AttemptResult]] = defaultdict(list)
    for r in results:
        by_agent[r.agent].append(r)
    out = []
    for agent, rs in sorted(by_agent.items()):
        bugs = bug_stats(rs)
        classes: dict[str, list[BugStats]] = defaultdict(list)
        for b in bugs:
            classes[b.crash_class].append(b)
        out.append(
            Metrics(
                agent=agent,
                overall=group_stats(ALL, bugs),
                by_class=[group_stats(c, bs) for c, bs in sorted(classes.items())],
                bugs=bugs,
            )
        )
    return out
