"""Labelled console logs (syzkaller's report-test format), for tests and measurements.

`report/N`: header lines (TITLE:, ALT:, TYPE:, FRAME:, CORRUPTED: Y, ...), a blank
line, the raw log, optionally a blank line, "REPORT:" and the expected report.
`guilty/N`: "FILE: path", a blank line, a crash report.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from kgym.settings import settings


@dataclass
class Case:
    """One labelled log: what syzbot makes of it."""

    name: str
    log: str
    title: str | None = None
    alt_titles: list[str] = field(default_factory=list)
    type: str | None = None
    corrupted: bool = False
    suppressed: bool = False
    guilty_file: str | None = None


def _flag(value: str) -> bool:
    return value.strip() == "Y"


def read_report_case(path: Path) -> Case:
    data = path.read_bytes().decode("utf-8", "replace").replace("\r", "")
    head, _, rest = data.partition("\n\n") if not data.startswith("\n") else ("", "", data[1:])
    case = Case(name=f"report/{path.name}", log="")
    for line in head.split("\n"):
        key, _, value = line.partition(": ")
        if key == "TITLE":
            case.title = value or None
        elif key == "ALT":
            case.alt_titles.append(value)
        elif key == "TYPE":
            case.type = value
        elif key == "CORRUPTED":
            case.corrupted = _flag(value)
        elif key == "SUPPRESSED":
            case.suppressed = _flag(value)
    log_lines = rest.split("\n")
    if log_lines and log_lines[-1] == "":
        log_lines.pop()
    for i in range(1, len(log_lines)):
        if log_lines[i] == "REPORT:" and log_lines[i - 1] == "":
            log_lines = log_lines[:i]
            break
    case.log = "".join(line + "\n" for line in log_lines)
    return case


def read_guilty_case(path: Path) -> Case:
    data = path.read_bytes().decode("utf-8", "replace")
    head, _, report = data.partition("\n\n")
    case = Case(name=f"guilty/{path.name}", log=report)
    for line in head.split("\n"):
        key, _, value = line.partition(":")
        if key.strip() == "FILE":
            case.guilty_file = value.strip() or None
    return case


def _numbered(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def held_out(name: str) -> bool:
    """Whether the labelled file `name` ("report/123", "guilty/7") is in the set-aside
    fifth: chosen by a hash of the name, so the split is fixed and needs no list. Those
    files are only scored (bench/perf/parser_perf.py), never read while designing."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % 5 == 0


def load(root: Path, part: str = "all") -> tuple[list[Case], list[Case]]:
    """The report cases and the guilty-file cases under `root`: `part` is "dev" (the
    four fifths to develop on), "held-out" (the set-aside fifth) or "all"."""
    if part not in ("all", "dev", "held-out"):
        raise ValueError(f"part must be all, dev or held-out, not {part!r}")

    def wanted(kind: str, path: Path) -> bool:
        return part == "all" or held_out(f"{kind}/{path.name}") == (part == "held-out")

    reports = [read_report_case(p) for p in _numbered(root / "report") if wanted("report", p)]
    guilty = [read_guilty_case(p) for p in _numbered(root / "guilty") if wanted("guilty", p)]
    return reports, guilty


def dataset_root(repo: Path) -> Path:
    """The full development set (settings' `crash_logs_dir`) if present, else the sample
    checked in under `repo`/tests."""
    shared = settings().crash_logs_dir
    if (shared / "report").is_dir():
        return shared
    return repo / "tests" / "data" / "crash_samples"
