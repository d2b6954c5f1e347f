"""Metrics against the upstream fix (report only): file/function IoU, same function,
plausible vs close to the developer's fix, pass@k of close fixes; in the report's table
and plot by crash class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.build_cache import patch
from bench.metrics import CLOSE_LINE_IOU, compute, fix_overlap
from bench.report import write_report
from bench.results import AttemptResult, FixOverlap, append_result
from bench.suites import load_suite
from kgym.patchinfo import hunk_functions, parse_diff
from kgym.settings import settings

SOURCE = [
    "static int helper(int x)",
    "{",
    "\treturn x;",
    "}",
    "",
    "int target(char *s)",
    "{",
    "\tint n = 0;",
    "\tn = strlen(s);",
    "\tmemcpy(buf, s, n);",
    "\treturn n;",
    "}",
]


def read(path: str) -> list[str] | None:
    return SOURCE if path == "mm/x.c" else None


def hunk(path: str, start: int, old: list[str], new: list[str]) -> str:
    body = "".join(f"-{t}\n" for t in old) + "".join(f"+{t}\n" for t in new)
    return f"--- a/{path}\n+++ b/{path}\n@@ -{start},{len(old)} +{start},{len(new)} @@\n{body}"


FIX = hunk("mm/x.c", 10, ["\tmemcpy(buf, s, n);"], ["\tmemcpy(buf, s, min(n, 8));"])


def test_the_fix_itself_is_close() -> None:
    o = fix_overlap(FIX, FIX, read)
    assert (o.file_iou, o.function_iou, o.line_iou) == (1.0, 1.0, 1.0)
    assert o.same_function and o.same_functions and o.close


def test_another_line_of_the_same_function_is_same_function_but_not_close() -> None:
    other = hunk("mm/x.c", 9, ["\tn = strlen(s);"], ["\tn = strnlen(s, 8);"])
    o = fix_overlap(other, FIX, read)
    assert o.same_function and o.same_functions and o.function_iou == 1.0
    assert o.line_iou == 0.0 and not o.close


def test_another_function_and_another_file_overlap_less() -> None:
    both = hunk("mm/x.c", 3, ["\treturn x;"], ["\treturn x + 1;"]) + hunk("mm/y.c", 1, ["a"], ["b"])
    o = fix_overlap(both, FIX, read)
    assert o.file_iou == 0.5 and o.function_iou == 0.0 and not o.same_function
    empty = fix_overlap("", FIX, read)
    assert (empty.file_iou, empty.same_function, empty.close) == (0.0, False, False)


def buggy_tree_reader(bug):
    """The buggy tree's files: the pristine Debian source with the inject patch applied."""
    root = next(settings().sources_dir.glob("debian-6.1*"))
    changes = patch.apply([patch.parse(bug.read(bug.inject))], patch.read_file(root))

    def read(path: str) -> list[str] | None:
        text = changes[path] if path in changes else (root / path).read_text()
        return text.splitlines() if text is not None else None

    return read


@pytest.mark.skipif(
    not any(settings().sources_dir.glob("debian-6.1*")), reason="no unpacked Debian source"
)
def test_every_suite_fix_is_close_to_itself_and_names_its_functions() -> None:
    for bug in load_suite("kbench-6.1"):
        fix = bug.read(bug.fix.file)
        read = buggy_tree_reader(bug)
        o = fix_overlap(fix, fix, read)
        assert o.close, (bug.id, o)
        functions = {fn for fn in hunk_functions(parse_diff(fix), read).values()}
        assert None not in functions, (bug.id, functions)


def attempt(bug: str, n: int, resolved: bool, close: bool, cls: str, **kw) -> AttemptResult:
    overlap = FixOverlap(
        file_iou=1.0 if close else 0.5,
        function_iou=1.0 if close else 0.0,
        line_iou=1.0 if close else 0.0,
        same_function=close,
        same_functions=close,
        close=close,
    )
    return AttemptResult(
        bug=bug, attempt=n, agent="a", crash_class=cls, resolved=resolved, fix_overlap=overlap,
        quality={"hunks": 2, "files": 1, "checkpatch_errors": 1, "silences_symptom": not close},
        confidence=0.99 if resolved else 0.0, **kw,
    )  # fmt: skip


def test_plausible_and_close_are_counted_apart(tmp_path: Path) -> None:
    rs = [
        attempt("a", 0, True, True, "WARNING"),
        attempt("a", 1, True, False, "WARNING"),  # plausible, not close
        attempt("b", 0, False, True, "KASAN"),  # close lines but not resolved: not close
        attempt("b", 1, False, False, "KASAN"),
    ]
    (m,) = compute(rs)
    kasan, warning = m.by_class
    assert (warning.resolution_rate, warning.close_rate) == (1.0, 0.5)
    assert (kasan.resolution_rate, kasan.close_rate) == (0.0, 0.0)
    assert warning.close_pass_at == {1: 0.5, 2: 1.0}
    assert m.overall.same_function_rate == 0.5 and m.overall.silencing_rate == 0.5
    assert m.overall.hunks == 2 and m.overall.checkpatch_errors == 4
    assert warning.confidence == pytest.approx(0.99) and kasan.confidence is None
    for r in rs:
        append_result(tmp_path / "results.jsonl", r)
    (tmp_path / "run.json").write_text(
        json.dumps({"suite": "t", "attempts": 2, "bugs": ["a", "b"]})
    )
    report, _ = write_report(tmp_path)
    text = report.read_text()
    assert "### Against the upstream fix, and patch quality" in text
    assert f"line IoU of at least {CLOSE_LINE_IOU:.0%}" in text
    assert (
        "| WARNING | 100% | 50% | 50% | 100% | 50% | 0.75 | 0.50 | 50% | 2.0 | 1.0 | 2 | 0.990 |"
        in text
    )
    assert (tmp_path / "a-fix-overlap.png").read_bytes()[:4] == b"\x89PNG"
