"""The chaos suite's table: one row per injected fault, printed at the end of the run."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class Row:
    fault: str
    verdict: str
    recovered: bool
    lost: int


ROWS: list[Row] = []


@pytest.fixture
def record():
    """record(fault, verdict, recovered, lost): a row of the table (call once a fault passed)."""

    def add(fault: str, verdict: str, recovered: bool, lost: int = 0) -> None:
        ROWS.append(Row(fault, verdict, recovered, lost))

    return add


def pytest_terminal_summary(terminalreporter) -> None:
    if not ROWS:
        return
    w = max(len(r.fault) for r in ROWS)
    v = max(len(r.verdict) for r in ROWS)
    tr = terminalreporter
    tr.section("chaos: fault, verdict, recovered, results lost")
    tr.write_line(f"{'fault':<{w}}  {'verdict':<{v}}  recovered  results lost")
    for r in ROWS:
        tr.write_line(
            f"{r.fault:<{w}}  {r.verdict:<{v}}  {'yes' if r.recovered else 'NO':<9}  {r.lost}"
        )
    handled = sum(r.recovered and r.lost == 0 for r in ROWS)
    tr.write_line(
        f"{handled} of {len(ROWS)} faults handled, {sum(r.lost for r in ROWS)} results lost"
    )
