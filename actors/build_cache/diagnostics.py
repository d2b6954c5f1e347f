"""Compiler, linker and make diagnostics out of a build log, as structured records."""

from __future__ import annotations

import os.path
import re
from collections.abc import Callable
from pathlib import Path

from kgym.models import Diagnostic

MAX_DIAGNOSTICS = 100

# (pattern, how to turn a match into a Diagnostic's fields)
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], dict]]] = [
    (  # gcc: file:line[:col]: severity: message
        re.compile(
            r"^(?P<file>[^:\s][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)? "
            r"(?P<sev>fatal error|error|warning|note): (?P<msg>.*)$"
        ),
        lambda m: dict(
            file=m["file"],
            line=int(m["line"]),
            column=int(m["col"]) if m["col"] else None,
            severity=m["sev"],
            message=m["msg"],
        ),
    ),
    (  # ld: file.o:(.text+0x12): undefined reference to `x'
        re.compile(
            r"^(?:\S*ld: )?(?P<file>[^:\s]+):\([^)]*\): (?P<msg>undefined reference to .*)$"
        ),
        lambda m: dict(file=m["file"], message=m["msg"]),
    ),
    (  # ld: some other error
        re.compile(r"^\S*\bld: (?P<msg>(?!warning).*(?:error|undefined|multiple definition).*)$"),
        lambda m: dict(file="vmlinux", message=m["msg"]),
    ),
    (  # make: *** No rule to make target 'x', needed by 'y'.
        re.compile(
            r"^make(?:\[\d+\])?: \*\*\* No rule to make target '(?P<file>[^']+)'(?P<msg>.*)$"
        ),
        lambda m: dict(file=m["file"], message="no rule to make target" + m["msg"].rstrip(".")),
    ),
]


def parse(log: str, src: Path, build: Path) -> list[Diagnostic]:
    """The diagnostics of `log`, file paths made relative to the source tree `src`."""
    out: list[Diagnostic] = []
    seen = set()
    for line in log.splitlines():
        for pattern, fields in _RULES:
            if m := pattern.match(line):
                d = Diagnostic(**fields(m))
                d.file = relative(d.file, src, build)
                key = (d.file, d.line, d.column, d.message)
                if key not in seen:
                    seen.add(key)
                    out.append(d)
                break
        if len(out) >= MAX_DIAGNOSTICS:
            break
    return out


def relative(path: str, src: Path, build: Path) -> str:
    """`path` as the compiler printed it (absolute, or relative to the build dir) -> tree path."""
    full = Path(path) if path.startswith("/") else build / path
    full = Path(os.path.normpath(full))
    for root in (src, build):
        try:
            return str(full.relative_to(root))
        except ValueError:
            continue
    return path
