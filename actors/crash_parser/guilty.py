"""The guilty file: the first source file in a (symbolised) report that is not generic code.

The patterns follow syzkaller's pkg/report (Apache-2.0), so that titles match syzbot's.
"""

from __future__ import annotations

import posixpath
import re

_FILE_LINE = re.compile(r"([a-zA-Z0-9_\-\./]*[a-zA-Z0-9_\-]+\.(c|h)):[0-9]+")
_DEEPER = re.compile(r"^/[a-zA-Z0-9_\-\./]+/[a-zA-Z0-9_\-]+\.(c|h)$")

# Files where bugs show up but are rarely made: headers, libraries, allocators, sanitizers,
# locking, scheduling, printing, fault handling, generic driver/net plumbing.
GENERIC_FILES = re.compile("|".join(f"(?:{p})" for p in (
        r".*\.h", r"^lib/.*", r"^virt/lib/.*", r"^mm/kasan/.*", r"^mm/kmsan/.*",
        r"^kernel/kcov.c", r"^mm/sl.b.c", r"^mm/filemap.c", r"^mm/folio-compat.c",
        r"^mm/truncate.c", r"^mm/memory.c", r"^mm/percpu.*", r"^mm/vmalloc.c",
        r"^mm/page_alloc.c", r"^mm/mempool.c", r"^mm/util.c", r"^kernel/rcu/.*",
        r"^arch/.*/kernel/traps.c", r"^arch/.*/kernel/unwind.*.c", r"^arch/.*/mm/fault.c",
        r"^arch/.*/mm/physaddr.c", r"^arch/.*/kernel/stacktrace.c",
        r"^arch/.*/kernel/apic/apic.c", r"^arch/arm64/kernel/entry.*.c",
        r"^arch/arm64/kernel/process\.c", r"^kernel/locking/.*", r"^kernel/panic.c",
        r"^kernel/printk/printk.*.c", r"^kernel/softirq.c", r"^kernel/kthread.c",
        r"^kernel/sched/.*.c", r"^kernel/stacktrace.c", r"^kernel/time/timer.c",
        r"^kernel/workqueue.c", r"^net/core/dev.c", r"^net/core/sock.c", r"^net/core/skbuff.c",
        r"^fs/proc/generic.c",
        r"^trusty/",  # not in the kernel tree
        r"^drivers/usb/core/urb.c",  # a WARNING here is usually a driver's bug
        r"^arch/.*/lib/crc.*",  # callers' bugs
)))  # fmt: skip

# Lines whose file names are not where the crash happened (lockdep's "at:" lines, ...).
_NOT_CRASH_SITE = re.compile(
    r"(hardirqs|softirqs)\s+last\s+(enabled|disabled)|,\s+at:\s+|^\s*#\d+:"
    r"|^Register r\d+ information"
)

# Interrupt entry points after which an RCU stall's looping code shows.
_STALL_ENTRIES = ("apic_timer_interrupt+0x", "el1h_64_irq+0x", "Exception stack")


def _generic(file: str, line: str) -> bool:
    return bool(GENERIC_FILES.match(file) or _NOT_CRASH_SITE.search(line))


def _clean(path: str) -> str:
    return posixpath.normpath(path) if path else "."


def _guilty(report: str) -> str | None:
    lines = report.split("\n")
    guilty = ""
    rest = 0
    for i, line in enumerate(lines):
        m = _FILE_LINE.search(line) if ".c:" in line or ".h:" in line else None
        if m is None:
            continue
        rest = i + 1
        if not guilty:
            guilty = m.group(1)  # better some file than none
        if _generic(m.group(1), line):
            continue
        guilty = _clean(m.group(1))
        break
    else:
        rest = len(lines)
    # A deeper path below the first guess, in the same directory, is more specific.
    deepest = posixpath.dirname(guilty) or "."
    for line in lines[rest:]:
        m = _FILE_LINE.search(line) if ".c:" in line or ".h:" in line else None
        if m is None or _generic(m.group(1), line):
            continue
        clean = _clean(m.group(1))
        if clean.startswith(deepest) and _DEEPER.match(clean[len(deepest) :]):
            guilty = clean
            deepest = posixpath.dirname(guilty) or "."
    return guilty or None


def guilty_file(title: str, report: str) -> str | None:
    """The source file to blame for the crash in `report` (which must carry file:line)."""
    if title.startswith("INFO: rcu detected stall"):
        # Too many generic frames precede the looping code; start at the interrupt entry.
        for entry in _STALL_ENTRIES:
            pos = report.find(entry)
            if pos != -1 and (file := _guilty(report[pos:])):
                return file
    return _guilty(report)
