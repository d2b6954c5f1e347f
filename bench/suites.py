"""Embedded suites: find them, list their bugs, and resolve a BUG argument.

A suite is a directory `bench/suites/<suite>/` holding one directory per bug,
each with a `bug.json` (DESIGN.md, 'Bug records'). A BUG argument is one of:

- a path to a bug directory (or to its `bug.json`),
- `<suite>/<bug-id>`,
- a bare `<bug-id>` found in exactly one installed suite.

A SUITE argument is a suite name or a path to a suite directory. Suites are
installed in `bench/suites/` (embedded, shipped with kgym) and in
`$KGYM_HOME/suites/` (imported by `kgym bench import`); the first root wins.
"""

from __future__ import annotations

import re
from pathlib import Path

from kgym.models import BugSpec
from kgym.resources import package_path
from kgym.settings import settings

SUITES_DIR = package_path("bench", "suites")
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # a bare id is never a glob

Roots = Path | list[Path] | None


def suite_roots(roots: Roots = None) -> list[Path]:
    """Where suites are installed: `roots` if given, else embedded then imported."""
    if roots is None:
        return [SUITES_DIR, settings().home / "suites"]
    return [roots] if isinstance(roots, Path) else list(roots)


def suite_names(roots: Roots = None) -> list[str]:
    """The installed suites: directories under the roots holding at least one bug."""
    names = {
        p.name
        for root in suite_roots(roots)
        if root.is_dir()
        for p in root.iterdir()
        if p.is_dir() and any(p.glob("*/bug.json"))
    }
    return sorted(names)


def suite_dir(suite: str | Path, roots: Roots = None) -> Path:
    """The directory of `suite` (an installed name or a path); ValueError if none."""
    for candidate in (Path(suite), *(r / str(suite) for r in suite_roots(roots))):
        if candidate.is_dir() and any(candidate.glob("*/bug.json")):
            return candidate.resolve()
    known = ", ".join(suite_names(roots)) or "none"
    raise ValueError(f"no suite {str(suite)!r} (installed suites: {known})")


def load_suite(suite: str | Path, roots: Roots = None) -> list[BugSpec]:
    """Every bug of `suite`, sorted by id."""
    base = suite_dir(suite, roots)
    return sorted((BugSpec.load(p.parent) for p in base.glob("*/bug.json")), key=lambda b: b.id)


def resolve_bug(arg: str | Path, roots: Roots = None) -> BugSpec:
    """The bug named by `arg` (see the module docstring); ValueError naming what is wrong."""
    text = str(arg)
    path = Path(text)
    if path.name == "bug.json":
        path = path.parent
    if (path / "bug.json").is_file():
        return BugSpec.load(path)
    if path.exists():
        raise ValueError(f"{path}: not a bug directory (no bug.json)")
    dirs = suite_roots(roots)
    if "/" in text.strip("/"):
        suite, _, bug_id = text.strip("/").rpartition("/")
        for root in dirs:
            if (root / suite / bug_id / "bug.json").is_file():
                return BugSpec.load(root / suite / bug_id)
        raise ValueError(f"no bug {bug_id!r} in suite {suite!r} (installed: {_known(roots)})")
    if not _PLAIN_ID.fullmatch(text):
        raise ValueError(f"no bug {text!r}: not a bug directory, and not a plain bug id")
    matches = [
        suite / text / "bug.json"
        for root in dirs
        if root.is_dir()
        for suite in sorted(root.iterdir())
        if (suite / text / "bug.json").is_file()
    ]
    if len(matches) == 1:
        return BugSpec.load(matches[0].parent)
    if len(matches) > 1:
        where = ", ".join(f"{m.parent.parent.name}/{text}" for m in matches)
        raise ValueError(f"bug id {text!r} is ambiguous: {where}")
    raise ValueError(
        f"no bug {text!r}: not a bug directory, and no installed suite ({_known(roots)}) has it"
    )


def _known(roots: Roots) -> str:
    return ", ".join(suite_names(roots)) or "none"
