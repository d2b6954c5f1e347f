"""Where a benchmark attempt's time went, read from its run's event stream.

Each attempt's events are in `<out>/runs/<run_id>/events.jsonl` (the runner opens
them there, so a benchmark directory is self-contained). The categories are a
table: which records count, and how many seconds each one holds.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kgym.rundir import read_events

RUNS = "runs"

Record = dict[str, Any]


def _duration(record: Record) -> float:
    return float(record.get("duration_s") or 0.0)


def _vm_seconds(record: Record) -> float:
    return float(record.get("boot_s") or 0.0) + float(record.get("run_s") or 0.0)


# category -> (does this record count?, its seconds). Builds are counted once, at the
# judge's build.end (cache hits count their lookup); compile checks are the agent's.
CATEGORIES: dict[str, tuple[Callable[[Record], bool], Callable[[Record], float]]] = {
    "build": (lambda r: (r.get("node"), r.get("event")) == ("judge", "build.end"), _duration),
    "compile_check": (lambda r: r.get("event") == "platform.compile_check.end", _duration),
    "vm": (lambda r: r.get("event") == "repro.result", _vm_seconds),
    "llm": (lambda r: r.get("event") in ("llm.end", "chat.end"), _duration),
}


def breakdown(events: list[Record]) -> dict[str, float]:
    """Seconds per category in one run's events."""
    totals = dict.fromkeys(CATEGORIES, 0.0)
    for record in events:
        for name, (counts, seconds) in CATEGORIES.items():
            if counts(record):
                totals[name] += seconds(record)
    return {k: round(v, 3) for k, v in totals.items()}


def attempt_dir(out: Path, run_id: str) -> Path:
    """Where the runner keeps the events of attempt `run_id` of the benchmark at `out`."""
    return out / RUNS / run_id


def breakdowns(out: Path, run_ids: list[str]) -> dict[str, dict[str, float]]:
    """The breakdown of each attempt that has events (others are left out)."""
    found = {}
    for run_id in run_ids:
        events = read_events(attempt_dir(out, run_id))
        if events:
            found[run_id] = breakdown(events)
    return found
