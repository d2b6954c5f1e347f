"""The guilty file: the source file to blame for a report, from the `file:line` of its
frames (present in symbolised reports).

Files that are on the stack of many unrelated bugs are passed over, grouped by why.
"""

from __future__ import annotations

from actors.crash_parser.anatomy import Report
from actors.crash_parser.frames import base_name
from actors.crash_parser.kinds import FrameFrom
from actors.crash_parser.skip import generic

# Directories and files whose code runs on behalf of its caller.
GENERIC_FILES: tuple[str, ...] = (
    # the report machinery: sanitizers, stack dumps, printk, panic and warnings
    "mm/kasan/",
    "mm/kmsan/",
    "mm/kfence/",
    "kernel/kcsan/",
    "lib/ubsan.c",
    "lib/dump_stack.c",
    "kernel/panic.c",
    "kernel/printk/",
    "lib/bug.c",
    "arch/x86/kernel/traps.c",
    "arch/x86/mm/fault.c",
    "arch/x86/mm/physaddr.c",
    "arch/arm64/kernel/stacktrace.c",
    "arch/x86/kernel/unwind_",
    "arch/arm64/kernel/traps.c",
    "arch/arm64/mm/fault.c",
    "kernel/stacktrace.c",
    "lib/stackdepot.c",
    "kernel/kcov.c",
    "lib/debugobjects.c",
    "lib/refcount.c",
    "mm/kmemleak.c",
    "mm/usercopy.c",
    "lib/fault-inject.c",
    # locking, RCU and scheduling primitives
    "kernel/locking/",
    "kernel/rcu/",
    "kernel/sched/",
    "kernel/softirq.c",
    "kernel/time/",
    "kernel/irq/",
    "kernel/smp.c",
    "kernel/workqueue.c",
    "kernel/kthread.c",
    "kernel/entry/",
    "kernel/hung_task.c",
    "kernel/watchdog.c",
    # allocators
    "mm/slab.c",
    "mm/slub.c",
    "mm/slab_common.c",
    "mm/slab.h",
    "mm/page_alloc.c",
    "mm/vmalloc.c",
    "mm/percpu.c",
    "mm/util.c",
    "mm/mempool.c",
    # core layers every driver or protocol goes through
    "drivers/usb/core/",
    "drivers/base/",
    "net/socket.c",
    "mm/filemap.c",
    "mm/truncate.c",
    "mm/page-writeback.c",
    "fs/sysfs/",
    "fs/kernfs/",
    # library helpers and inline headers, entry code
    "lib/",
    "include/",
    "arch/x86/include/",
    "arch/arm64/include/",
    "arch/x86/entry/",
    "arch/x86/lib/",
    "arch/arm64/lib/",
    "arch/arm64/kernel/entry",
)


def generic_file(path: str) -> bool:
    return path.startswith(GENERIC_FILES)


def guilty_file(report: Report, header_file: str | None = None) -> str | None:
    """The first frame's file that is not generic, in the order that names the crash:
    the file the header points at, the faulting IP, then the stacks."""
    if header_file and not generic_file(header_file) and "/" in header_file:
        return header_file
    frames = [f for f in report.frames if f.frame.file]  # (only symbolised ones have one)
    if report.header.kind.frame is FrameFrom.CRASH:
        frames = sorted(frames, key=lambda f: not f.crash_ip)
    for f in frames:
        path = f.frame.file
        if not path or generic_file(path):
            continue
        if generic(base_name(f.frame.function)):
            continue
        return path
    return None
