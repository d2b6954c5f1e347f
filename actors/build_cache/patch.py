"""Unified diffs: parse, check that they stay inside a tree, apply all-or-nothing.

Exact context, any line offset, zero fuzz. Understands `diff --git` headers
(new, deleted, renamed files), plain `diff -u` output, `a/` and `b/` prefixes
and "\\ No newline at end of file". Every problem is a `PatchError` naming the
file and hunk, never an exception trace.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kgym.models import PatchError

DEV_NULL = "/dev/null"
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_GIT = re.compile(r"^diff --git (\S+) (\S+)$")


class PatchFailed(Exception):
    """Raised with the structured errors of a patch set that cannot be used."""

    def __init__(self, errors: list[PatchError]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass
class Hunk:
    old_start: int
    new_start: int
    old: list[str] = field(default_factory=list)  # lines with their endings
    new: list[str] = field(default_factory=list)


@dataclass
class FilePatch:
    old_path: str | None  # None: a new file
    new_path: str | None  # None: a deleted file
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or "?"


# --- parsing --------------------------------------------------------------------


def _strip_path(raw: str) -> str | None:
    """The tree-relative path of a ---/+++ or diff --git path (None for /dev/null)."""
    raw = raw.split("\t")[0].strip()
    if raw.startswith('"') and raw.endswith('"'):
        raw = raw[1:-1]
    if raw == DEV_NULL:
        return None
    for prefix in ("a/", "b/"):
        if raw.startswith(prefix):
            return raw[len(prefix) :]
    return raw


def parse(text: str) -> list[FilePatch]:
    """Parse a (possibly multi-file) unified diff; raises PatchFailed when malformed."""
    lines = text.splitlines(keepends=True)
    files: list[FilePatch] = []
    i = 0
    while i < len(lines):
        git = _GIT.match(lines[i].rstrip("\n"))
        if git:
            i = _parse_git(lines, i, git, files)
        elif lines[i].startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            fp = FilePatch(_strip_path(lines[i][4:]), _strip_path(lines[i + 1][4:]))
            files.append(fp)
            i = _parse_hunks(lines, i + 2, fp)
        elif lines[i].startswith(("GIT binary patch", "Binary files ")):
            raise PatchFailed(
                [
                    PatchError(
                        file=files[-1].path if files else None,
                        message="binary patches are not supported",
                    )
                ]
            )
        else:
            i += 1  # commit message, signature, diffstat: not ours
    if not files:
        raise PatchFailed([PatchError(message="malformed patch: no file changes found")])
    for fp in files:
        if not fp.hunks and fp.old_path and fp.new_path and fp.old_path == fp.new_path:
            raise PatchFailed([PatchError(file=fp.path, message="malformed patch: no hunks")])
    return files


def _parse_git(lines: list[str], i: int, git: re.Match, files: list[FilePatch]) -> int:
    """A `diff --git` block: extended headers, then ---/+++ and hunks (or none)."""
    fp = FilePatch(_strip_path(git.group(1)), _strip_path(git.group(2)))
    files.append(fp)
    i += 1
    while i < len(lines) and not lines[i].startswith(("--- ", "diff --git ", "@@ ")):
        head = lines[i].rstrip("\n")
        if head.startswith("new file mode"):
            fp.old_path = None
        elif head.startswith("deleted file mode"):
            fp.new_path = None
        elif head.startswith("rename from "):
            fp.old_path = head[len("rename from ") :]
        elif head.startswith("rename to "):
            fp.new_path = head[len("rename to ") :]
        elif head.startswith(("GIT binary patch", "Binary files ")):
            raise PatchFailed(
                [PatchError(file=fp.path, message="binary patches are not supported")]
            )
        i += 1
    if i < len(lines) and lines[i].startswith("--- "):
        if i + 1 >= len(lines) or not lines[i + 1].startswith("+++ "):
            raise PatchFailed(
                [PatchError(file=fp.path, message="malformed patch: '---' without '+++'")]
            )
        i = _parse_hunks(lines, i + 2, fp)
    return i


def _parse_hunks(lines: list[str], i: int, fp: FilePatch) -> int:
    """Read the hunks of one file starting at line i; return the index after them."""
    while i < len(lines) and lines[i].startswith("@@"):
        n = len(fp.hunks) + 1
        m = _HUNK.match(lines[i])
        if not m:
            raise PatchFailed(
                [
                    PatchError(
                        file=fp.path, hunk=n, message=f"malformed hunk header: {lines[i].strip()!r}"
                    )
                ]
            )
        old_len = 1 if m.group(2) is None else int(m.group(2))
        new_len = 1 if m.group(4) is None else int(m.group(4))
        hunk = Hunk(int(m.group(1)), int(m.group(3)))
        i += 1
        while len(hunk.old) < old_len or len(hunk.new) < new_len:
            if i >= len(lines):
                raise PatchFailed(
                    [PatchError(file=fp.path, hunk=n, message="malformed patch: hunk ends early")]
                )
            line = lines[i]
            tag, body = line[:1], line[1:]
            if line in ("\n", "\r\n"):  # a blank context line whose space was eaten by a mailer
                tag, body = " ", line
            if tag == "\\":
                _drop_newline(hunk)
            elif tag in (" ", "-", "+"):
                if tag != "+":
                    hunk.old.append(body)
                if tag != "-":
                    hunk.new.append(body)
            else:
                raise PatchFailed(
                    [
                        PatchError(
                            file=fp.path,
                            hunk=n,
                            message=f"malformed patch: unexpected line {line.rstrip()!r}",
                        )
                    ]
                )
            i += 1
        if len(hunk.old) != old_len or len(hunk.new) != new_len:
            raise PatchFailed(
                [
                    PatchError(
                        file=fp.path,
                        hunk=n,
                        message="malformed patch: line counts do not match the hunk header",
                    )
                ]
            )
        while i < len(lines) and lines[i].startswith("\\"):
            _drop_newline(hunk)
            i += 1
        fp.hunks.append(hunk)
    return i


def _drop_newline(hunk: Hunk) -> None:
    """'\\ No newline at end of file': the last line read has no line ending."""
    for side in (hunk.old, hunk.new):
        if side and side[-1].endswith("\n"):
            side[-1] = side[-1][:-1]
            break


# --- safety ---------------------------------------------------------------------


def check_paths(files: list[FilePatch], root: Path) -> list[PatchError]:
    """Refuse paths that leave `root` (absolute, `..`, a symlink leading out) or that cannot
    be a file of the tree: under a file, through a symlink, a directory, a symlink."""
    errors = []
    for fp in files:
        for path in sorted({p for p in (fp.old_path, fp.new_path) if p is not None}):
            if why := target_problem(root, path):
                errors.append(PatchError(file=path, message=why))
    return errors


def target_problem(root: Path, path: str) -> str | None:
    """Why `path` cannot be written as a regular file of the tree `root` (None: it can)."""
    parts = Path(path).parts
    if not path or path.startswith("/") or ".." in parts or "\0" in path or "." in parts:
        return "path leaves the source tree"
    target = (root / path).resolve()
    real_root = root.resolve()
    if target != real_root and real_root not in target.parents:
        return "path leads out of the source tree through a symlink"
    here = root
    for i, part in enumerate(parts):
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return None  # the rest would be created
        except NotADirectoryError:
            return f"path goes under {'/'.join(parts[:i])}, which is a file"
        last = i == len(parts) - 1
        if stat.S_ISLNK(st.st_mode):
            where = "is" if last else f"goes through {'/'.join(parts[: i + 1])},"
            return f"path {where} a symbolic link"
        if last and stat.S_ISDIR(st.st_mode):
            return "path is a directory, not a file"
        if last and not stat.S_ISREG(st.st_mode):
            return "path is not a regular file"
        if not last and not stat.S_ISDIR(st.st_mode):
            return f"path goes under {'/'.join(parts[: i + 1])}, which is a file"
    return None


def check_changes(changes: dict[str, str | None]) -> list[PatchError]:
    """Refuse a change set whose files nest: a file written under another written file."""
    written = {p for p, text in changes.items() if text is not None}
    errors = []
    for path in sorted(written):
        parents = ["/".join(Path(path).parts[:i]) for i in range(1, len(Path(path).parts))]
        if nested := next((p for p in parents if p in written), None):
            errors.append(
                PatchError(file=path, message=f"path goes under {nested}, a file the patch writes")
            )
    return errors


# --- applying ---------------------------------------------------------------------


Reader = Callable[[str], str | None]


def read_file(root: Path) -> Reader:
    """A reader of tree-relative paths under `root` (None: no such file)."""

    def read(path: str) -> str | None:
        try:
            return (root / path).read_text(encoding="utf-8", errors="surrogateescape")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    return read


def apply(patches: list[list[FilePatch]], read: Reader) -> dict[str, str | None]:
    """New contents of every touched file (None: deleted), or PatchFailed with all errors."""
    changes: dict[str, str | None] = {}

    def current(path: str) -> str | None:
        return changes[path] if path in changes else read(path)

    errors: list[PatchError] = []
    for files in patches:
        for fp in files:
            try:
                _apply_file(fp, current, changes)
            except PatchFailed as e:
                errors += e.errors
        if errors:
            raise PatchFailed(errors)
    return changes


def _apply_file(fp: FilePatch, current: Reader, changes: dict[str, str | None]) -> None:
    if fp.old_path is None:
        if current(fp.path) is not None:
            raise PatchFailed([PatchError(file=fp.path, message="new file already exists")])
        text = ""
    else:
        text = current(fp.old_path)
        if text is None:
            raise PatchFailed([PatchError(file=fp.old_path, message="no such file in the tree")])
    result = _apply_hunks(fp, text)
    if fp.new_path is None:
        if result:
            raise PatchFailed(
                [PatchError(file=fp.path, message="deleted file does not match the patch")]
            )
        changes[fp.old_path] = None
        return
    if fp.old_path is not None and fp.old_path != fp.new_path:
        if current(fp.new_path) is not None:
            raise PatchFailed(
                [PatchError(file=fp.new_path, message="rename target already exists")]
            )
        changes[fp.old_path] = None
    changes[fp.new_path] = result


def _apply_hunks(fp: FilePatch, text: str) -> str:
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    pos = 0  # next unconsumed line of `lines`
    offset = 0
    for n, hunk in enumerate(fp.hunks, 1):
        start = hunk.old_start - 1 if hunk.old else hunk.old_start
        found = _find(lines, hunk.old, start + offset, pos)
        if found is None:
            raise PatchFailed(
                [PatchError(file=fp.path, hunk=n, message=_mismatch(lines, hunk, start + offset))]
            )
        offset = found - start
        out += lines[pos:found] + hunk.new
        pos = found + len(hunk.old)
    return "".join(out + lines[pos:])


def _find(lines: list[str], old: list[str], want: int, lo: int) -> int | None:
    """The position nearest `want` (>= lo) where `old` matches exactly."""
    hi = len(lines) - len(old)
    want = min(max(want, lo), max(hi, lo))
    for delta in range(max(want - lo, hi - want) + 1):
        for at in (want - delta, want + delta):
            if lo <= at <= hi and lines[at : at + len(old)] == old:
                return at
    return None


def _mismatch(lines: list[str], hunk: Hunk, at: int) -> str:
    """Why a hunk does not apply, with the first differing line at its expected place."""
    msg = f"hunk does not apply (expected at line {at + 1})"
    for k, want in enumerate(hunk.old):
        got = lines[at + k] if 0 <= at + k < len(lines) else None
        if got != want:
            shown = "end of file" if got is None else repr(got.rstrip("\n"))
            return (
                f"{msg}: line {at + k + 1} is {shown}, the patch expects {want.rstrip(chr(10))!r}"
            )
    return msg


# --- writing ------------------------------------------------------------------------


def write(root: Path, changes: dict[str, str | None]) -> None:
    """Write `changes` under `root` by replacing files, never in place (trees share inodes)."""
    for path, text in changes.items():
        target = root / path
        if text is None:
            target.unlink(missing_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kgym-")
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
