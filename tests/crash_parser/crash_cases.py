"""Where the labelled logs are: the full development set next to the repo, else the sample.

Only the development part (labelled.held_out() false) is used by tests that assert
what the parser makes of a log; the set-aside fifth is scored by
bench/perf/parser_perf.py and only smoke-tested here.
"""

from __future__ import annotations

from pathlib import Path

from actors.crash_parser.labelled import dataset_root, load
from kgym.settings import settings

REPO = Path(__file__).resolve().parents[2]
DATASET = dataset_root(REPO)
# Whether DATASET is the full labelled set (not the sample checked in under tests/data).
FULL_SET = settings().crash_logs_dir == DATASET
REPORT_CASES, GUILTY_CASES = load(DATASET, "dev")
HELD_OUT_REPORTS, HELD_OUT_GUILTY = load(DATASET, "held-out")
SAMPLE_CASES, _ = load(REPO / "tests" / "data" / "crash_samples", "dev")


def known_misses() -> set[tuple[str, str]]:
    """(file name, aspect) pairs listed in known_misses.txt."""
    text = (Path(__file__).parent / "known_misses.txt").read_text()
    return {
        tuple(line.split()[:2])  # type: ignore[misc]
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    }
