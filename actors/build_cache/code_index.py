"""A code index per kernel source, and bounded searches over a buggy tree.

    code-index/<source id>/tags    universal-ctags, sorted, of the pristine source (built once)

A buggy tree is a source plus the few files its patches change: those are
indexed on each query (ctags on a handful of files takes milliseconds) and
override the source's entries for their paths, so every bug on one source
shares one index. Definitions come from the tags (binary search); references
and grep from ripgrep, bounded; callers are references followed by `(`, each
placed in its enclosing function by ctags' end lines; a struct's layout is its
definition's source. Every answer names files relative to the tree, and no
path outside the tree is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

from actors.build_cache.cache import BuildCache
from actors.build_cache.proc import run
from actors.build_cache.sources import Source
from actors.build_cache.store import Locks
from kgym.log import get_logger
from kgym.models import BuildRequest, CodeAnswer, CodeHit, CodeQuery

CTAGS = [
    "ctags",
    "--languages=C",
    "--langmap=C:+.h",
    "--kinds-C=fsugtdev",
    "--excmd=number",
    "--fields=nKe",
    "--extras=-fq",
]
# Parts of a kernel source no x86 build or bug report reaches.
EXCLUDE = ["Documentation", "tools", "samples", "scripts", "usr", "LICENSES"]
SOURCE_GLOBS = ["*.c", "*.h", "*.S"]
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
MAX_LIMIT = 200
MAX_STRUCT_LINES = 200
MAX_LINE_CHARS = 200
SEARCH_TIMEOUT_S = 60.0
AGGREGATES = ("struct", "union")


class CodeIndex:
    """Definitions, references, callers, struct layouts and grep over buggy trees."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.root = cache.settings.home / "code-index"
        self.log = get_logger("code_index")
        self._locks = Locks()
        self._overlays: dict[tuple[str, tuple[str, ...]], list[CodeHit]] = {}

    async def query(self, request: BuildRequest, q: CodeQuery) -> CodeAnswer:
        """Answer `q` about the tree of `request` (source + patches)."""
        source, changed, tree = await self.cache.tree(request)
        limit = max(1, min(q.limit, MAX_LIMIT))
        try:
            scope = _inside(tree, q.path)
        except ValueError as e:
            return CodeAnswer(note=f"error: {e}")
        if q.kind != "grep" and not IDENTIFIER.fullmatch(q.name):
            return CodeAnswer(note=f"error: {q.name!r} is not a C identifier")
        if q.kind == "grep":
            return await self._grep(tree, q.name, scope, limit, fixed=False)
        if q.kind == "references":
            return await self._grep(tree, q.name, scope, limit, fixed=True)
        if q.kind == "callers":
            return await self._callers(tree, q.name, scope, limit)
        hits = await self.definitions(source, changed, tree, q.name)
        hits = [h for h in hits if _under(h.file, scope)]
        if q.kind == "struct":
            return _layout(tree, [h for h in hits if h.kind in AGGREGATES], q.name)
        return CodeAnswer(hits=hits[:limit], truncated=len(hits) > limit)

    # --- definitions ------------------------------------------------------------------

    async def definitions(
        self, source: Source, changed: list[str], tree: Path, name: str
    ) -> list[CodeHit]:
        tags = await self.tags(source)
        base = await asyncio.to_thread(_lookup, tags, name)
        hits = [h for h in base if h.file not in changed]
        hits += [h for h in await self._overlay(source, changed, tree) if h.text == name]
        for h in hits:
            h.text = _line(tree / h.file, h.line)
        return sorted(hits, key=lambda h: (h.file.endswith(".h"), h.file, h.line))

    async def tags(self, source: Source) -> Path:
        """The sorted tags file of `source`, built on first use."""
        final = self.root / source.id / "tags"
        if final.is_file():
            return final
        async with self._locks(source.id):
            final.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(final.parent / "lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
                if not final.is_file():
                    await self._build(source, final)
            finally:
                os.close(fd)
        return final

    async def _build(self, source: Source, final: Path) -> None:
        started = time.monotonic()
        fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tags-")
        os.close(fd)
        excludes = [f"--exclude={d}" for d in EXCLUDE] + ["--exclude=.git"]
        try:
            await run([*CTAGS, "-R", *excludes, "-f", tmp, "."], cwd=source.root)
            os.replace(tmp, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self.log.info(
            "code_index.build",
            source=source.id,
            bytes=final.stat().st_size,
            duration_s=round(time.monotonic() - started, 3),
        )

    async def _overlay(self, source: Source, changed: list[str], tree: Path) -> list[CodeHit]:
        """Tags of the changed C files, `text` holding each tag's name."""
        files = [f for f in changed if f.endswith((".c", ".h")) and (tree / f).is_file()]
        key = (source.id + str(tree), tuple(files))
        if key not in self._overlays:
            self._overlays[key] = await self._file_tags(tree, files) if files else []
        return [h.model_copy() for h in self._overlays[key]]

    async def _file_tags(self, tree: Path, files: list[str]) -> list[CodeHit]:
        _, out = await run([*CTAGS, "-f", "-", *files], cwd=tree)
        hits = []
        for raw in out.splitlines():
            name, hit = _parse_tag(raw.encode())
            if hit:
                hit.text = name
                hits.append(hit)
        return hits

    # --- searches -----------------------------------------------------------------------

    async def _grep(
        self, tree: Path, pattern: str, scope: str, limit: int, fixed: bool
    ) -> CodeAnswer:
        flags = ["--fixed-strings", "--word-regexp"] if fixed else []
        globs = [a for g in SOURCE_GLOBS for a in ("-g", g)] if fixed else []
        cmd = [
            "rg",
            "--no-heading",
            "--line-number",
            "--with-filename",
            "--color=never",
            "--max-count=20",
            f"--max-columns={MAX_LINE_CHARS}",
            "--max-columns-preview",
            *flags,
            *globs,
            "-e",
            pattern,
            "--",
            scope,
        ]
        lines, more, error = await _bounded(cmd, tree, limit)
        if error:
            return CodeAnswer(note=f"error: {error}")
        hits = [h for h in map(_rg_hit, lines) if h]
        note = f"stopped at {limit} matches" if more else ""
        return CodeAnswer(hits=hits, truncated=more, note=note)

    async def _callers(self, tree: Path, name: str, scope: str, limit: int) -> CodeAnswer:
        cmd = ["rg", "--no-heading", "-n", "--with-filename", "--color=never", "-g", "*.c"]
        lines, more, error = await _bounded(
            [*cmd, "-e", rf"\b{name}\s*\(", "--", scope], tree, limit * 5
        )
        if error:
            return CodeAnswer(note=f"error: {error}")
        hits = [h for h in map(_rg_hit, lines) if h]
        ranges: dict[str, list[CodeHit]] = {}
        files = sorted({h.file for h in hits})
        for tag in await self._file_tags(tree, files) if files else []:
            if tag.kind == "function":
                ranges.setdefault(tag.file, []).append(tag)
        out, seen = [], set()
        for h in hits:
            caller = next(
                (t for t in ranges.get(h.file, []) if t.line <= h.line <= (t.end or t.line)), None
            )
            if caller is None or caller.text == name or (h.file, caller.text) in seen:
                continue  # the definition itself, a prototype or a macro body
            seen.add((h.file, caller.text))
            out.append(h.model_copy(update={"scope": caller.text}))
        note = f"stopped at {limit} callers" if len(out) > limit or more else ""
        return CodeAnswer(hits=out[:limit], truncated=bool(note), note=note)


# --- helpers ------------------------------------------------------------------------


def _inside(tree: Path, path: str) -> str:
    """`path` relative to `tree` ("." for the root); ValueError when it leaves the tree."""
    p = (tree / (path or ".").strip().lstrip("/")).resolve()
    if not p.is_relative_to(tree.resolve()):
        raise ValueError(f"{path}: outside the source tree")
    if not p.exists():
        raise ValueError(f"{path}: no such file or directory in the tree")
    return str(p.relative_to(tree.resolve())) if p != tree.resolve() else "."


def _under(file: str, scope: str) -> bool:
    return scope == "." or file == scope or file.startswith(scope.rstrip("/") + "/")


def _line(path: Path, n: int) -> str:
    try:
        with path.open(errors="replace") as f:
            for i, text in enumerate(f, 1):
                if i == n:
                    return text.rstrip("\n")[:MAX_LINE_CHARS]
    except OSError:
        pass
    return ""


def _layout(tree: Path, hits: list[CodeHit], name: str) -> CodeAnswer:
    if not hits:
        return CodeAnswer(note=f"no struct or union {name} in the index")
    h = hits[0]
    lines = (tree / h.file).read_text(errors="replace").splitlines()
    end = min(h.end or h.line, h.line + MAX_STRUCT_LINES - 1)
    body = "\n".join(f"{n:6d}  {lines[n - 1]}" for n in range(h.line, min(end, len(lines)) + 1))
    more = f"; {len(hits) - 1} more definitions" if len(hits) > 1 else ""
    return CodeAnswer(hits=hits, text=f"{h.file}:{h.line}-{end}:\n{body}", note=more.lstrip("; "))


def _parse_tag(raw: bytes) -> tuple[str, CodeHit | None]:
    parts = raw.rstrip(b"\r\n").decode(errors="replace").split("\t")
    if len(parts) < 3 or parts[0].startswith("!_"):
        return "", None
    fields = dict(p.split(":", 1) if ":" in p else ("kind", p) for p in parts[3:])
    try:
        line = int(fields.get("line") or parts[2].split(";")[0])
    except ValueError:
        return parts[0], None
    end = int(fields["end"]) if fields.get("end", "").isdigit() else None
    path = parts[1].removeprefix("./")
    return parts[0], CodeHit(file=path, line=line, kind=fields.get("kind"), end=end)


def _lookup(tags: Path, name: str) -> list[CodeHit]:
    """Every entry of `name` in a sorted tags file (binary search by byte offset)."""
    key = name.encode()
    with tags.open("rb") as f:
        size = f.seek(0, os.SEEK_END)
        lo, hi = 0, size
        while lo < hi:
            mid = (lo + hi) // 2
            line = _line_from(f, mid)
            if not line or line.split(b"\t", 1)[0] >= key:
                hi = mid
            else:
                lo = mid + 1
        f.seek(_start_from(f, lo))
        out = []
        for raw in f:
            found, hit = _parse_tag(raw)
            if raw.split(b"\t", 1)[0] != key:
                break
            if hit and found == name:
                out.append(hit)
        return out


def _start_from(f: BinaryIO, offset: int) -> int:
    """Where the first line starting at or after `offset` begins."""
    if offset == 0:
        return 0
    f.seek(offset - 1)
    f.readline()
    return f.tell()


def _line_from(f: BinaryIO, offset: int) -> bytes:
    f.seek(_start_from(f, offset))
    return f.readline()


def _rg_hit(line: str) -> CodeHit | None:
    m = re.match(r"^(.+?):(\d+):(.*)$", line)
    if not m:
        return None
    file = m.group(1).removeprefix("./")
    return CodeHit(file=file, line=int(m.group(2)), text=m.group(3)[:MAX_LINE_CHARS])


async def _bounded(cmd: list[str], cwd: Path, limit: int) -> tuple[list[str], bool, str]:
    """The first `limit` lines `cmd` prints, whether there were more, and its error (if any)."""
    if shutil.which(cmd[0]) is None:
        return [], False, f"{cmd[0]} is not installed on the platform"
    proc = await asyncio.create_subprocess_exec(
        *cmd,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    lines: list[str] = []
    more = False
    try:
        async with asyncio.timeout(SEARCH_TIMEOUT_S):
            assert proc.stdout is not None
            async for raw in proc.stdout:
                if len(lines) >= limit:
                    more = True
                    break
                lines.append(raw.decode(errors="replace").rstrip("\n"))
    except TimeoutError:
        more = True
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        _, err = await proc.communicate()
    error = err.decode(errors="replace").strip() if proc.returncode == 2 and not lines else ""
    return lines, more, error[:500]
