"""The patcher's tools over the buggy tree, confined to it, with bounded output.

A `Workspace` is the read-only tree plus a scratch directory holding the files
edited so far; reads see the edits, and `replay(edits)` rebuilds the scratch
from a branch's checkpointed edit list (so a resumed branch sees exactly its
finished edits). Reading files and editing happen here; searching (the code
index, ripgrep) and history (git) run on the platform, where the tree is — the
agent starts no process. `toolbox()` wraps both as LangChain tools.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from kgym.models import BuildRequest, CodeAnswer, CodeQuery, HistoryQuery
from kgym.platform import Platform

MAX_READ_LINES = 200
MAX_LIST_ENTRIES = 200
MAX_TOOL_CHARS = 8000


class ToolError(ToolException):
    """A tool call the model got wrong; its message goes back to the model."""


def clip(text: str, limit: int = MAX_TOOL_CHARS) -> str:
    """`text` cut at `limit` characters, with a note saying so."""
    if len(text) <= limit:
        return text
    return (
        text[:limit] + f"\n[output truncated: {len(text) - limit} more characters; "
        "narrow the query (a directory, a line range)]"
    )


class Workspace:
    """A read-only tree and a scratch copy of the files edited so far."""

    def __init__(self, tree: str | Path, scratch: str | Path):
        self.root = Path(tree).resolve()
        if not self.root.is_dir():
            raise ValueError(f"{tree}: not a directory")
        self.scratch = Path(scratch)
        self.edited: list[str] = []

    # --- paths ------------------------------------------------------------------

    def rel(self, path: str) -> str:
        """`path` relative to the tree; raises ToolError if it leaves the tree."""
        p = (self.root / path.strip().lstrip("/")).resolve()
        if not p.is_relative_to(self.root):
            raise ToolError(f"{path}: outside the source tree")
        return str(p.relative_to(self.root)) if p != self.root else "."

    def _file(self, rel: str) -> Path:
        return self.scratch / rel if rel in self.edited else self.root / rel

    def text(self, path: str) -> str:
        rel = self.rel(path)
        f = self._file(rel)
        if not f.is_file():
            raise ToolError(f"{rel}: no such file")
        return f.read_text(errors="replace")

    # --- reading ------------------------------------------------------------------

    def read_lines(self, path: str, start: int = 1, end: int | None = None) -> str:
        """Lines start..end (1-based, inclusive) of a file, numbered; your edits included."""
        lines = self.text(path).splitlines()
        start = max(1, start)
        end = min(len(lines), end or start + MAX_READ_LINES - 1, start + MAX_READ_LINES - 1)
        if start > len(lines):
            raise ToolError(f"{path} has {len(lines)} lines; start {start} is past the end")
        body = "\n".join(f"{n:6d}  {lines[n - 1]}" for n in range(start, end + 1))
        return f"{self.rel(path)} lines {start}-{end} of {len(lines)}:\n{body}"

    def list_dir(self, path: str = ".") -> str:
        """Entries of a directory (directories end with '/')."""
        rel = self.rel(path)
        d = self.root / rel
        if not d.is_dir():
            raise ToolError(f"{rel}: not a directory")
        names = sorted(e.name + ("/" if e.is_dir() else "") for e in d.iterdir())
        more = len(names) - MAX_LIST_ENTRIES
        return "\n".join(names[:MAX_LIST_ENTRIES]) + (f"\n[{more} more]" if more > 0 else "")

    # --- editing ------------------------------------------------------------------

    def edit(self, path: str, search: str, replace: str) -> str:
        """Replace the one occurrence of `search` in a file with `replace` (in scratch).

        An exact match first; failing that, a match of whole lines that differ only
        in whitespace. The answer says which.
        """
        rel = self.rel(path)
        text = self.text(rel)
        if not search:
            raise ToolError(f"{rel}: empty search text; give a unique snippet of the file")
        count = text.count(search)
        if count == 1:
            new, how = text.replace(search, replace, 1), "matched exactly"
        elif count > 1:
            raise ToolError(f"{rel}: search text found {count} times; include more context")
        else:
            spans = _loose_matches(text, search)
            if len(spans) != 1:
                what = f"{len(spans)} times" if spans else "0 times, also ignoring whitespace"
                raise ToolError(
                    f"{rel}: search text found {what}; copy a unique snippet of the current "
                    "file from read_lines (without the line numbers)"
                )
            first, last = spans[0]
            lines = text.splitlines(keepends=True)
            body = replace if replace.endswith("\n") or not replace else replace + "\n"
            new = "".join(lines[:first]) + body + "".join(lines[last:])
            how = f"matched lines {first + 1}-{last} ignoring whitespace differences"
        self._write(rel, new)
        return f"edited {rel} ({how})"

    def _write(self, rel: str, text: str) -> None:
        target = self.scratch / rel
        if rel not in self.edited:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / rel, target)
            self.edited.append(rel)
        target.write_text(text)

    def replay(self, edits: list[dict]) -> None:
        """Start from the pristine tree and redo `edits` (each succeeded before)."""
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.edited = []
        for e in edits:
            self.edit(e["path"], e["search"], e["replace"])

    def diff(self) -> str:
        """The edits as one unified diff (a/ b/ paths) relative to the tree."""
        parts = []
        for rel in self.edited:
            old = (self.root / rel).read_text(errors="replace").splitlines(keepends=True)
            new = (self.scratch / rel).read_text(errors="replace").splitlines(keepends=True)
            parts += difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}")
        return "".join(parts)

    def changed_files(self) -> list[str]:
        return [
            rel
            for rel in self.edited
            if (self.scratch / rel).read_bytes() != (self.root / rel).read_bytes()
        ]


def _norm(line: str) -> str:
    return " ".join(line.split())


def _loose_matches(text: str, search: str) -> list[tuple[int, int]]:
    """(first, end) line spans of `text` equal to `search` line by line, whitespace aside."""
    lines = text.splitlines()
    want = [_norm(s) for s in search.strip("\n").splitlines()]
    if not want or not any(want):
        return []
    n = len(want)
    return [
        (i, i + n)
        for i in range(len(lines) - n + 1)
        if all(_norm(lines[i + j]) == want[j] for j in range(n))
    ]


# --- the platform's searches, as tools ---------------------------------------------------


class PlatformTools:
    """Code index, grep and history of the buggy tree, asked of the platform."""

    def __init__(self, platform: Platform, request: BuildRequest):
        self.platform = platform
        self.request = request

    async def _code(self, kind: str, name: str, path: str = ".") -> CodeAnswer:
        answer = await self.platform.code(self.request, CodeQuery(kind=kind, name=name, path=path))
        if answer.note.startswith("error:"):
            raise ToolError(answer.note.removeprefix("error: "))
        return answer

    async def grep(self, pattern: str, path: str = ".") -> str:
        """Lines matching a regex (ripgrep syntax) under `path`, as file:line: text.

        Searches the tree as it was before your edits; output is bounded."""
        answer = await self._code("grep", pattern, path)
        return _hits(answer) or f"no match for {pattern!r} under {path}"

    async def find_definition(self, symbol: str, path: str = ".") -> str:
        """Where a function, struct/union/enum, macro, typedef or global is defined."""
        answer = await self._code("definition", symbol, path)
        return _hits(answer, kind=True) or f"no definition of {symbol} under {path}"

    async def find_references(self, symbol: str, path: str = ".") -> str:
        """Every use of an identifier (whole word) in C sources under `path`, bounded."""
        answer = await self._code("references", symbol, path)
        return _hits(answer) or f"no reference to {symbol} under {path}"

    async def find_callers(self, function: str, path: str = ".") -> str:
        """The functions that call `function`, each with the line of the call."""
        answer = await self._code("callers", function, path)
        return _hits(answer) or f"no caller of {function} under {path}"

    async def struct_layout(self, name: str) -> str:
        """The definition of struct or union `name`: its fields, in order, with line numbers."""
        answer = await self._code("struct", name)
        return answer.text or answer.note

    async def git_log(self, file: str, function: str | None = None) -> str:
        """Recent commits touching a file, or one function in it (newest first)."""
        q = HistoryQuery(kind="log", file=file, function=function)
        answer = await self.platform.history(self.request, q)
        if not answer.available or answer.note.startswith("error:"):
            return answer.note
        lines = [f"{c.sha[:12]} {c.date} {c.author}: {c.subject}" for c in answer.commits]
        return "\n".join(lines) or answer.note

    async def git_blame(self, file: str, start: int, end: int) -> str:
        """Which commit last changed each of lines start..end of a file."""
        q = HistoryQuery(kind="blame", file=file, start=start, end=end)
        answer = await self.platform.history(self.request, q)
        if not answer.available or answer.note.startswith("error:"):
            return answer.note
        subjects = "\n".join(f"{c.sha[:12]}: {c.subject}" for c in answer.commits)
        return f"{answer.text}\n\ncommits:\n{subjects}" if subjects else answer.text


def _hits(answer: CodeAnswer, kind: bool = False) -> str:
    lines = [
        f"{h.file}:{h.line}: "
        + (f"[{h.kind}] " if kind and h.kind else "")
        + (f"in {h.scope}(): " if h.scope else "")
        + h.text
        for h in answer.hits
    ]
    if lines and answer.note:
        lines.append(f"[{answer.note}]")
    return "\n".join(lines)


def toolbox(
    ws: Workspace, platform: Platform | None, request: BuildRequest | None
) -> list[BaseTool]:
    """The patcher's tools: reading and editing here, searching and history on the platform."""
    tools = [
        StructuredTool.from_function(ws.read_lines, name="read_lines", **_HANDLE),
        StructuredTool.from_function(ws.list_dir, name="list_dir", **_HANDLE),
        StructuredTool.from_function(ws.edit, name="edit_file", **_HANDLE),
    ]
    if platform is not None and request is not None:
        p = PlatformTools(platform, request)
        for fn in (
            p.grep,
            p.find_definition,
            p.find_references,
            p.find_callers,
            p.struct_layout,
            p.git_log,
            p.git_blame,
        ):
            tools.append(StructuredTool.from_function(coroutine=fn, name=fn.__name__, **_HANDLE))
    return tools


def _err(e: Exception) -> str:
    return f"error: {e}"


_HANDLE = {"handle_tool_error": _err, "handle_validation_error": _err}
