"""The report's time breakdown comes from the attempts' event streams."""

from __future__ import annotations

from pathlib import Path

from bench.report import write_report
from bench.results import AttemptResult, append_result
from bench.timing import breakdown
from kgym import events


def _attempt_events(out: Path, run_id: str) -> None:
    events.open_run(run_id, out / "runs" / run_id)
    emit = events.emit
    emit(run_id, "bench", "run.start")
    emit(run_id, "judge", "build.end", duration_s=30.0, cache_hit=False)
    emit(run_id, "build_cache", "build.stage", stage="compile", duration_s=29.0)  # not twice
    emit(run_id, "vmpool", "repro.result", boot_s=6.0, run_s=1.5, outcome="crashed")
    emit(run_id, "patcher", "platform.compile_check.end", duration_s=4.0)
    emit(run_id, "planner", "llm.end", duration_s=2.5, input_tokens=10)
    emit(run_id, "judge", "build.end", duration_s=0.5, cache_hit=True)
    emit(run_id, "vmpool", "repro.result", boot_s=0.0, run_s=1.0, outcome="ok")
    emit(run_id, "bench", "run.end")


def test_breakdown_counts_each_category_once(tmp_path: Path) -> None:
    _attempt_events(tmp_path, "a1")
    from kgym.rundir import read_events

    spent = breakdown(read_events(tmp_path / "runs" / "a1"))
    assert spent == {"build": 30.5, "compile_check": 4.0, "vm": 8.5, "llm": 2.5}


def test_report_has_the_time_section(tmp_path: Path) -> None:
    _attempt_events(tmp_path, "oracle-b-0")
    append_result(
        tmp_path / "results.jsonl",
        AttemptResult(bug="b", attempt=0, agent="oracle", run_id="oracle-b-0", wall_s=50.0),
    )
    report, _ = write_report(tmp_path)
    text = report.read_text()
    assert "### Where the time went" in text
    assert "| build | 30.5 | 30.5 | 61% |" in text
    assert "| vm | 8.5 | 8.5 | 17% |" in text
