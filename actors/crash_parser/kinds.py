"""The kinds of kernel report: how each one's first line looks, what syzbot calls it,
and which frame names it.

Each entry names, in its comment, the kernel function that prints its header (Linux
6.1 paths unless said otherwise; older kernels printed some headers differently, and
those spellings are entries too). Titles follow syzbot's conventions as seen in the
labelled logs (see README.md). Template fields: the header's named groups, `frame`
(the function that names the bug, see `Kind.frame`), `access` ("Read"/"Write" from a
KASAN access line).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

from actors.crash_parser.paths import tree_path
from actors.crash_parser.skip import KIND_SKIPS


class FrameFrom(Enum):
    """Where the function that names the bug comes from."""

    NONE = "none"  # the title names no function
    CRASH = "crash"  # the faulting IP (RIP:/pc :/IP:), then the call trace
    TRACE = "trace"  # the first call trace of the report
    HEADER = "header"  # the `func` group of the header, if it is not a generic frame,
    # else the call trace
    OUTERMOST = "outermost"  # the unit of work: the outermost frame of the first stack
    # that is neither generic nor dispatch (a stack overflow names what recursed)
    INTERRUPTED = "interrupted"  # the code an interrupt stopped: frames after the
    # <IRQ>...</IRQ> (or <EOI>) part of the stack; the interrupt itself if none


@dataclass(frozen=True)
class NamedAt:
    """Where a lockdep report's naming frame is (syzbot's convention): after the first
    line matching `after`, the first place ("..., at: f+0x1/0x2") names it; or, with
    `past_generic`, the first frame that is not generic among the next `places` places
    and then the stack frames that follow them."""

    after: re.Pattern[str]
    places: int = 1
    past_generic: bool = False


@dataclass(frozen=True)
class Kind:
    """One kind of report."""

    header: re.Pattern[str]  # matched at the start of a prefix-less console line
    title: str  # a template, see the module docstring
    type: str | Callable[[dict[str, str]], str | None] | None
    frame: FrameFrom = FrameFrom.CRASH
    alts: tuple[str, ...] = ()  # alternative titles (templates)
    # The naming stack starts after the first line matching this (e.g. lockdep's
    # "-> #0" dependency or "stack backtrace:"); the whole report if absent.
    stack_after: re.Pattern[str] | None = None
    needs_trace: bool = False  # an oops: its header lines come before its stack
    # A trap (an oops, a WARN): it can hit while another report is being printed, and
    # then carries that report's stack.
    trap: bool = False
    has_stack: bool = True  # the kernel prints a stack with it: without one, it was cut
    held_locks: bool = False  # named by where a held lock was taken
    # The header names the function that made a bad memory access (KASAN, KMSAN,
    # KFENCE): it is passed over only if it accessed on its caller's behalf.
    accessor: bool = False
    suppressed: bool = False  # syzbot ignores it: the test harness, not the kernel, failed
    ends_with_separator: bool = False  # the report closes with a "=====" line
    # A report of this kind only closes another one (a panic after an oops): it starts
    # a report only when no other report came before it.
    closing: bool = False
    after_output: bool = False  # only after kernel output (a boot is not a reboot)
    refine: Callable[[dict[str, str], str], dict[str, str]] | None = None
    name: str = field(default="")
    # Frames that name no report of this kind (a key of skip.KIND_SKIPS)
    skips: str | None = None
    # With stack_after: no such line means the stack that names it is missing
    stack_required: bool = False
    # Only a line the kernel printed (with a printk prefix, in a log that has them)
    kernel_only: bool = False
    # Where the naming frame is, if not by `frame`'s rule (lockdep's places)
    named_at: NamedAt | None = None
    # Frames that name a report of this kind wherever they are in its naming stack: a
    # word a frame's name contains, and the name the title then gives (None: its own)
    anchors: tuple[tuple[str, str | None], ...] = ()
    # The title's `msg` is the report's second line (the header only announces it)
    message_line: bool = False
    # The title when the report has no access line (`rest`: the header after the
    # sanitizer's name): a report cut or mixed up before it, so corrupted
    without_access: str | None = None


# A hung task is a victim: it waits on whatever the bug holds. syzbot groups the two
# common waits wherever they are in its stack: the RTNL (rtnl_lock() and its
# variants name it) and an RCU grace period (every synchronize_*() is the same wait).
HUNG_ANCHORS: tuple[tuple[str, str | None], ...] = (
    ("rtnl_lock", None),
    ("synchronize_rcu", "synchronize_rcu"),
    ("synchronize_srcu", "synchronize_rcu"),
    ("synchronize_net", "synchronize_rcu"),
    ("synchronize_sched", "synchronize_rcu"),
)


def _h(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_FN = r"(?P<func>[A-Za-z_$][\w$.]*)(?:\+0x[0-9a-f]+/0x[0-9a-f]+)?"
_BAD_ACCESS = ("bad-access in {frame}",)


def _kasan_type(f: dict[str, str]) -> str:
    bug = f.get("bug", "")
    access = (f.get("access") or "Read").upper()
    if "use-after-free" in bug:
        return f"KASAN-USE-AFTER-FREE-{access}"
    if "null-ptr-deref" in bug:
        return f"KASAN-NULL-POINTER-DEREFERENCE-{access}"
    if "double-free" in bug or "invalid-free" in bug:
        return "KASAN-INVALID-FREE"
    return f"KASAN-{access}"


def _kfence_type(f: dict[str, str]) -> str:
    bug = f.get("bug", "").upper().replace(" ", "-")
    return "KFENCE-" + bug.replace("OUT-OF-BOUNDS-", "").replace("INVALID-", "")


# syzbot's crash types (a function of the title's first words) for the other sanitizers
def _kmsan_type(f: dict[str, str]) -> str:
    bug = f.get("bug", "")
    if "after-free" in bug:
        return "KMSAN-USE-AFTER-FREE-READ"
    if "infoleak" in bug:
        return "KMSAN-INFO-LEAK"
    return "KMSAN-UNINIT-VALUE" if bug == "uninit-value" else "KMSAN-UNKNOWN"


def _kcsan_type(f: dict[str, str]) -> str:
    bug = f.get("bug", "")
    if bug == "data-race":
        return "KCSAN-DATARACE"
    return "KCSAN-ASSERT" if bug == "assert: race" else "KCSAN-UNKNOWN"


def _ubsan_refine(f: dict[str, str], text: str) -> dict[str, str]:
    if f["bug"] == "Undefined behaviour":  # before 5.x: one word for every check
        return {"bug": "undefined-behaviour", "no_alts": "y"}
    # an index past an array's end is a bad access too; the other checks are not
    return {} if f["bug"] == "array-index-out-of-bounds" else {"no_alts": "y"}


# WARN()s whose title names what warned rather than where: the file the WARNING
# header points at, syzbot's name for it, and the helpers (skip.KIND_SKIPS) that
# name no such bug.
WARN_SOURCES: dict[str, tuple[str, str | None]] = {
    "lib/refcount.c": ("refcount bug", "refcount"),  # refcount_warn_saturate()
    "lib/debugobjects.c": ("ODEBUG bug", "odebug"),  # debug_print_object()
    "mm/usercopy.c": ("bad usercopy", "usercopy"),  # usercopy_warn() (older kernels)
    "kernel/locking/lockdep.c": ("locking bug", None),  # DEBUG_LOCKS_WARN_ON()
    # (not lib/list_debug.c: a WARN of __list_add_valid() without BUG_ON_DATA_CORRUPTION
    # is a plain WARNING, named past the list helpers)
    "lib/kobject.c": ("kobject bug", "kobject"),  # kobject_add_internal() and friends
    "fs/proc/generic.c": ("proc registration bug", "proc"),  # proc_register()
}
# BUG()s likewise, from "kernel BUG at FILE:LINE!".
BUG_SOURCES: dict[str, str] = {
    "mm/usercopy.c": "BUG: bad usercopy",  # usercopy_abort()
    "lib/list_debug.c": "BUG: corrupted list",  # __list_add_valid() and friends
}


_KMALLOC = re.compile(r"k?.?malloc")  # kmalloc*, kvmalloc*, kzmalloc... (not __kmalloc)


def _warn_refine(f: dict[str, str], text: str) -> dict[str, str]:
    file, func = f.get("file", ""), f.get("func", "")
    what, skips = WARN_SOURCES.get(file, (None, None))
    if file == "kernel/locking/lockdep.c" and "lock_" not in func:
        what = None  # lockdep's other self-checks (check_flags()) are plain WARNINGs
    suffix = ""
    if what is None and file.startswith("mm/") and _KMALLOC.match(func):
        # a kmalloc-family size check (kmalloc_slab(), __kmalloc_node(), kvmalloc_node())
        what, skips = "kmalloc bug", "kmalloc"
    elif what is None and file == "mm/vmalloc.c" and func.startswith("__vmalloc_node"):
        what = "zero-size vmalloc"  # __vmalloc_node_range(): a zero-size request
    elif what is None and func == "usb_submit_urb":
        # drivers/usb/core/urb.c usb_submit_urb(): a bad URB, named by the driver and
        # by the check it failed
        suffix, skips = "/usb_submit_urb", "usb"
    out = {"what": f": {what}" if what else "", "suffix": suffix}
    if skips:
        out["skips"] = skips
    return out


def _bug_refine(f: dict[str, str], text: str) -> dict[str, str]:
    what = BUG_SOURCES.get(f.get("file", ""), "kernel BUG")
    # a corrupted list is as often a bad access (a race, a use-after-free) as a bad use
    return {"what": what} if "corrupted list" in what else {"what": what, "no_alts": "y"}


def _warn_type(f: dict[str, str]) -> str | None:
    what = f.get("what", "")
    if "refcount" in what:
        return "REFCOUNT_WARNING"
    if "locking" in what:
        return "LOCKDEP"
    return "WARNING"


# Kernel panic messages (the argument of panic(), kernel/panic.c) and the part of
# them a title keeps: a message with a function names it; the others keep their text
# up to the first detail that changes from run to run.
def _panic_refine(f: dict[str, str], text: str) -> dict[str, str]:
    msg = f.get("msg", "").strip()
    m = re.match(r"stack-protector: Kernel stack is corrupted in: (\S+?)(?:\+0x|$)", msg)
    if m:  # __stack_chk_fail(), kernel/panic.c; %pB, or a bare address in old kernels
        # (the message names the function: the report needs no call trace)
        if re.fullmatch(r"(?:0x)?[0-9a-f]{8,16}", m.group(1)):
            return {"msg": "stack is corrupted", "with_frame": "trace", "no_stack": "y"}
        return {"msg": "stack is corrupted in " + m.group(1), "no_stack": "y"}
    if msg.startswith("Attempted to kill init!"):  # do_exit(): init died, the harness broke
        return {"msg": "Attempted to kill init!", "suppressed": "y"}
    if msg.startswith("corrupted stack end detected inside scheduler"):
        # schedule_debug(), kernel/sched/core.c: the stack names the victim
        return {"msg": "corrupted stack end", "with_frame": "outermost"}
    if msg.startswith("Fatal exception"):  # oops_end(): the oops it ends is not here
        return {"msg": "Fatal exception", "cut": "the oops this panic ends is missing"}
    # check_panic_on_warn() (a WARN or a KASAN report), hung_task's panic: the report
    # that panicked is not here either
    for ends in ("panic_on_warn set", "hung_task: blocked tasks"):
        if msg.startswith(ends):
            return {"msg": ends, "cut": "the report this panic ends is missing"}
    # details after the message proper; a colon inside it is its own ("VFS: Unable to
    # mount root fs", "hung_task: blocked tasks") and stays
    for cut in (" exitcode=", " in interrupt", " for ", " --- "):
        i = msg.find(cut)
        if i > 0:
            msg = msg[:i]
            break
    return {"msg": msg.rstrip(". ")}


# fmt: off
KINDS: tuple[Kind, ...] = (
    # --- sanitizers --------------------------------------------------------------
    Kind(  # mm/kasan/report.c kasan_report_invalid_free() ("double-free or invalid-free"
        # before 5.x, "double-free" or "invalid-free" since): syzbot calls all of them
        # an invalid free, named by the code that freed
        _h(r"BUG: KASAN: (?P<bug>double-free or invalid-free|double-free|invalid-free) in "
           + _FN),
        "KASAN: invalid-free in {frame}", "KASAN-INVALID-FREE", FrameFrom.HEADER,
        ("invalid-free in {frame}",), ends_with_separator=True, name="kasan-free",
    ),
    Kind(  # mm/kasan/report.c print_error_description(), kasan_report_invalid_free()
        _h(r"BUG: KASAN: (?P<bug>[\w-]+(?: or [\w-]+)?) in " + _FN),
        # (4.x: "... in f+0x1/0x2 at addr ADDR"); the access line ("Read of size 4 at
        # addr", 4.x "... by task") follows: without it the title is the header's text
        "KASAN: {bug} {access} in {frame}", _kasan_type, FrameFrom.HEADER, _BAD_ACCESS,
        ends_with_separator=True, accessor=True, skips="kasan", name="kasan",
        without_access="KASAN: {rest}",
    ),
    Kind(  # mm/kasan/report.c kasan_report_error() of 4.x for a wild or user-memory
        # access: no function in the header, the title keeps the bug and the access
        _h(r"BUG: KASAN: (?P<bug>[\w-]+) on address"),
        "KASAN: {bug} {access}", _kasan_type, FrameFrom.NONE, ends_with_separator=True,
        name="kasan-address",
    ),
    Kind(  # mm/kasan/report.c kasan_report_async() (arm64 MTE)
        _h(r"BUG: KASAN: (?P<bug>invalid-access)\s*$"),
        "KASAN: {bug} {access} in {frame}", "KASAN-READ", FrameFrom.TRACE, _BAD_ACCESS,
        ends_with_separator=True, name="kasan-async",
    ),
    Kind(  # any other KASAN header (one cut short, a bug word of another kernel): the
        # title keeps what follows "KASAN:", and the report counts as corrupted
        _h(r"BUG: KASAN: (?P<rest>.+?)\s*$"),
        "KASAN: {rest}", _kasan_type, FrameFrom.NONE, ends_with_separator=True,
        refine=lambda f, t: {"cut": "a KASAN header of no known shape"},
        name="kasan-other",
    ),
    Kind(  # mm/kmsan/report.c kmsan_report()
        _h(r"BUG: KMSAN: (?P<bug>[\w -]+?) in " + _FN),
        "KMSAN: {bug} in {frame}", _kmsan_type,
        FrameFrom.HEADER, _BAD_ACCESS, ends_with_separator=True, accessor=True,
        skips="kmsan", name="kmsan",
    ),
    Kind(  # mm/kfence/report.c kfence_report_error()
        _h(r"BUG: KFENCE: (?P<bug>[\w -]+?) in " + _FN),
        "KFENCE: {bug} in {frame}", _kfence_type, FrameFrom.HEADER, _BAD_ACCESS,
        ends_with_separator=True, accessor=True,
        # an access names a bad access; a corrupted canary or a bad free does not, and
        # their reports need no call trace (syzbot's convention)
        refine=lambda f, t: {} if f["bug"].endswith(("read", "write"))
        else {"no_alts": "y", "no_stack": "y"},
        name="kfence",
    ),
    Kind(  # kernel/kcsan/report.c print_report()
        _h(r"BUG: KCSAN: (?P<bug>[\w-]+) in (?P<a>[\w.]+)(?:\+0x\S+)? / (?P<b>[\w.]+)"),
        "KCSAN: {bug} in {a} / {b}", "KCSAN-DATARACE", FrameFrom.NONE,
        ends_with_separator=True, name="kcsan",
    ),
    Kind(  # kernel/kcsan/report.c print_report(): one side known ("%s in %pS"), as for
        # an ASSERT_EXCLUSIVE_*() violation or a race with an unknown origin
        _h(r"BUG: KCSAN: (?P<bug>[\w-]+(?:: race)?) in " + _FN + r"\s*$"),
        "KCSAN: {bug} in {frame}", _kcsan_type, FrameFrom.HEADER,
        ends_with_separator=True, name="kcsan-one",
    ),
    Kind(  # lib/ubsan.c ubsan_prologue() ("Undefined behaviour in" before 5.x)
        _h(r"UBSAN: (?P<bug>[\w-]+|Undefined behaviour) in (?P<where>\S+)"),
        "UBSAN: {bug} in {frame}",
        lambda f: "MEMORY_SAFETY_UBSAN" if f["bug"] == "array-index-out-of-bounds" else "UBSAN",
        FrameFrom.TRACE, _BAD_ACCESS,
        ends_with_separator=True, skips="ubsan", refine=_ubsan_refine, name="ubsan",
    ),
    # --- memory leaks ------------------------------------------------------------
    Kind(  # mm/kmemleak.c print_unreferenced(); syzkaller prints "BUG: memory leak"
        _h(r"(?:BUG: memory leak|unreferenced object 0x[0-9a-f]+ \(size \d+\):)"),
        "memory leak in {frame}", "LEAK", FrameFrom.TRACE,
        stack_after=_h(r"\s*backtrace"), skips="leak", name="leak",
    ),
    # --- lockdep (kernel/locking/lockdep.c) ----------------------------------------
    Kind(  # print_circular_bug_header(): named where the task tried to take the lock,
        # else where it holds the other, else by the dependency chains' frames
        _h(r"WARNING: possible circular locking dependency detected"),
        "possible deadlock in {frame}", "LOCKDEP", FrameFrom.TRACE,
        named_at=NamedAt(_h(r".*is trying to acquire lock"), places=2, past_generic=True),
        skips="lockdep-circular", name="lockdep-circular",
    ),
    Kind(  # print_deadlock_bug() (and, before 4.13, "[ INFO: ... ]" reports of any of
        # these): named by the place the task tried to take the lock, as printed
        _h(r"(?:WARNING|\[ INFO|INFO): possible (?:recursive locking|circular locking "
           r"dependency) detected"),
        "possible deadlock in {frame}", "LOCKDEP", FrameFrom.TRACE,
        named_at=NamedAt(_h(r".*is trying to acquire lock")), name="lockdep-recursive",
    ),
    Kind(  # print_irq_inversion_bug(): the place of the lock whose state just changed
        _h(r"(?:WARNING|\[ INFO|INFO): possible irq lock inversion dependency detected"),
        "possible deadlock in {frame}", "LOCKDEP", FrameFrom.TRACE,
        named_at=NamedAt(_h(r".*just changed the state of lock")), name="lockdep-irq-inversion",
    ),
    Kind(  # print_bad_irq_dependency(): the stack where the irq-safe lock became so
        _h(r"WARNING: \S+-safe -> \S+-unsafe lock order detected"),
        "possible deadlock in {frame}", "LOCKDEP", FrameFrom.TRACE,
        named_at=NamedAt(_h(r".*which became \S+ at:"), places=0, past_generic=True),
        name="lockdep-irq",
    ),
    Kind(  # print_bad_irq_dependency() before 4.13: the place the task tried to take it
        _h(r"(?:\[ INFO|INFO): \S+-safe -> \S+-unsafe lock order detected"),
        "possible deadlock in {frame}", "LOCKDEP", FrameFrom.TRACE,
        named_at=NamedAt(_h(r".*is trying to acquire")), name="lockdep-irq-4.x",
    ),
    Kind(  # print_usage_bug() before 4.13: the place of the lock taken in the wrong state
        _h(r"(?:\[ INFO|INFO): inconsistent lock state"),
        "inconsistent lock state in {frame}", "LOCKDEP", FrameFrom.TRACE,
        named_at=NamedAt(_h(r".*takes")), name="lockdep-inconsistent-4.x",
    ),
    Kind(  # print_usage_bug(): the task's own stack took the lock in the wrong state
        _h(r"WARNING: inconsistent lock state"),
        "inconsistent lock state in {frame}", "LOCKDEP", FrameFrom.TRACE,
        stack_after=_h(r"stack backtrace:"), name="lockdep-inconsistent",
    ),
    Kind(  # print_unlock_imbalance_bug(); "[ BUG: ... ]" before 4.13
        _h(r"(?P<lvl>WARNING|\[ BUG): bad unlock balance detected!"),
        "{lvl}: bad unlock balance in {frame}", "LOCKDEP", FrameFrom.TRACE,
        stack_after=_h(r"stack backtrace:"), name="lockdep-unlock",
    ),
    Kind(  # print_freed_lock_bug()
        _h(r"(?P<lvl>WARNING|\[ BUG): held lock freed!"),
        "{lvl}: held lock freed in {frame}", "LOCKDEP", FrameFrom.TRACE,
        stack_after=_h(r"stack backtrace:"), name="lockdep-freed",
    ),
    Kind(  # lockdep_sys_exit()
        _h(r"(?P<lvl>WARNING|\[ BUG): lock held when returning to user space!"),
        "{lvl}: lock held when returning to user space in {frame}",
        lambda f: "LOCKDEP" if f["lvl"] == "WARNING" else None, FrameFrom.TRACE,
        stack_after=_h(r".* is leaving the kernel with locks still held|\d+ locks? held by"),
        held_locks=True, has_stack=False,
        name="lockdep-return",
    ),
    Kind(  # print_lock_nested_lock_not_held()
        _h(r"WARNING: Nested lock was not taken"),
        "WARNING: nested lock was not taken in {frame}", "LOCKDEP", FrameFrom.TRACE,
        stack_after=_h(r"stack backtrace:"), name="lockdep-nested",
    ),
    Kind(  # print_held_locks_bug() via debug_check_no_locks_held() ("[ BUG: ...]" before
        # 4.13, "BUG:" in some); "%s/%d": a comm may hold blanks
        _h(r"(?P<lvl>WARNING|BUG|\[ BUG): .{1,40} still has locks held!"),
        "{lvl}: still has locks held in {frame}", "LOCKDEP", FrameFrom.TRACE,
        stack_after=_h(r"\d+ locks? held by"), held_locks=True, name="lockdep-held",
    ),
    Kind(  # lockdep_rcu_suspicious(); "INFO: suspicious RCU usage." before 4.x
        _h(r"(?P<lvl>WARNING|\[ INFO|INFO): suspicious RCU usage"),
        "{lvl}: suspicious RCU usage in {frame}",
        lambda f: "LOCKDEP" if f["lvl"] == "WARNING" else None, FrameFrom.TRACE,
        stack_after=_h(r"stack backtrace:"), skips="rcu-suspicious", name="rcu-suspicious",
    ),
    Kind(  # print_lock_invalid_wait_context(): syzbot files it as a locking bug
        _h(r"\[ BUG: Invalid wait context \]"),
        "WARNING: locking bug in {frame}", "LOCKDEP", FrameFrom.TRACE,
        stack_after=_h(r"stack backtrace:"), name="lockdep-wait-context",
    ),
    Kind(  # save_trace() via print_lockdep_off()
        _h(r"BUG: MAX_(?P<what>STACK_TRACE_ENTRIES|LOCKDEP_\w+|LOCK_DEPTH) too low!"),
        "BUG: MAX_{what} too low!", None, FrameFrom.NONE, has_stack=False, name="lockdep-limit",
    ),
    Kind(  # register_lock_class() / assign_lock_key()
        _h(r"INFO: trying to register non-static key"),
        "INFO: trying to register non-static key in {frame}", None, FrameFrom.TRACE,
        skips="lockdep-static-key", name="lockdep-static-key",
    ),
    # --- hangs and stalls ----------------------------------------------------------
    Kind(  # kernel/hung_task.c check_hung_task()
        # "task %s:%d": a comm may hold blanks and colons; a header cut after "task"
        # (only hung_task prints "INFO: task ") is one too
        # (newer kernels say "blocked in I/O wait for" of a task in TASK_UNINTERRUPTIBLE
        # io_schedule())
        _h(r"INFO: task (?:.{1,40}:\d+ blocked (?:in I/O wait )?for more than \d+ seconds"
           r"|[^:]*$)"),
        "INFO: task hung in {frame}", "HANG", FrameFrom.TRACE, ("hang in {frame}",),
        skips="hung-task", anchors=HUNG_ANCHORS, name="hung-task",
    ),
    Kind(  # syzkaller's own watchdog: a task that does not exit after SIGKILL
        _h(r"INFO: task .{1,40}:\d+ can't die for more than \d+ seconds"),
        "INFO: task can't die in {frame}", "HANG", FrameFrom.TRACE, ("hang in {frame}",),
        name="task-cant-die",
    ),
    Kind(  # kernel/rcu/tree_stall.h print_other_cpu_stall(), print_cpu_stall()
        # (not rcu_tasks_trace's or rcu_tasks_rude's: syzbot titles those by their line)
        _h(r"INFO: rcu_(?:sched|preempt|bh|tasks)(?: self-)? ?detected "
           r"(?:expedited )?stalls?"),
        "INFO: rcu detected stall in {frame}", "HANG", FrameFrom.INTERRUPTED,
        ("stall in {frame}",), name="rcu-stall",
    ),
    Kind(  # kernel/watchdog.c watchdog_timer_fn()
        _h(r"BUG: soft lockup - CPU#\d+ stuck for"),
        "BUG: soft lockup in {frame}", "HANG", FrameFrom.INTERRUPTED, ("stall in {frame}",),
        name="soft-lockup",
    ),
    # --- scheduling and preemption checks ----------------------------------------
    Kind(  # kernel/sched/core.c __schedule_bug()
        _h(r"BUG: scheduling while atomic"),
        "BUG: scheduling while atomic in {frame}", "ATOMIC_SLEEP", FrameFrom.TRACE,
        name="sched-atomic",
    ),
    Kind(  # kernel/sched/core.c __might_resched() (___might_sleep() before 5.15)
        _h(r"BUG: sleeping function called from invalid context"),
        "BUG: sleeping function called from invalid context in {frame}", "ATOMIC_SLEEP",
        FrameFrom.TRACE, name="might-sleep",
    ),
    Kind(  # lib/smp_processor_id.c check_preemption_disabled()
        _h(r"BUG: using (?P<what>[\w_]+)\(\) in preemptible"),
        "BUG: using {what}() in preemptible code in {frame}", "LOCKDEP", FrameFrom.TRACE,
        skips="preemptible", name="preemptible",
    ),
    Kind(  # kernel/locking/spinlock_debug.c spin_dump(), rwlock_bug()
        _h(r"BUG: (?P<lock>spinlock|rwlock) (?P<what>[\w ]+?) on CPU#"),
        "BUG: {lock} {what} in {frame}", "LOCKDEP", FrameFrom.TRACE, skips="spinlock-debug",
        name="spinlock-debug",
    ),
    Kind(  # kernel/workqueue.c process_one_work(): a work function returned with a lock
        # held or preemption off; the next line names it ("last function: f")
        _h(r"BUG: workqueue leaked lock or atomic"),
        "BUG: workqueue leaked lock or atomic in {frame}", None, FrameFrom.HEADER,
        has_stack=False, name="workqueue-leak",
    ),
    Kind(  # kernel/workqueue.c wq_watchdog_timer_fn()
        _h(r"BUG: workqueue lockup"),
        "BUG: workqueue lockup", None, FrameFrom.NONE, has_stack=False, name="workqueue-lockup",
    ),
    Kind(  # net/core/dev.c netdev_wait_allrefs_any(): a device nobody lets go of
        _h(r"unregister_netdevice: waiting for \S+ to become free"),
        "unregister_netdevice: waiting for DEV to become free", "DoS", FrameFrom.NONE,
        has_stack=False, name="netdev-refs",
    ),
    # --- memory management -------------------------------------------------------
    Kind(  # kernel/fork.c check_mm()
        # (nr_ptes and nr_pmds before pgtables_bytes, 4.x)
        _h(r"BUG: (?P<what>Bad rss-counter state|non-zero (?:pgtables_bytes|nr_ptes|nr_pmds) "
           r"on freeing mm)"),
        "BUG: {what}", None, FrameFrom.NONE, has_stack=False, name="check-mm",
    ),
    Kind(  # mm/page_alloc.c bad_page(); mm/filemap.c filemap_unaccount_folio() ("cache")
        # named by where the page was allocated (page_owner's stack); without it the
        # stack of the check says nothing of the bug
        _h(r"BUG: Bad page (?P<what>state|cache) in process"),
        "BUG: Bad page {what} in {frame}", None, FrameFrom.TRACE,
        stack_after=_h(r"\s*page last allocated"), stack_required=True, skips="bad-page",
        name="bad-page",
    ),
    Kind(  # mm/memory.c print_bad_pte(): the pte, not a function, is the bug
        _h(r"BUG: Bad page map in process"),
        "BUG: Bad page map", None, FrameFrom.NONE, name="bad-page-map",
    ),
    Kind(  # fs/dcache.c umount_check(): "... still in use (%d) [unmount of %s %s]"; the
        # title keeps neither the dentry nor the filesystem (loop devices change); older
        # syzbot titles kept the filesystem, as the alternative (kBench's records)
        _h(r"BUG: Dentry .*? still in use(?: \(-?\d+\) \[unmount of (?P<fs>\S+) "
           r"(?P<id>[^\]]*)\])?"),
        "BUG: Dentry still in use in unmount", None, FrameFrom.NONE,
        alts=("BUG: Dentry still in use [unmount of {fs} {id}]",),
        refine=lambda f, t: {} if f.get("fs") else {"no_alts": "y"}, name="dentry-in-use",
    ),
    Kind(  # mm/slub.c slab_bug() from free_consistency_checks(): "BUG %s (%s): %pV" for a
        # kmalloc object freed twice
        _h(r"BUG kmalloc-\S* \((?:Not t|T)ainted[^)]*\): Object already free"),
        "BUG: Object already free", "DoS", FrameFrom.NONE, name="slub-double-free",
    ),
    Kind(  # mm/slub.c slab_bug(), any other finding in a kmalloc cache: syzbot titles it by
        # the line itself (and a SLUB header of any other cache not at all: the reports
        # that follow it, if any, are the crash)
        _h(r"(?P<line>BUG kmalloc-\S* \((?:Not t|T)ainted[^)]*\): .+?)\s*$"),
        "{line}", None, FrameFrom.NONE, has_stack=False, name="slub",
    ),
    Kind(  # mm/slub.c print_track() (4.x, alone when the object dump was cut)
        _h(r"INFO: (?P<what>Allocated|Freed) in " + _FN + r" (?P<rest>age=.*)"),
        "INFO: {what} in {func} {rest}", None, FrameFrom.NONE, has_stack=False,
        # a track line alone is what is left of a SLUB report: syzbot calls it corrupted
        refine=lambda f, t: {"cut": "only a SLUB track line of the report is left"},
        name="slub-track",
    ),
    Kind(  # arch/x86/kernel/traps.c handle_stack_overflow()
        _h(r"BUG: (?:\w+ )?stack guard page was hit at"),
        "BUG: stack guard page was hit in {frame}", None, FrameFrom.OUTERMOST,
        ("stack-overflow in {frame}",), needs_trace=True, name="stack-guard",
    ),
    # --- faults and traps ----------------------------------------------------------
    Kind(  # arch/x86/mm/fault.c show_fault_oops() (4.x: "at ADDR")
        _h(r"BUG: unable to handle kernel (?P<what>paging request|NULL pointer dereference)"),
        "BUG: unable to handle kernel {what} in {frame}",
        lambda f: "NULL-POINTER-DEREFERENCE" if "NULL" in f["what"] else "MEMORY_SAFETY_BUG",
        FrameFrom.CRASH, _BAD_ACCESS, needs_trace=True, name="page-fault-4.x",
    ),
    Kind(  # arch/x86/mm/fault.c show_fault_oops()
        # (arch/powerpc/mm/fault.c __bad_page_fault(): "BUG: Kernel NULL pointer
        # dereference on read at", "BUG: Unable to handle kernel data access on read at")
        _h(r"BUG: (?:unable to handle page fault for address|[kK]ernel NULL pointer "
           r"dereference(?:, address| on | at )|Unable to handle kernel data access)"),
        "BUG: unable to handle kernel {what} in {frame}",
        lambda f: "NULL-POINTER-DEREFERENCE" if "NULL" in f["what"] else "MEMORY_SAFETY_BUG",
        FrameFrom.CRASH, _BAD_ACCESS, needs_trace=True,
        refine=lambda f, t: {"what": "NULL pointer dereference" if "NULL" in t
                             else "paging request"},
        name="page-fault",
    ),
    Kind(  # arch/x86/mm/fault.c show_fault_oops(): SMAP/SMEP ("access to user memory")
        _h(r"BUG: unable to handle kernel (?P<what>access to user memory|[\w ]+)$"),
        "BUG: unable to handle kernel {what} in {frame}", None, FrameFrom.CRASH,
        _BAD_ACCESS, needs_trace=True, name="page-fault-other",
    ),
    Kind(  # the same header cut short by the console
        _h(r"BUG: unable to handle kernel\s*$"),
        "BUG: unable to handle kernel", None, FrameFrom.NONE, needs_trace=True,
        name="page-fault-cut",
    ),
    Kind(  # arch/arm64/mm/fault.c die_kernel_fault(), arch/riscv/mm/fault.c no_context()
        _h(r"Unable to handle kernel (?P<what>paging request|NULL pointer dereference|"
           r"access to user memory)"),
        "BUG: unable to handle kernel {what} in {frame}",
        lambda f: {"paging request": "MEMORY_SAFETY_BUG",
                   "NULL pointer dereference": "NULL-POINTER-DEREFERENCE"}.get(f["what"]),
        FrameFrom.CRASH, _BAD_ACCESS, needs_trace=True, name="arm-fault",
    ),
    Kind(  # arch/x86/kernel/traps.c exc_general_protection() -> die_addr()
        _h(r"general protection fault(?:, probably for non-canonical|, maybe for address"
           r"| for non-canonical|: [0-9a-f]{4}| in |\s*$)"),
        "general protection fault in {frame}", "DoS", FrameFrom.CRASH, _BAD_ACCESS,
        needs_trace=True, name="gpf",
    ),
    Kind(  # arch/x86/kernel/traps.c exc_double_fault()
        _h(r"PANIC: double fault"),
        "PANIC: double fault in {frame}", "DoS", FrameFrom.CRASH, needs_trace=True,
        name="double-fault",
    ),
    Kind(  # arch/x86/kernel/traps.c do_error_trap() for #DE, #UD, #SS, do_int3 for #BP
        # ("divide_error" in 2.6/3.x); syzbot calls #SS a "stack segment fault"
        _h(r"(?P<what>divide error|divide_error|invalid opcode|stack segment|int3): "
           r"[0-9a-f]{4}"),
        "{what} in {frame}", "DoS", FrameFrom.CRASH, needs_trace=True,
        refine=lambda f, t: {"what": {"stack segment": "stack segment fault",
                                      "divide_error": "divide error"}.get(f["what"], f["what"])},
        name="trap",
    ),
    Kind(  # lib/bug.c report_bug()
        _h(r"kernel BUG at (?P<file>[^\s:]+):\d+!?"),
        "{what} in {frame}",
        lambda f: "MEMORY_SAFETY_BUG" if "corrupted list" in f["what"] else "BUG",
        FrameFrom.CRASH, _BAD_ACCESS, refine=_bug_refine, needs_trace=True, skips="kernel-bug",
        name="bug",
    ),
    Kind(  # lib/bug.c report_bug() with no file and line: "Kernel BUG at %pB [verbose
        # debug info unavailable]"; the title keeps what follows "Kernel BUG"
        _h(r"Kernel BUG (?P<rest>.+?)\s*$"),
        "kernel BUG {rest}", "BUG", FrameFrom.NONE, needs_trace=True, name="bug-noinfo",
    ),
    Kind(  # kernel/panic.c __warn() (with a file:line since 4.x)
        _h(r"WARNING: CPU: \d+ PID: \d+ at (?P<file>[^\s:]+)(?::\d+)? " + _FN),
        "WARNING{what} in {frame}{suffix}", _warn_type, FrameFrom.HEADER, refine=_warn_refine,
        trap=True, name="warning",
    ),
    Kind(  # kernel/panic.c __warn() since 6.16: "WARNING: file:line at func, CPU#N: comm"
        _h(r"WARNING: (?P<file>[^\s:]+):\d+ at " + _FN + r", CPU#\d+"),
        "WARNING{what} in {frame}{suffix}", _warn_type, FrameFrom.HEADER, refine=_warn_refine,
        trap=True, name="warning-6.16",
    ),
    Kind(  # kernel/panic.c warn_slowpath_common() before 3.x: "WARNING: at FILE:LINE f()"
        _h(r"WARNING: at (?P<file>[^\s:]+):\d+ " + _FN),
        "WARNING{what} in {frame}{suffix}", _warn_type, FrameFrom.HEADER, refine=_warn_refine,
        trap=True, name="warning-3.x",
    ),
    Kind(  # kernel/panic.c __warn() (WARN without a file and line)
        _h(r"WARNING: CPU: \d+ PID: \d+ at " + _FN),
        "WARNING in {frame}", "WARNING", FrameFrom.HEADER, trap=True, name="warning-nofile",
    ),
    Kind(  # arch/x86/kernel/unwind_frame.c unwind_next_frame(): "regs at %p in %s:%d has
        # bad 'bp' value %p"; the register is kept when the address is printed as one
        # (not when %p hashed it to "(ptrval)")
        _h(r"WARNING: kernel stack regs at (?P<at>.*?) in .+? has bad (?P<reg>'\w+' )?value"),
        "WARNING: kernel stack regs has bad {reg}value", None, FrameFrom.NONE,
        has_stack=False,
        refine=lambda f, t: {} if re.fullmatch(r"\s*[0-9a-f]+", f["at"]) else {"reg": ""},
        name="unwind-bad-regs",
    ),
    Kind(  # arch/x86/kernel/unwind_frame.c unwind_next_frame()
        _h(r"WARNING: kernel stack frame pointer at .*? in .+? has bad"),
        "WARNING: kernel stack frame pointer has bad value", None, FrameFrom.NONE,
        has_stack=False, name="unwind-bad",
    ),
    Kind(  # arch/arm64/kernel/traps.c die(); arch/arm/kernel/traps.c die()
        _h(r"Internal error: "),
        "Internal error in {frame}", "DoS", FrameFrom.CRASH, _BAD_ACCESS, needs_trace=True,
        name="arm-die",
    ),
    Kind(  # arch/arm/mm/fault.c do_DataAbort(), do_PrefetchAbort(): "Unhandled fault: %s"
        _h(r"Unhandled (?:prefetch abort|fault): "),
        "Unhandled fault in {frame}", "DoS", FrameFrom.CRASH, needs_trace=True,
        name="arm-unhandled",
    ),
    Kind(  # arch/arm/mm/alignment.c do_alignment(): "Alignment trap: not handling ..."
        _h(r"Alignment trap: "),
        "Alignment trap in {frame}", "DoS", FrameFrom.CRASH, needs_trace=True,
        name="arm-alignment",
    ),
    # --- panics (kernel/panic.c panic()) ----------------------------------------
    Kind(  # arch/arm64/kernel/traps.c panic_bad_stack(), older x86 handle_stack_overflow():
        # named, as a stack guard page hit, by the work that recursed
        _h(r"Kernel panic - not syncing: kernel stack overflow"),
        "kernel stack overflow in {frame}", "DoS", FrameFrom.OUTERMOST,
        ("stack-overflow in {frame}",), closing=True, skips="stack-overflow",
        name="panic-stack-overflow",
    ),
    Kind(
        _h(r"Kernel panic - not syncing: (?P<msg>.*)"),
        "kernel panic: {msg}", "DoS", FrameFrom.NONE, closing=True, refine=_panic_refine,
        name="panic",
    ),
    Kind(  # fs/super.c generic_shutdown_super(): "VFS: Busy inodes after unmount of %s (%s)":
        # inodes still referenced when their filesystem went away
        _h(r"VFS: Busy inodes after unmount"),
        "VFS: Busy inodes after unmount (use-after-free)", "DoS", FrameFrom.NONE,
        has_stack=False, name="vfs-busy-inodes",
    ),
    Kind(  # fs/open.c filp_close() before 2.6.x-4.x: a file closed with no reference
        _h(r"VFS: Close: file count is 0"),
        "VFS: Close: file count is zero (use-after-free)", "DoS", FrameFrom.NONE,
        has_stack=False, name="vfs-close",
    ),
    Kind(  # the firmware or the decompressor after kernel output: the machine rebooted
        # (arch/x86/boot/compressed/misc.c extract_kernel() prints "Booting the kernel.")
        _h(r"(?:SeaBIOS \(version|Booting from Hard Disk|Booting the kernel\.)"),
        "unexpected kernel reboot", "REBOOT", FrameFrom.NONE, after_output=True,
        has_stack=False, name="reboot",
    ),
    Kind(  # a BUG:, WARNING: or INFO: line cut right after its first word: a report, but
        # nothing says which
        _h(r"(?P<lvl>BUG|WARNING|INFO):\s*$"),
        "{lvl}: corrupted", None, FrameFrom.NONE, has_stack=False,
        refine=lambda f, t: {"cut": "the header was cut after its first word"},
        name="cut-header",
    ),
    # --- other code than Linux's C -----------------------------------------------
    Kind(  # rust/kernel/lib.rs panic(): pr_emerg!("{}", info) of core::panic::PanicInfo
        # ("panicked at FILE:LINE:COL:", the message on the next line), then BUG(); the
        # title is the message, named by the code that panicked
        _h(r"rust_kernel: panicked at"),
        "{msg} in {frame}", "BUG", FrameFrom.TRACE, message_line=True, skips="rust-panic",
        name="rust-panic",
    ),
    Kind(  # Trusty (Android's TEE, drivers/trusty, out of tree): the secure OS's assert
        # ("trusty: panic (caller ADDR): ASSERT FAILED at (FILE:LINE): EXPR"), titled by the
        # failed expression
        _h(r"trusty: panic\b.*?ASSERT FAILED(?: at \(.*?\))?:\s*(?P<msg>.*?)\s*$"),
        "trusty: ASSERT FAILED: {msg}", "DoS", FrameFrom.NONE, has_stack=False,
        name="trusty-assert",
    ),
    Kind(  # Trusty's other panics: "trusty: panic (caller ADDR): MESSAGE"
        _h(r"trusty: panic \(.*?\): (?P<msg>.*?)\s*$"),
        "trusty: panic: {msg}", "DoS", FrameFrom.NONE, has_stack=False, name="trusty-panic",
    ),
    # --- the test harness ----------------------------------------------------------
    Kind(  # syzkaller's log.Fatal(): a harness program died
        _h(r"SYZFATAL: (?P<msg>.+?)\s*$"),
        "SYZFATAL: {msg}", "SYZ_FAILURE", FrameFrom.NONE, has_stack=False, name="syzfatal",
    ),
    Kind(  # syz-executor's fail(): the harness itself broke
        _h(r"SYZFAIL: (?P<msg>.+?)\s*$"),
        "SYZFAIL: {msg}", "SYZ_FAILURE", FrameFrom.NONE, suppressed=True, has_stack=False,
        name="syzfail",
    ),
)

# fmt: on

# Lines that start like a report but are none: the kernel's advisories at boot (CPU
# mitigations, firmware bugs, deprecated features), lockdep's and the NMI handler's
# bookkeeping, syzkaller's own host checks, programs' warnings (sshd).
_NOT_REPORTS = (
    r"Spectre|See https|Unprivileged eBPF|kernel not compiled with|BIOS bug|"
    r"[Tt]he mand mount option|workqueue cpumask|fbcon: |Unsupported flag value|"
    r".* uses (?:deprecated v2 capabilities|wireless extensions)|"
    r"lockdep is turned off|Stall ended before state dump start|NMI handler|"
    r"recovery required on readonly filesystem|not creating mapping|"
    r"sys_\S* is not present in /proc/kallsyms|no syscalls can create resource|"
    r"/etc/ssh/moduli does not exist"
)
KINDS = (
    *KINDS,
    Kind(  # any other line the kernel starts with BUG:, WARNING: or INFO: (a check this
        # table does not know yet): syzbot titles it by the line itself
        # (not a line with another glued after it: parser reads the first one alone)
        _h(
            r"(?P<line>(?:BUG|WARNING|INFO): ?(?!\s*(?:" + _NOT_REPORTS + r"))"
            r"(?!.*\[\s*\d+\.\d{6}\])\S.*?)\s*$"
        ),
        "{line}",
        lambda f: "WARNING" if f["line"].startswith("WARNING") else None,
        FrameFrom.NONE,
        has_stack=False,
        kernel_only=True,
        name="other",
    ),
)

for _k in KINDS:
    object.__setattr__(_k, "name", _k.name or _k.title)

# Quick filter: a header line contains one of these words (checked before the regexes).
TRIGGERS = re.compile(
    r"BUG|WARNING|INFO:|UBSAN:|general protection|PANIC:|Kernel panic|divide error|"
    r"invalid opcode|stack segment|Internal error|unreferenced object|SYZFAIL|\[ INFO|"
    r"Unable to handle|VFS: Close|SeaBIOS|Booting |unregister_netdevice|int3|divide_error|"
    r"Unhandled |Alignment trap|VFS: Busy|SYZFATAL|trusty: panic|rust_kernel: panicked"
)


@dataclass(frozen=True, slots=True)
class Header:
    """A report header found on a line (shared through the cache: do not change)."""

    kind: Kind
    fields: dict[str, str]


@lru_cache(maxsize=8192)
def match_header(text: str) -> Header | None:
    """The kind whose header starts the (prefix-less) line `text`, or None. Cached: a
    console flood repeats its lines, and a report's lines are looked at more than once."""
    if not TRIGGERS.search(text):
        return None
    stripped = text.lstrip()
    found = _match(stripped)
    if found is None:
        m = _PR_FMT.match(stripped)  # "watchdog: BUG: ...", "rcu: INFO: ..."
        if m:
            found = _match(stripped[m.end() :])
    return found


