"""kBench records (syzbot bugs as published with kGym), loaded as they are.

Two sets live under the records directory: `Kernel_Benchmark/` (kBenchSyz) and
`Kernel_Benchmark_C_Repro/` (bugs with C reproducers), one JSON file per bug.
List fields are JSON arrays in the published files; some copies store them as
Python-repr strings (`"['mm']"`), so both forms are read.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from kgym.settings import settings

SETS = {"syz": "Kernel_Benchmark", "c": "Kernel_Benchmark_C_Repro"}


def _parse_list(value: Any) -> Any:
    """A list given as JSON or as a Python-repr string becomes a list; others pass through."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(text)
        except (ValueError, SyntaxError):
            continue
        if isinstance(parsed, list | tuple):
            return list(parsed)
    raise ValueError(f"expected a list (JSON or Python repr), got {value[:80]!r}")


def _parse_dict(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    for parse in (json.loads, ast.literal_eval):
        try:
            parsed = parse(value.strip())
        except (ValueError, SyntaxError):
            continue
        if isinstance(parsed, dict):
            return parsed
    raise ValueError(f"expected an object (JSON or Python repr), got {value[:80]!r}")


T = TypeVar("T")
ListOf = Annotated[list[T], BeforeValidator(_parse_list)]


class Record(BaseModel):
    """Base: field names in Python style, JSON keys as the records spell them."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        alias_generator=lambda name: name.replace("_", "-"),
    )


class Commit(Record):
    """A commit as the dashboard lists it (fix or cause); `hash`/`link` may be missing."""

    title: str
    hash: str | None = None
    link: str | None = None
    repo: str | None = None
    branch: str | None = None


class Crash(Record):
    """One crash of the bug: the kernel it happened on and dashboard links to its texts."""

    title: str
    syz_reproducer: str | None = None
    c_reproducer: str | None = None
    kernel_config: str
    kernel_source_git: str
    kernel_source_commit: str
    syzkaller_git: str
    syzkaller_commit: str
    compiler_description: str
    architecture: str
    crash_report_link: str


class KBenchRecord(Record):
    """One kBench bug record."""

    version: int
    title: str
    display_title: str
    id: str
    status: str
    fix_commits: ListOf[Commit]
    crashes: ListOf[Crash]
    subsystems: ListOf[str]
    parent_of_fix_commit: str = Field(alias="parent_of_fix_commit")
    patch: str
    patch_modified_files: ListOf[str] = Field(alias="patch_modified_files")
    discussions: ListOf[str] = Field(default_factory=list)
    patch_modified_functions: ListOf[tuple[str, str]] = Field(
        default_factory=list, alias="patch_modified_functions"
    )
    patch_commit_date: str | None = Field(default=None, alias="patch_commit_date")
    cause_commit_date: str | None = Field(default=None, alias="cause_commit_date")
    cause_commit: Annotated[Commit | None, BeforeValidator(_parse_dict)] = None
    cause_modified_functions: ListOf[tuple[str, str]] = Field(
        default_factory=list, alias="cause_modified_functions"
    )
    clean_crash_report: ListOf[str] = Field(default_factory=list, alias="clean_crash_report")
    crash_kernel_id: str | None = Field(default=None, alias="crash_kernel_id")

    @property
    def crash_class(self) -> str:
        return crash_class(self.title)

    @property
    def fix_hashes(self) -> list[str]:
        return [c.hash for c in self.fix_commits if c.hash]

    def c_crash(self) -> Crash | None:
        """The first crash with a C reproducer (what an offline VM can run)."""
        return next((c for c in self.crashes if c.c_reproducer), None)


# --- crash classes -------------------------------------------------------------

# (pattern, class) tried in order on a title; the default is the text before " in ".
_CLASS_RULES = [
    (re.compile(r"^kernel BUG at "), "kernel BUG"),
    (re.compile(r"^WARNING: filesystem .* was created with"), "WARNING"),
    (re.compile(r"^(KASAN|KMSAN|KCSAN): ([\w-]+)"), r"\1: \2"),
    (re.compile(r"^unregister_netdevice: waiting for"), "unregister_netdevice"),
]


def crash_class(title: str) -> str:
    """The kind of crash a title names.

    'KASAN: use-after-free Read in f' -> 'KASAN: use-after-free'; 'WARNING in f' -> 'WARNING'.
    """
    for pattern, cls in _CLASS_RULES:
        match = pattern.match(title)
        if match:
            return match.expand(cls)
    head = re.split(r" in ", title, maxsplit=1)[0]
    return head.rstrip("!").strip() or "unknown"


# --- loading -------------------------------------------------------------------


def load_record(path: str | Path) -> KBenchRecord:
    """Read one record; ValueError naming the file on bad input."""
    path = Path(path)
    try:
        return KBenchRecord.model_validate_json(path.read_text())
    except FileNotFoundError as e:
        raise ValueError(f"{path}: no such kBench record") from e
    except ValueError as e:
        raise ValueError(f"{path}: malformed kBench record: {e}") from e


def record_paths(root: str | Path | None = None, sets: list[str] | None = None) -> list[Path]:
    """The record files of `sets` ('syz', 'c'; default both), sorted.

    `root` defaults to the settings' `kbench_dir` (KGYM_DATA_DIR/kbench)."""
    root = Path(root) if root else settings().kbench_dir
    chosen = sets or list(SETS)
    unknown = [s for s in chosen if s not in SETS]
    if unknown:
        raise ValueError(f"unknown kBench set(s) {unknown}; known: {', '.join(SETS)}")
    paths = [p for s in chosen for p in sorted((root / SETS[s]).glob("*.json"))]
    if not paths:
        raise ValueError(f"{root}: no kBench records in {', '.join(SETS[s] for s in chosen)}")
    return paths


def iter_records(
    root: str | Path | None = None, sets: list[str] | None = None
) -> Iterator[KBenchRecord]:
    for path in record_paths(root, sets):
        yield load_record(path)


def find_record(
    bug_id: str, root: str | Path | None = None, sets: list[str] | None = None
) -> KBenchRecord:
    """The record whose id is `bug_id` (or starts with it, if unique)."""
    matches = {p.stem: p for p in record_paths(root, sets) if p.stem.startswith(bug_id)}
    if len(matches) != 1:
        problem = "no" if not matches else f"{len(matches)} (ambiguous)"
        raise ValueError(f"{problem} kBench record with id {bug_id!r} under {root}")
    return load_record(next(iter(matches.values())))


def golden_images(root: str | Path | None = None) -> dict[str, str]:
    """Bug id -> userspace image kGym ran it with (from `golden_subset_*.json`)."""
    images: dict[str, str] = {}
    for path in sorted(Path(root or settings().kbench_dir).glob("golden_subset_*.json")):
        for entry in json.loads(path.read_text())["bugs"]:
            images[entry["id"]] = entry["image"]
    return images
