"""Benchmark metrics from results: rates, pass@k, wall time, tokens and cost, by crash class."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from math import prod
from statistics import mean, median

from bench.results import AttemptResult

ALL = "all"


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
        )
        for bug, rs in sorted(by_bug.items())
    ]


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
