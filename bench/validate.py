"""`kgym bench validate SUITE`: prove each bug of a suite, and write the figures.

A bug passes when its reproducer hits a crash with the bug's title in at least
90% of `runs` VM runs (9 of 10 by default) and its upstream fix resolves it
(no crash of any kind in `fix_runs` runs). The table goes into the suite's
README.md between two markers, so the prose around it is kept.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kgym import judge
from kgym.models import BugSpec
from kgym.platform import Platform

BEGIN = "<!-- kgym bench validate: begin -->"
END = "<!-- kgym bench validate: end -->"
REPRO_SHARE = 0.9


@dataclass
class BugValidation:
    bug: str
    title: str
    runs: int
    reproduced: int  # runs that crashed with the bug's title
    fix_runs: int
    fix_clean: int  # fix runs without any crash
    fix_resolved: bool
    seen_title: str | None = None  # the first crash title seen, if any
    errors: list[str] = field(default_factory=list)
    duration_s: float = 0.0

    @property
    def reproduces(self) -> bool:
        return self.runs > 0 and self.reproduced >= math.ceil(REPRO_SHARE * self.runs)

    @property
    def passed(self) -> bool:
        return self.reproduces and self.fix_resolved


async def validate_bug(
    platform: Platform, bug: BugSpec, runs: int = 10, fix_runs: int = 3
) -> BugValidation:
    """Reproduce `runs` times, then verify the upstream fix with `fix_runs` runs."""
    if bug.fix is None:
        raise ValueError(f"bug {bug.id} has no fix to validate against")
    started = time.monotonic()
    repro = await judge.reproduce(platform, bug, runs=runs, run_id=f"validate-{bug.id}")
    fixed = await judge.verify(
        platform, bug, bug.read(bug.fix.file), runs=fix_runs, run_id=f"validate-fix-{bug.id}"
    )
    return BugValidation(
        bug=bug.id,
        title=bug.title,
        runs=runs,
        reproduced=repro.same_crash_runs,
        fix_runs=fix_runs,
        fix_clean=fixed.runs - fixed.crashed_runs,
        fix_resolved=fixed.resolved,
        seen_title=repro.title,
        errors=(repro.errors + fixed.errors)[:5],
        duration_s=time.monotonic() - started,
    )


async def validate_bugs(
    platform: Platform,
    bugs: list[BugSpec],
    runs: int = 10,
    fix_runs: int = 3,
    on_result: Callable[[BugValidation], None] | None = None,
) -> list[BugValidation]:
    """Validate each bug in turn (one kernel build per bug, the VMs one after another)."""
    out = []
    for bug in bugs:
        result = await validate_bug(platform, bug, runs, fix_runs)
        out.append(result)
        if on_result:
            on_result(result)
        await asyncio.sleep(0)
    return out


def table(results: list[BugValidation]) -> str:
    """The markdown table of figures."""
    rows = [
        "| bug | expected title | reproduced | fix resolves | verdict | time s |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        note = "" if r.reproduces or not r.seen_title else f" (saw: {r.seen_title})"
        rows.append(
            f"| {r.bug} | {r.title}{note} | {r.reproduced}/{r.runs} | "
            f"{r.fix_clean}/{r.fix_runs} | {'pass' if r.passed else 'FAIL'} | "
            f"{r.duration_s:.0f} |"
        )
    passed = sum(r.passed for r in results)
    rows += [
        "",
        f"{passed} of {len(results)} bugs pass (reproduced in ≥ "
        f"{REPRO_SHARE:.0%} of runs with their title; the upstream fix resolves all runs).",
    ]
    return "\n".join(rows)


def write_table(readme: Path, results: list[BugValidation], when: str) -> None:
    """Put the table between the markers in `readme` (appended if the markers are missing)."""
    block = f"{BEGIN}\n_Validated {when} by `kgym bench validate`._\n\n{table(results)}\n{END}"
    text = readme.read_text() if readme.is_file() else f"# {readme.parent.name}\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Validation\n\n" + block + "\n"
    readme.write_text(text)
