"""The baselines on a real kernel: oracle resolves, noop does not (builds and boots kernels)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.metrics import compute
from bench.report import write_report
from bench.results import load_results
from bench.runner import run_benchmark
from bench.suites import SUITES_DIR
from bench.timing import breakdown
from kgym.rundir import read_events

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.ray, pytest.mark.soak]

DEMO = SUITES_DIR / "kbench-6.1" / "mpol-parse-str"


def test_oracle_scores_all_and_noop_scores_nothing(ray_cluster, tmp_path: Path) -> None:
    suite = tmp_path / "tiny"
    shutil.copytree(DEMO, suite / DEMO.name)
    out = tmp_path / "run"
    for agent in ["oracle", "noop"]:
        run_benchmark(str(suite), agent, out, workers=1, attempts=1, progress=False)
    results, bad = load_results(out / "results.jsonl")
    assert bad == []
    by_agent = {m.agent: m for m in compute(results)}
    for r in results:
        assert r.error is None, r.error
        assert r.reproduced, f"{r.agent}: the demo bug did not reproduce"
    assert by_agent["oracle"].overall.resolution_rate == 1.0
    assert by_agent["noop"].overall.resolution_rate == 0.0
    # Each attempt's events are in the benchmark directory, and the report's time
    # breakdown reads them.
    for r in results:
        spent = breakdown(read_events(out / "runs" / r.run_id))
        assert spent["build"] > 0 and spent["vm"] > 0, (r.run_id, spent)
    report, _ = write_report(out)
    assert "### Where the time went" in report.read_text()
