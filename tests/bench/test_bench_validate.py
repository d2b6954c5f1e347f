"""The validation table in a suite README: written between markers, prose kept, rerun replaces."""

from __future__ import annotations

from pathlib import Path

from bench.validate import BEGIN, END, BugValidation, write_table


def v(bug: str, reproduced: int, fix_clean: int, resolved: bool, seen: str | None = None):
    return BugValidation(
        bug=bug,
        title=f"KASAN: use-after-free Read in {bug}",
        runs=10,
        reproduced=reproduced,
        fix_runs=3,
        fix_clean=fix_clean,
        fix_resolved=resolved,
        seen_title=seen,
        duration_s=42,
    )


def test_pass_needs_nine_of_ten_and_a_clean_fix() -> None:
    assert v("a", 9, 3, True).passed
    assert not v("b", 8, 3, True).passed
    assert not v("c", 10, 2, False).passed


def test_table_is_written_between_markers_and_replaced(tmp_path: Path) -> None:
    readme = tmp_path / "suite" / "README.md"
    readme.parent.mkdir()
    readme.write_text("# kbench-6.1\n\nSome prose.\n")
    write_table(readme, [v("a", 10, 3, True), v("b", 3, 3, True, seen="WARNING in b")], "today")
    text = readme.read_text()
    assert text.startswith("# kbench-6.1\n\nSome prose.\n")
    assert "| a | KASAN: use-after-free Read in a | 10/10 | 3/3 | pass | 42 |" in text
    assert "| b | KASAN: use-after-free Read in b (saw: WARNING in b) | 3/10 | 3/3 | FAIL |" in text
    assert "1 of 2 bugs pass" in text
    readme.write_text(text + "\nTrailing notes.\n")
    write_table(readme, [v("a", 9, 3, True)], "tomorrow")
    text = readme.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "| b |" not in text and "1 of 1 bugs pass" in text and "tomorrow" in text
    assert text.endswith("\nTrailing notes.\n") and "Some prose." in text


def test_missing_readme_is_created(tmp_path: Path) -> None:
    readme = tmp_path / "kbench-x" / "README.md"
    readme.parent.mkdir()
    write_table(readme, [v("a", 10, 3, True)], "now")
    assert readme.read_text().startswith("# kbench-x\n\n## Validation\n")
