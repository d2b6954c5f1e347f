"""Read a unified diff for what it touches: files, hunks, lines, functions.

Not an applier (actors/build_cache/patch.py applies patches); this is what the
quality rules and the benchmark metrics look at. Lenient: text before, between
and after the file sections (a mail header, a commit message) is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
# A C function definition's first line, as git's default C funcname rule sees it:
# starts in column 0 with an identifier character and is not a label or a preprocessor line.
_FUNC_START = re.compile(r"^[A-Za-z_$]")
_FUNC_NAME = re.compile(r"([A-Za-z_]\w*)\s*\(")
_NOT_FUNC = re.compile(r"^(?:struct|union|enum|typedef|extern)\b[^(]*(?:;|\{)\s*$")


@dataclass
class HunkInfo:
    old_start: int
    new_start: int
    heading: str  # the text after the second @@ (often the enclosing function)
    removed: list[tuple[int, str]] = field(default_factory=list)  # (old line number, text)
    added: list[tuple[int, str]] = field(default_factory=list)  # (old line it goes before, text)

    def touched_old_lines(self) -> set[int]:
        """Old-side line numbers the hunk changes: the removed lines, and the position of
        each insertion that does not directly replace removed lines."""
        removed = {n for n, _ in self.removed}
        return removed | {n for n, _ in self.added if n - 1 not in removed}


@dataclass
class FileInfo:
    path: str
    hunks: list[HunkInfo] = field(default_factory=list)
    created: bool = False
    deleted: bool = False


def _path(raw: str) -> str | None:
    raw = raw.split("\t")[0].strip()
    if raw == "/dev/null":
        return None
    return raw[2:] if raw.startswith(("a/", "b/")) else raw


def parse_diff(text: str) -> list[FileInfo]:
    """The files and hunks of `text`; raises ValueError if it has no file section at all."""
    lines = text.splitlines()
    files: list[FileInfo] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            old, new = _path(lines[i][4:]), _path(lines[i + 1][4:])
            current = FileInfo(new or old or "?", created=old is None, deleted=new is None)
            files.append(current)
            i += 2
            while i < len(lines) and (m := _HUNK.match(lines[i])):
                i = _read_hunk(lines, i + 1, m, current)
            continue
        i += 1
    if not files:
        raise ValueError("not a unified diff: no '--- a/FILE' / '+++ b/FILE' section")
    return files


def _read_hunk(lines: list[str], i: int, m: re.Match[str], into: FileInfo) -> int:
    old_left = int(m[2]) if m[2] is not None else 1
    new_left = int(m[4]) if m[4] is not None else 1
    hunk = HunkInfo(int(m[1]), int(m[3]), m[5].strip())
    old = hunk.old_start if old_left else hunk.old_start + 1
    while i < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[i]
        tag, body = (line[:1], line[1:]) if line else (" ", "")
        if tag == "-":
            hunk.removed.append((old, body))
            old, old_left = old + 1, old_left - 1
        elif tag == "+":
            hunk.added.append((old, body))
            new_left -= 1
        elif tag == " ":
            old, old_left, new_left = old + 1, old_left - 1, new_left - 1
        elif tag != "\\":
            break
        i += 1
    into.hunks.append(hunk)
    return i


def hunk_count(files: list[FileInfo]) -> int:
    return sum(len(f.hunks) for f in files)


def enclosing_function(source: list[str], line: int) -> str | None:
    """The C function whose definition encloses 1-based `line` of `source`, or None.

    Walks up to the nearest line that starts in column 0 like a definition and
    names a function (`type name(`), stopping at a closing brace in column 0 that
    ends an earlier definition."""
    for n in range(min(line, len(source)) - 1, -1, -1):
        text = source[n]
        if n < line - 1 and text.startswith("}"):
            return None
        if not _FUNC_START.match(text) or text.rstrip().endswith(";") or text.endswith(":"):
            continue
        if _NOT_FUNC.match(text) or text.startswith("#"):
            continue
        if m := _FUNC_NAME.search(text):
            return m[1]
    return None


def heading_function(heading: str) -> str | None:
    """The function named in a hunk heading (`static int foo(struct bar *b)`), or None."""
    m = _FUNC_NAME.search(heading)
    return m[1] if m else None


Reader = Callable[[str], list[str] | None]
"""Lines of a file of the tree the diff applies to (None if it cannot be read)."""


def hunk_functions(files: list[FileInfo], read: Reader) -> dict[tuple[str, int], str | None]:
    """The function each (file, hunk index) changes, from the source before the patch,
    else from the hunk heading."""
    out: dict[tuple[str, int], str | None] = {}
    for f in files:
        source = None if f.created else read(f.path)
        for i, h in enumerate(f.hunks):
            touched = sorted(h.touched_old_lines())
            name = enclosing_function(source, touched[0]) if source and touched else None
            out[(f.path, i)] = name or heading_function(h.heading)
    return out


def tree_reader(root: str) -> Reader:
    """A Reader of the files under `root` (a checkout)."""

    def read(path: str) -> list[str] | None:
        full = Path(root) / path
        try:
            if not full.resolve().is_relative_to(Path(root).resolve()):
                return None
            return full.read_text(errors="replace").splitlines()
        except OSError:
            return None

    return read
