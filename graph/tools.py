"""Code tools over the buggy tree, confined to it, with bounded output.

A `Workspace` is the read-only tree plus a scratch directory that holds the
files a patcher edited; reads see the edits. Edits are search/replace; `diff()`
turns them into a unified diff relative to the tree. `code_tools()` and
`edit_tools()` wrap the methods as LangChain tools for the model.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from langchain_core.tools import BaseTool, StructuredTool, ToolException

SOURCE_SUFFIXES = (".c", ".h", ".S", ".rs", "Kconfig", "Makefile")
SKIP_DIRS = {".git", ".tmp_versions"}
MAX_GREP_MATCHES = 40
MAX_READ_LINES = 200
MAX_LIST_ENTRIES = 200
MAX_LINE_CHARS = 200


class ToolError(ToolException):
    """A tool call the model got wrong; its message goes back to the model."""


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
        scratch = self.scratch / rel
        return scratch if rel in self.edited else self.root / rel

    def text(self, path: str) -> str:
        rel = self.rel(path)
        f = self._file(rel)
        if not f.is_file():
            raise ToolError(f"{rel}: no such file")
        return f.read_text(errors="replace")

    # --- reading tools ------------------------------------------------------------

    def read_lines(self, path: str, start: int = 1, end: int | None = None) -> str:
        """Lines start..end (1-based, inclusive) of a file, numbered."""
        lines = self.text(path).splitlines()
        start = max(1, start)
        end = min(len(lines), end or start + MAX_READ_LINES - 1, start + MAX_READ_LINES - 1)
        if start > len(lines):
            raise ToolError(f"{path} has {len(lines)} lines; start {start} is past the end")
        body = "\n".join(f"{n:6d}  {lines[n - 1]}" for n in range(start, end + 1))
        return f"{self.rel(path)} lines {start}-{end} of {len(lines)}:\n{body}"

    def grep(self, pattern: str, path: str = ".", max_matches: int = MAX_GREP_MATCHES) -> str:
        """Lines matching a Python regex under `path` (a file or directory), as file:line: text."""
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise ToolError(f"bad regex {pattern!r}: {e}") from None
        hits: list[str] = []
        for rel in self._files(path):
            for n, line in enumerate(self._file(rel).read_text(errors="replace").splitlines(), 1):
                if rx.search(line):
                    hits.append(f"{rel}:{n}: {line[:MAX_LINE_CHARS]}")
                    if len(hits) >= max_matches:
                        return "\n".join(hits) + f"\n[stopped at {max_matches} matches]"
        return "\n".join(hits) or f"no match for {pattern!r} under {path}"

    def find_definition(self, symbol: str, path: str = ".") -> str:
        """Where `symbol` is defined (function, struct/union/enum, macro) under `path`."""
        if not re.fullmatch(r"[A-Za-z_]\w*", symbol):
            raise ToolError(f"{symbol!r} is not a C identifier")
        s = re.escape(symbol)
        rx = re.compile(
            rf"^(?:#\s*define\s+{s}\b|(?:struct|union|enum)\s+{s}\s*\{{|[A-Za-z_].*\b{s}\s*\([^;]*$)"
        )
        hits = []
        for rel in self._files(path, suffixes=(".c", ".h")):
            lines = self._file(rel).read_text(errors="replace").splitlines()
            for n, line in enumerate(lines, 1):
                if rx.match(line) and not line.rstrip().endswith((";", ",")):
                    hits.append(f"{rel}:{n}: {line[:MAX_LINE_CHARS]}")
            if len(hits) >= MAX_GREP_MATCHES:
                break
        return "\n".join(hits[:MAX_GREP_MATCHES]) or f"no definition of {symbol} under {path}"

    def list_dir(self, path: str = ".") -> str:
        """Entries of a directory (directories end with '/')."""
        rel = self.rel(path)
        d = self.root / rel
        if not d.is_dir():
            raise ToolError(f"{rel}: not a directory")
        names = sorted(e.name + ("/" if e.is_dir() else "") for e in d.iterdir())
        more = len(names) - MAX_LIST_ENTRIES
        return "\n".join(names[:MAX_LIST_ENTRIES]) + (f"\n[{more} more]" if more > 0 else "")

    def _files(self, path: str, suffixes: tuple[str, ...] = SOURCE_SUFFIXES) -> Iterator[str]:
        rel = self.rel(path)
        top = self.root / rel
        if top.is_file():
            yield rel
            return
        if not top.is_dir():
            raise ToolError(f"{rel}: no such file or directory")
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            for name in sorted(filenames):
                f = Path(dirpath) / name
                if name.endswith(suffixes) and f.resolve().is_relative_to(self.root):
                    yield str(f.relative_to(self.root))

    # --- editing ------------------------------------------------------------------

    def edit(self, path: str, search: str, replace: str) -> str:
        """Replace the one occurrence of `search` in a file with `replace` (in scratch)."""
        rel = self.rel(path)
        text = self.text(rel)
        count = text.count(search) if search else 0
        if count != 1:
            what = "empty search text" if not search else f"search text found {count} times"
            raise ToolError(f"{rel}: {what}; give a unique, exact snippet of the current file")
        target = self.scratch / rel
        if rel not in self.edited:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / rel, target)
            self.edited.append(rel)
        target.write_text(text.replace(search, replace, 1))
        return f"edited {rel}"

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


def code_tools(ws: Workspace) -> list[BaseTool]:
    """The reading tools: grep, read_lines, find_definition, list_dir."""
    return [
        StructuredTool.from_function(ws.grep, name="grep", **_HANDLE),
        StructuredTool.from_function(ws.read_lines, name="read_lines", **_HANDLE),
        StructuredTool.from_function(ws.find_definition, name="find_definition", **_HANDLE),
        StructuredTool.from_function(ws.list_dir, name="list_dir", **_HANDLE),
    ]


def edit_tools(ws: Workspace) -> list[BaseTool]:
    """The editing tool: search/replace on the scratch copy."""
    return [StructuredTool.from_function(ws.edit, name="edit_file", **_HANDLE)]


def _err(e: Exception) -> str:
    return f"error: {e}"


_HANDLE = {"handle_tool_error": _err, "handle_validation_error": _err}
