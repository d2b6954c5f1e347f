"""The reproduction-rate record: runs add up per bug and build, boot warnings union."""

from __future__ import annotations

import pytest

from kgym.rates import RateStore


def test_runs_accumulate_per_bug_and_build(tmp_path) -> None:
    store = RateStore(tmp_path)
    assert store.get("bug-a", "abc123") is None
    store.add("bug-a", "abc123", 10, 9, [["w1", "w2"]], stack_functions=["f", "g"])
    record = store.add("bug-a", "abc123", 10, 10, [["w2", "w3"], ["w1"]])
    assert (record.runs, record.same_crash_runs, record.rate) == (20, 19, 0.95)
    assert record.boot_warnings == ["w1", "w2", "w3"] and record.boots_seen == 3
    assert record.stack_functions == ["f", "g"]
    assert store.get("bug-a", "abc123") == record
    assert store.get("bug-a", "def456") is None  # another build of the bug: measured afresh
    assert store.get("bug-b", "abc123") is None


def test_bad_keys_and_bad_records_are_named(tmp_path) -> None:
    store = RateStore(tmp_path)
    with pytest.raises(ValueError, match="not a build key"):
        store.get("bug", "../../etc")
    store.add("bug", "abc", 1, 1)
    (tmp_path / "rates" / "bug-abc.json").write_text("{")
    with pytest.raises(ValueError, match="bug-abc.json: malformed reproduction record"):
        store.get("bug", "abc")


def test_a_suites_figures_are_the_prior_until_runs_are_recorded() -> None:
    from kgym.models import BugSpec

    record = {
        "id": "b",
        "title": "t",
        "source": {"kind": "debian-linux-source", "version": "6.1"},
        "reproducer": {"type": "c", "file": "repro.c"},
        "reproduction": {"runs": 10, "reproduced": 9},
    }
    assert BugSpec.model_validate(record).reproduction.reproduced == 9
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        BugSpec.model_validate({**record, "reproduction": {"runs": 0, "reproduced": 0}})
