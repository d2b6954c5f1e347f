"""Every labelled log: the parser must read it the way syzbot does."""

from __future__ import annotations

import pytest
from crash_cases import GUILTY_CASES, REPORT_CASES

from actors.crash_parser import contains_crash, parse


def test_dataset_is_there():
    assert len(REPORT_CASES) >= 10 and len(GUILTY_CASES) >= 2


@pytest.mark.parametrize("case", REPORT_CASES, ids=lambda c: c.name)
def test_report(case):
    got = parse(case.log)
    assert got.crashed == (case.title is not None)
    assert contains_crash(case.log) == (case.title is not None)
    assert got.title == case.title
    assert sorted(got.alt_titles) == sorted(case.alt_titles)
    assert got.type == case.type
    assert got.corrupted == case.corrupted, got.corrupted_reason
    assert got.suppressed == case.suppressed
    if got.crashed:
        assert got.report
    else:
        assert not got.report and not got.frames


@pytest.mark.parametrize("case", GUILTY_CASES, ids=lambda c: c.name)
def test_guilty_file(case):
    assert parse(case.log).guilty_file == case.guilty_file
