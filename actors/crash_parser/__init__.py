"""Crash parser: syzbot-compatible crash reports from raw kernel console logs.

`parse` finds the first kernel crash report in a console log and names it the way
syzbot does (title, alternative titles, type, frames, guilty file,
corrupted/suppressed); `CrashReport.same_bug` (the foundation) is syzbot's
deduplication rule. The design:
console.py (printk prefixes), kinds.py (the table of report kinds), anatomy.py (a
report's parts and stacks), frames.py (the frame grammar), skip.py (generic frames),
titles.py, guilty.py, symbolize.py; README.md says where the facts come from.
"""

from __future__ import annotations

from actors.crash_parser.parser import CrashParser, contains_crash
from kgym.models import CrashReport

_default = CrashParser()


def parse(log: str | bytes, vmlinux: str | None = None) -> CrashReport:
    """Read a console log the way syzbot does; never raises. With `vmlinux`, frames are
    symbolised to file:line and the guilty file is taken from them."""
    return _default.parse(log, vmlinux)


__all__ = ["CrashParser", "contains_crash", "parse"]