@lru_cache(maxsize=64)
def _skip_pattern(key: str) -> re.Pattern[str]:
    return re.compile(KIND_SKIPS[key])


def passes_over(header: Header) -> re.Pattern[str] | None:
    """The frames this report's kind passes over when naming it (skip.KIND_SKIPS)."""
    key = header.fields.get("skips") or header.kind.skips
    return _skip_pattern(key) if key else None


# A pr_fmt() prefix: the subsystem that printed the header ("watchdog: ", "rcu: ",
# 4.x's "NMI watchdog: ", 6.x's "Oops: ").
_PR_FMT = re.compile(r"(?:[a-z][\w-]{1,20}|Oops|NMI watchdog): ")


def _match(stripped: str) -> Header | None:
    for kind in KINDS:
        m = kind.header.match(stripped)
        if m:
            fields = {k: v for k, v in m.groupdict().items() if v is not None}
            if "file" in fields:  # "../src/lib/refcount.c" from an out-of-tree build
                fields["file"] = tree_path(fields["file"])
            if "lvl" in fields:  # lockdep before 4.13 framed it: "[ BUG: ... ]"
                fields["lvl"] = fields["lvl"].lstrip("[ ")
            if kind.refine:
                fields.update(kind.refine(fields, stripped))
            return Header(kind, fields)
    return None
