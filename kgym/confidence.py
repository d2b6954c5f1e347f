"""How sure a clean verdict is: the chance that a still-buggy kernel shows no crash.

With a buggy-kernel reproduction rate p (crashes with the bug's title per run) and
R clean runs of the patched kernel, a kernel that is still buggy would give that
with probability (1 - p)^R; the confidence that the patch fixed it is 1 - (1 - p)^R.
"""

from __future__ import annotations

import math


def _check_rate(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a reproduction rate must be in [0, 1], got {p}")


def miss_probability(p: float, runs: int) -> float:
    """P(no crash in `runs` runs | the kernel still has the bug) = (1 - p)^runs."""
    _check_rate(p)
    if runs < 0:
        raise ValueError(f"runs must be >= 0, got {runs}")
    return (1.0 - p) ** runs


def confidence(p: float | None, runs: int, crashed_runs: int = 0) -> float | None:
    """Confidence that the patched kernel is fixed after `runs` runs.

    None when p is unknown; 0.0 when any run crashed (the kernel is not fixed)."""
    if p is None:
        return None
    if crashed_runs:
        return 0.0
    return 1.0 - miss_probability(p, runs)


def runs_for(p: float, target: float, max_runs: int) -> int:
    """The fewest clean runs R with 1 - (1 - p)^R >= `target` (at most `max_runs`).

    Raises ValueError when p is 0 (no number of runs gives any confidence)."""
    _check_rate(p)
    if not 0.0 < target < 1.0:
        raise ValueError(f"target confidence must be in (0, 1), got {target}")
    if p == 0.0:
        raise ValueError("the buggy kernel never reproduced: no number of runs gives confidence")
    if p == 1.0:
        return 1
    needed = math.ceil(math.log(1.0 - target) / math.log(1.0 - p) - 1e-9)
    return max(1, min(needed, max_runs))
