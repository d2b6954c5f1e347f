"""Confidence figures follow from the run counts: 1 - (1 - p)^R, and R for a target."""

from __future__ import annotations

import math

import pytest

from kgym.confidence import confidence, miss_probability, runs_for


@pytest.mark.parametrize(
    ("p", "runs", "expected"),
    [(0.5, 3, 0.875), (0.9, 3, 0.999), (1.0, 1, 1.0), (0.0, 10, 0.0), (0.3, 0, 0.0)],
)
def test_confidence_is_one_minus_the_miss_probability(p, runs, expected) -> None:
    assert confidence(p, runs) == pytest.approx(expected)
    assert miss_probability(p, runs) == pytest.approx(1 - expected)


def test_a_crash_means_no_confidence_and_an_unknown_rate_none() -> None:
    assert confidence(0.9, 3, crashed_runs=1) == 0.0
    assert confidence(None, 3) is None


@pytest.mark.parametrize(("p", "target", "runs"), [(0.5, 0.99, 7), (0.9, 0.99, 2), (0.1, 0.99, 44)])
def test_runs_for_is_the_fewest_runs_reaching_the_target(p, target, runs) -> None:
    chosen = runs_for(p, target, max_runs=100)
    assert chosen == runs
    assert confidence(p, chosen) >= target > confidence(p, chosen - 1)


def test_runs_for_edges() -> None:
    assert runs_for(1.0, 0.99, 30) == 1
    assert runs_for(0.01, 0.99, 30) == 30  # capped
    assert runs_for(0.9, 0.9, 30) == 1  # exactly reached, no float slop
    with pytest.raises(ValueError, match="never reproduced"):
        runs_for(0.0, 0.99, 30)
    with pytest.raises(ValueError, match="target confidence"):
        runs_for(0.5, 1.0, 30)
    with pytest.raises(ValueError, match="reproduction rate"):
        confidence(1.5, 3)
    assert math.isclose(1 - 0.5**7, confidence(0.5, runs_for(0.5, 0.99, 30)))
