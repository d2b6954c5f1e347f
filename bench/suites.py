"""Embedded suites: find them, list their bugs, and resolve a BUG argument.

A suite is a directory `bench/suites/<suite>/` holding one directory per bug,
each with a `bug.json` (DESIGN.md, 'Bug records'). A BUG argument is one of:

- a path to a bug directory (or to its `bug.json`),
- `<suite>/<bug-id>`,
- a bare `<bug-id>` found in exactly one installed suite.

A SUITE argument is a suite name under `bench/suites/` or a path to a suite directory.
"""

from __future__ import annotations

from pathlib import Path

from kgym.models import BugSpec

SUITES_DIR = Path(__file__).resolve().parent / "suites"


def suite_names(root: Path = SUITES_DIR) -> list[str]:
    """The installed suites: directories under `root` holding at least one bug."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob("*/bug.json")))


def suite_dir(suite: str | Path, root: Path = SUITES_DIR) -> Path:
    """The directory of `suite` (a name under `root` or a path); ValueError if none."""
    path = Path(suite)
    for candidate in (path, root / str(suite)):
        if candidate.is_dir() and any(candidate.glob("*/bug.json")):
            return candidate.resolve()
    known = ", ".join(suite_names(root)) or "none"
    raise ValueError(f"no suite {str(suite)!r} (installed suites: {known})")


def load_suite(suite: str | Path, root: Path = SUITES_DIR) -> list[BugSpec]:
    """Every bug of `suite`, sorted by id."""
    base = suite_dir(suite, root)
    return sorted((BugSpec.load(p.parent) for p in base.glob("*/bug.json")), key=lambda b: b.id)


def resolve_bug(arg: str | Path, root: Path = SUITES_DIR) -> BugSpec:
    """The bug named by `arg` (see the module docstring); ValueError naming what is wrong."""
    text = str(arg)
    path = Path(text)
    if path.name == "bug.json":
        path = path.parent
    if (path / "bug.json").is_file():
        return BugSpec.load(path)
    if "/" in text.strip("/") and not path.exists():
        suite, _, bug_id = text.strip("/").rpartition("/")
        candidate = root / suite / bug_id
        if (candidate / "bug.json").is_file():
            return BugSpec.load(candidate)
        raise ValueError(f"no bug {bug_id!r} in suite {suite!r} (looked for {candidate}/bug.json)")
    if path.exists():
        raise ValueError(f"{path}: not a bug directory (no bug.json)")
    matches = sorted(root.glob(f"*/{text}/bug.json")) if root.is_dir() and text else []
    if len(matches) == 1:
        return BugSpec.load(matches[0].parent)
    if len(matches) > 1:
        where = ", ".join(f"{m.parent.parent.name}/{text}" for m in matches)
        raise ValueError(f"bug id {text!r} is ambiguous: {where}")
    raise ValueError(
        f"no bug {text!r}: not a bug directory, and no installed suite "
        f"({', '.join(suite_names(root)) or 'none'}) has it"
    )
