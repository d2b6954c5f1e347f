"""Where the labelled logs are: the full development set next to the repo, else the sample."""

from __future__ import annotations

from pathlib import Path

from actors.crash_parser.labelled import dataset_root, load

REPO = Path(__file__).resolve().parents[2]
DATASET = dataset_root(REPO)
REPORT_CASES, GUILTY_CASES = load(DATASET)
SAMPLE_CASES, _ = load(REPO / "tests" / "data" / "crash_samples")
