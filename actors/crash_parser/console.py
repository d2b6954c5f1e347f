"""Console lines: the kernel's own prefixes taken off, and who printed each line.

printk prefixes a line with `[  12.345678]` (CONFIG_PRINTK_TIME) and, with
CONFIG_PRINTK_CALLER, `[ T123]` (a task) or `[  C1]` (a CPU in interrupt context):
kernel/printk/printk.c, info_print_prefix(). A syslog level `<4>` may come first, and
a console may glue other output (a login prompt, a program's output) before it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Everything up to the last printk prefix near the start of the line. The "glue" part
# lets "syzkaller login: [  709.68] INFO: ..." count as a kernel line.
_PREFIX = re.compile(
    r"^(?:[^\[\n]{0,80}?)?(?:<\d{1,2}>)?"
    r"(?:\[\s*(?P<ts>\d+\.\d+)\])"
    r"(?:\[\s*(?P<caller>[TC]\d+)\])?"
    r"(?:\s?\[\s*(?P<caller2>[TC]\d+)\])?"
    r" ?"
)
# The common case, a line that starts with its timestamp.
_STAMP = re.compile(r"\[\s*\d+\.\d+\](?:\[\s*([TC]\d+)\])? ?")
_LEVEL_ONLY = re.compile(r"^<\d{1,2}>")
_CALLER_ONLY = re.compile(r"^\[\s*(?P<caller>[TC]\d+)\] ?")

# Lines longer than this are cut: a report line is never this long, a flood may be.
MAX_LINE = 1000


class Line(NamedTuple):
    """One console line: `text` without the printk prefix; `caller` is "T123"/"C1" when
    the kernel printed one; `kernel` says whether a printk prefix was there at all."""

    text: str
    caller: str | None
    kernel: bool


def split(raw: str) -> Line:
    """The printk prefix of one raw console line taken apart."""
    if len(raw) > MAX_LINE:
        raw = raw[:MAX_LINE]
    if raw.startswith("["):
        m = _STAMP.match(raw)
        if m and raw[m.end() : m.end() + 1] != "[":
            return Line(raw[m.end() :], m.group(1), True)
    if "[" in raw[:100]:
        m = _PREFIX.match(raw) if "." in raw else None  # (a timestamp has its ".")
        if m:
            return Line(raw[m.end() :], m.group("caller") or m.group("caller2"), True)
        m = _CALLER_ONLY.match(raw)
        if m:
            return Line(raw[m.end() :], m.group("caller"), True)
    if raw.startswith("<"):
        m = _LEVEL_ONLY.match(raw)
        if m:
            return Line(raw[m.end() :], None, True)
    return Line(raw, None, False)
