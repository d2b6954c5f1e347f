"""results.jsonl (atomic lines, corrupt lines reported), resume plans, metrics, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.metrics import compute, pass_at_k
from bench.report import write_report
from bench.results import AttemptResult, append_result, load_results
from bench.runner import plan
from kgym.models import BugSpec, ReproducerSpec, SourceSpec


def result(bug: str, attempt: int, resolved: bool, cls: str = "KASAN: use-after-free", **kw):
    return AttemptResult(
        bug=bug,
        attempt=attempt,
        agent=kw.pop("agent", "oracle"),
        crash_class=cls,
        reproduced=kw.pop("reproduced", True),
        resolved=resolved,
        wall_s=kw.pop("wall_s", 10.0),
        **kw,
    )


def bug(bug_id: str) -> BugSpec:
    return BugSpec(
        id=bug_id,
        title=f"WARNING in {bug_id}",
        source=SourceSpec(kind="debian-linux-source", version="6.1"),
        reproducer=ReproducerSpec(type="c", file="repro.c"),
    )


def test_append_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.jsonl"
    rs = [result("a", 0, True, tokens=5), result("a", 1, False, error="boom")]
    for r in rs:
        append_result(path, r)
    loaded, bad = load_results(path)
    assert bad == [] and loaded == rs
    assert path.read_text().count("\n") == 2


def test_corrupt_and_truncated_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    append_result(path, result("a", 0, True))
    with path.open("a") as f:
        f.write("this is not json\n")
        f.write(json.dumps({"bug": "b"}) + "\n")  # JSON, but not a result
    append_result(path, result("a", 0, False))  # a duplicate key
    with path.open("a") as f:
        f.write(result("b", 0, True).model_dump_json()[:40])  # torn by a crash: no newline
    append_result(path, result("c", 0, True))  # starts on a fresh line
    loaded, bad = load_results(path)
    assert [(r.bug, r.attempt, r.resolved) for r in loaded] == [("a", 0, True), ("c", 0, True)]
    assert [b.line for b in bad] == [2, 3, 4, 5]
    assert "truncated or not JSON" in bad[0].reason
    assert "attempt" in bad[1].reason
    assert "duplicate" in bad[2].reason
    assert "truncated" in bad[3].reason


def test_plan_skips_what_is_done(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    bugs = [bug("a"), bug("b")]
    append_result(path, result("a", 0, True))
    append_result(path, result("b", 1, False, error="infra"))
    append_result(path, result("a", 1, True, agent="noop"))  # another agent's result
    work = plan(bugs, "oracle", 2, path)
    assert [(b.id, a) for b, a in work.todo] == [("b", 0), ("a", 1)]
    assert work.done == 2
    retry = plan(bugs, "oracle", 2, path, retry_errors=True)
    assert [(b.id, a) for b, a in retry.todo] == [("b", 0), ("a", 1), ("b", 1)]
    assert plan(bugs, "oracle", 1, tmp_path / "none.jsonl").done == 0


def test_pass_at_k() -> None:
    assert pass_at_k(5, 0, 1) == 0.0
    assert pass_at_k(5, 5, 3) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    assert pass_at_k(4, 2, 3) == 1.0
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)


def test_metrics_by_crash_class() -> None:
    rs = [
        result("a", 0, True, wall_s=10),
        result("a", 1, False, wall_s=30),
        result("b", 0, False, reproduced=False),
        result("b", 1, False),
        result("c", 0, True, cls="WARNING", tokens=100, cost_usd=0.5),
        result("c", 1, True, cls="WARNING", tokens=50, cost_usd=0.25),
        result("a", 0, False, agent="noop"),
    ]
    oracle, noop = (m for m in sorted(compute(rs), key=lambda m: m.agent != "oracle"))
    assert oracle.agent == "oracle" and noop.agent == "noop"
    assert oracle.overall.attempts == 6 and oracle.overall.bugs == 3
    assert oracle.overall.resolution_rate == pytest.approx(3 / 6)
    assert oracle.overall.reproduction_rate == pytest.approx(5 / 6)
    assert oracle.overall.pass_at[1] == pytest.approx((0.5 + 0 + 1) / 3)
    assert oracle.overall.pass_at[2] == pytest.approx((1 + 0 + 1) / 3)
    kasan, warning = oracle.by_class
    assert (kasan.name, kasan.bugs, kasan.resolution_rate) == ("KASAN: use-after-free", 2, 0.25)
    assert (warning.tokens, warning.cost_usd) == (150, 0.75)
    assert oracle.bugs[0].wall_s == 20
    assert noop.overall.resolution_rate == 0


def test_report_renders_markdown_and_plots(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    for r in [result("a", 0, True), result("b", 0, False, cls="WARNING")]:
        append_result(path, r)
    with path.open("a") as f:
        f.write('{"bug": "torn"')
    (tmp_path / "run.json").write_text(
        json.dumps({"suite": "tiny", "agent": "oracle", "attempts": 1, "bugs": ["a", "b"]})
    )
    report, bad = write_report(tmp_path)
    text = report.read_text()
    assert len(bad) == 1
    assert "# Benchmark report: tiny" in text and "expected 2" in text
    assert "1 unreadable line(s) skipped" in text and "line 3" in text
    assert "| KASAN: use-after-free | 1 | 1 | 100% | 100% | 100% |" in text
    assert "| WARNING | 1 | 1 | 100% | 0% | 0% |" in text
    assert "| **all** | 2 | 2 | 100% | 50% | 50% |" in text
    for png in ["oracle-rates.png", "oracle-pass-at-k.png", "oracle-wall-time.png"]:
        assert f"]({png})" in text
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no results.jsonl"):
        write_report(tmp_path)
    (tmp_path / "results.jsonl").write_text("garbage\n")
    with pytest.raises(ValueError, match="no readable results"):
        write_report(tmp_path)
