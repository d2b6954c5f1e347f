"""BUG and SUITE argument resolution over a suite tree the test writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.suites import load_suite, resolve_bug, suite_dir, suite_names


def write_bug(root: Path, suite: str, bug_id: str) -> Path:
    bug_dir = root / suite / bug_id
    bug_dir.mkdir(parents=True)
    record = {
        "id": bug_id,
        "title": f"KASAN: use-after-free Read in {bug_id}",
        "source": {"kind": "debian-linux-source", "version": "6.1"},
        "reproducer": {"type": "c", "file": "repro.c"},
    }
    (bug_dir / "bug.json").write_text(json.dumps(record))
    return bug_dir


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_bug(tmp_path, "alpha", "b1")
    write_bug(tmp_path, "alpha", "shared")
    write_bug(tmp_path, "beta", "b2")
    write_bug(tmp_path, "beta", "shared")
    (tmp_path / "empty").mkdir()
    return tmp_path


def test_suite_names_lists_suites_with_bugs(root: Path) -> None:
    assert suite_names(root) == ["alpha", "beta"]


def test_load_suite_by_name_and_path(root: Path) -> None:
    assert [b.id for b in load_suite("alpha", root)] == ["b1", "shared"]
    assert [b.id for b in load_suite(root / "beta", root)] == ["b2", "shared"]
    with pytest.raises(ValueError, match="no suite 'gamma'.*alpha, beta"):
        suite_dir("gamma", root)


def test_resolve_bug_forms(root: Path) -> None:
    assert resolve_bug(str(root / "alpha" / "b1"), root).id == "b1"
    assert resolve_bug(str(root / "alpha" / "b1" / "bug.json"), root).id == "b1"
    assert resolve_bug("beta/shared", root).dir == str((root / "beta" / "shared").resolve())
    assert resolve_bug("b2", root).dir.endswith("beta/b2")


def test_resolve_bug_errors(root: Path) -> None:
    with pytest.raises(ValueError, match="ambiguous.*alpha/shared, beta/shared"):
        resolve_bug("shared", root)
    with pytest.raises(ValueError, match="no bug 'nope' in suite 'alpha'"):
        resolve_bug("alpha/nope", root)
    with pytest.raises(ValueError, match="no bug 'zzz'"):
        resolve_bug("zzz", root)
    with pytest.raises(ValueError, match="not a bug directory"):
        resolve_bug(str(root / "empty"), root)


def test_imported_suites_are_found_after_embedded(root: Path, tmp_path_factory) -> None:
    imported = tmp_path_factory.mktemp("home") / "suites"
    write_bug(imported, "kbench", "b3")
    write_bug(imported, "alpha", "b1")
    roots = [root, imported]
    assert suite_names(roots) == ["alpha", "beta", "kbench"]
    assert resolve_bug("kbench/b3", roots).id == "b3"
    assert resolve_bug("b3", roots).id == "b3"
    assert resolve_bug("alpha/b1", roots).dir.startswith(str(root.resolve()))
