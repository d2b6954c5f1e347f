"""Every development-set log: the parser must read it the way syzbot does.

Files listed in known_misses.txt are strict xfails for the aspect they name; the
set-aside fifth is only parsed (no exceptions, detection consistent), never asserted
on: its score is measured by bench/perf/parser_perf.py.
"""

from __future__ import annotations

import pytest
from crash_cases import (
    DATASET,
    FULL_SET,
    GUILTY_CASES,
    HELD_OUT_GUILTY,
    HELD_OUT_REPORTS,
    REPORT_CASES,
    known_misses,
)

from actors.crash_parser import contains_crash, parse

MISSES = known_misses()


def cases(all_cases, aspect: str):  # type: ignore[no-untyped-def]
    """The cases, those known to miss `aspect` as strict xfails."""
    return [
        pytest.param(
            c,
            id=c.name,
            marks=[pytest.mark.xfail(strict=True, reason="known_misses.txt")]
            if (c.name, aspect) in MISSES
            else [],
        )
        for c in all_cases
    ]


def test_dataset_is_there():
    assert len(REPORT_CASES) >= 10 and len(GUILTY_CASES) >= 2


def test_known_misses_name_real_files():
    if not FULL_SET:
        pytest.skip(
            "known_misses.txt names files of the full development set, which is not here "
            f"(set KGYM_DATA_DIR to the directory holding syzkaller-linux-reports/; "
            f"the tests ran on the sample under {DATASET})"
        )
    names = {c.name for c in REPORT_CASES + GUILTY_CASES}
    assert {name for name, _ in MISSES} <= names


@pytest.mark.parametrize("case", cases(REPORT_CASES, "crashed"))
def test_crash_or_not(case):
    got = parse(case.log)
    assert got.crashed == (case.title is not None)
    assert contains_crash(case.log) == got.crashed
    assert not (got.corrupted_reason or "").startswith("parser error"), got.corrupted_reason
    if got.crashed:
        assert got.report and got.title
    else:
        assert not got.report and not got.frames


@pytest.mark.parametrize("case", cases(REPORT_CASES, "title"))
def test_title(case):
    assert parse(case.log).title == case.title


@pytest.mark.parametrize("case", cases(REPORT_CASES, "corrupted"))
def test_corrupted(case):
    got = parse(case.log)
    assert got.corrupted == case.corrupted, got.corrupted_reason
    assert bool(got.corrupted_reason) == got.corrupted  # a corrupted report says why


@pytest.mark.parametrize("case", cases(REPORT_CASES, "type"))
def test_type(case):
    assert parse(case.log).type == case.type


@pytest.mark.parametrize("case", cases(REPORT_CASES, "alts"))
def test_alt_titles(case):
    assert sorted(parse(case.log).alt_titles) == sorted(case.alt_titles)


@pytest.mark.parametrize("case", cases(GUILTY_CASES, "guilty"))
def test_guilty_file(case):
    assert parse(case.log).guilty_file == case.guilty_file


def test_held_out_fifth_parses_without_errors():
    """A smoke test only: what the parser makes of these logs is not asserted here."""
    for case in HELD_OUT_REPORTS + HELD_OUT_GUILTY:
        got = parse(case.log)
        assert not (got.corrupted_reason or "").startswith("parser error")
        assert got.crashed == contains_crash(case.log)
