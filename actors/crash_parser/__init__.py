"""Crash parser: syzbot-compatible crash reports from raw kernel console logs.

First cut: detects oops headers and takes the header line as the title.
"""

from __future__ import annotations

import re

from kgym.models import CrashReport

_HEADER = re.compile(
    r"BUG:|WARNING:|INFO:|general protection fault|Kernel panic|kernel BUG|"
    r"UBSAN:|Unable to handle kernel|divide error:|invalid opcode:|stack segment: |"
    r"PANIC: double fault|unregister_netdevice: waiting for"
)
_PREFIX = re.compile(r"^\[ *\d+\.\d+\](?:\[ *[CT]\d+\])? ")


def _text(log: str | bytes) -> str:
    return log.decode("utf-8", "replace") if isinstance(log, bytes) else log


def contains_crash(log: str | bytes) -> bool:
    """Whether the console output contains the start of a kernel crash report."""
    return _HEADER.search(_text(log)) is not None


def parse(log: str | bytes, vmlinux: str | None = None) -> CrashReport:
    """Read a console log the way syzbot does; never raises."""
    text = _text(log)
    m = _HEADER.search(text)
    if m is None:
        return CrashReport(crashed=False)
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.start())
    line = _PREFIX.sub("", text[start : end if end != -1 else len(text)]).strip()
    return CrashReport(crashed=True, title=line[:120], report=text[start:])


def same_bug(a: CrashReport | str, b: CrashReport | str) -> bool:
    """Two reports name the same bug when their title/alt-title sets intersect."""

    def titles(x: CrashReport | str) -> set[str]:
        return {x} if isinstance(x, str) else x.titles()

    return bool(titles(a) & titles(b))


class CrashParser:
    """A parser with per-instance state (symboliser caches keyed by vmlinux)."""

    def parse(self, log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        return parse(log, vmlinux)


__all__ = ["CrashParser", "contains_crash", "parse", "same_bug"]
