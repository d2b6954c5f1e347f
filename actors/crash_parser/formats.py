"""The table of Linux oops formats and the titles syzbot gives them.

An `Oops` is a header string that starts a report on a console line (unless
one of its suppressions matches that line) and the `Format`s that turn the
report into a title. Formats are tried in order; the one whose `title`
matches earliest in the report wins. A format's title arguments are the
groups captured by `report` (or by `title` when there is no `report`), then
the frames picked by its `Stack`; `fmt` and `alt` are str.format templates
over these, 1-based ({1} is the first argument).

The patterns follow syzkaller's pkg/report (Apache-2.0), so that titles match syzbot's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from actors.crash_parser.stacks import CALL_TRACE, PARSE, RIP_FRAME, Stack, rx


@dataclass
class Format:
    title: re.Pattern[str]
    fmt: str
    report: re.Pattern[str] | None = None  # title matched but report not: corrupted
    alt: tuple[str, ...] = ()
    stack: Stack | None = None
    no_stack_trace: bool = False  # the report needs no stack trace to be whole
    corrupted: bool = False  # reports of this format are always corrupted


@dataclass
class Oops:
    header: str
    formats: list[Format]
    suppressions: list[re.Pattern[str]] = field(default_factory=list)


def F(title: str, fmt: str, **kw: object) -> Format:  # noqa: N802 - reads like a table row
    report = kw.pop("report", None)
    return Format(rx(title), fmt, report=rx(report) if report else None, **kw)  # type: ignore[arg-type]


def trace(*skip: str, picker: str | None = None) -> Stack:
    """The frame is the first one after "Call Trace:"."""
    return Stack((CALL_TRACE, PARSE), skip=skip, picker=picker)


def rip_trace(*skip: str, picker: str | None = None) -> Stack:
    """The frame is the faulting IP, else the first one after "Call Trace:"."""
    return Stack((RIP_FRAME, CALL_TRACE, PARSE), skip=skip, picker=picker)


def warning_trace(*skip: str) -> Stack:
    """WARNINGs: the stack after the RIP line (x86) or interrupt line (powerpc)."""
    start = rx(f"(?:{RIP_FRAME.pattern}|--- interrupt: [0-9]+ at {{FUNC}})")
    return Stack((start, PARSE), parts2=(CALL_TRACE, PARSE), skip=skip)


def sups(*patterns: str) -> list[re.Pattern[str]]:
    return [rx(p) for p in patterns]


def from_line(first: str, *skip: str) -> Stack:
    """The frame is on the title line itself, else the first one of the stack that follows."""
    return Stack((rx(first), PARSE), skip=skip)


_KASAN_FREE = "BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free)"
_LOCKED_AT = r"(?:.*\n)+?.*at: (?:{PC} +)?{FUNC}"
_KFENCE_LINE = r"BUG: KFENCE: (?:[a-z\- ]+) in {FUNC}"
_KMSAN_ORIGIN = rx(r"(Local variable .* created at:|Uninit was created at:)")

BUG = Oops(
    "BUG:",
    [
        F(
            "BUG: KASAN:",
            "KASAN: {1} {3} in {4}",
            report=r"BUG: KASAN: ([a-z\-]+) in {FUNC}(?:.*\n)+?.*(Read|Write) "
            r"(?:of size|at addr) (?:[0-9a-f]+)",
            alt=("bad-access in {4}",),
            stack=Stack(
                (rx(r"BUG: KASAN: (?:[a-z\-]+) in {FUNC}"), CALL_TRACE, PARSE),
                skip=("kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"),
            ),
        ),
        F(
            "BUG: KASAN:",
            "KASAN: invalid-free in {2}",
            report=_KASAN_FREE + " in {FUNC}",
            alt=("invalid-free in {2}",),
            stack=Stack(
                (
                    rx(_KASAN_FREE + " in {FUNC}"),
                    CALL_TRACE,
                    PARSE,
                ),
                skip=("slab_", "kfree", "vunmap", "vfree"),
            ),
        ),
        F(
            r"BUG: KASAN: ([a-z\-]+) on address(?:.*\n)+?.*(Read|Write) of size ([0-9]+)",
            "KASAN: {1} {2}",
        ),
        F("BUG: KASAN: (.*)", "KASAN: {1}", corrupted=True),
        F(
            "BUG: KMSAN: kernel-usb-infoleak",
            "KMSAN: kernel-usb-infoleak in {2}",
            report="BUG: KMSAN: kernel-usb-infoleak in {FUNC}",
            alt=("KMSAN origin in {3}",),
            stack=Stack(
                (PARSE, _KMSAN_ORIGIN, PARSE),
                skip=(
                    "alloc_skb",
                    "usb_submit_urb",
                    "usb_start_wait_urb",
                    "usb_bulk_msg",
                    "usb_interrupt_msg",
                    "usb_control_msg",
                ),
            ),  # fmt: skip
            no_stack_trace=True,
        ),
        F(
            "BUG: KMSAN:",
            "KMSAN: {1} in {3}",
            report=r"BUG: KMSAN: ([a-z\-]+) in {FUNC}",
            alt=("bad-access in {3}",),
            stack=Stack(
                (PARSE, _KMSAN_ORIGIN, PARSE),
                skip=(
                    "alloc_skb",
                    "netlink_ack",
                    "netlink_rcv_skb",
                    # generic crypto code is where the bug shows, rarely where it is
                    "_encrypt$",
                    "^(?:crypto|cipher|drbg|rng)_",
                ),
            ),  # fmt: skip
            no_stack_trace=True,
        ),
        F("BUG: KCSAN: data-race", "KCSAN: {1}", report="BUG: KCSAN: (.*)", no_stack_trace=True),
        F("BUG: KCSAN:", "KCSAN: {1}", report="BUG: KCSAN: (.*)", no_stack_trace=True),
        F(
            "BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in {FUNC}",
            "KFENCE: {1} {2} in {4}",
            alt=("bad-access in {4}",),
            stack=from_line(_KFENCE_LINE),
        ),
        F(
            "BUG: KFENCE: invalid free in {FUNC}",
            "KFENCE: invalid free in {2}",
            alt=("invalid-free in {2}",),
            no_stack_trace=True,
            stack=from_line(_KFENCE_LINE),
        ),
        F(
            "BUG: KFENCE: invalid (read|write) in {FUNC}",
            "KFENCE: invalid {1} in {3}",
            alt=("bad-access in {3}",),
            stack=from_line(_KFENCE_LINE),
        ),
        F(
            "BUG: KFENCE: memory corruption in {FUNC}",
            "KFENCE: memory corruption in {2}",
            no_stack_trace=True,
            stack=from_line(_KFENCE_LINE),
        ),
        F(
            "BUG: (?:unable to handle kernel paging request|unable to handle page fault for "
            "address|Unable to handle kernel data access)",
            "BUG: unable to handle kernel paging request in {1}",
            alt=("bad-access in {1}",),
            stack=rip_trace(),
        ),
        F(
            "BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer "
            "dereference|Kernel NULL pointer dereference)",
            "BUG: unable to handle kernel NULL pointer dereference in {1}",
            alt=("bad-access in {1}",),
            stack=rip_trace(),
        ),
        # The kernel prints this header in two printk()s; the second part may be lost.
        F(
            "BUG: (?:unable to handle kernel|Unable to handle kernel)",
            "BUG: unable to handle kernel",
            corrupted=True,
        ),
        F(
            "BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion"
            "|bad magic|wrong owner|wrong CPU|trylock failure on UP)",
            "BUG: {1} {2} in {3}",
            stack=trace("spin_", "_lock", "_unlock"),
        ),
        F(
            "BUG: soft lockup",
            "BUG: soft lockup in {1}",
            alt=("stall in {1}",),
            stack=rip_trace(picker="stall"),
        ),
        F(
            "BUG: .*still has locks held!",
            "BUG: still has locks held in {1}",
            report=r"BUG: .*still has locks held!(?:.*\n)+?.*{PC} +{FUNC}",
        ),
        F(
            "BUG: scheduling while atomic",
            "BUG: scheduling while atomic in {1}",
            stack=trace("schedule"),
        ),
        F(
            "BUG: lock held when returning to user space",
            "BUG: lock held when returning to user space in {1}",
            report=r"BUG: lock held when returning to user space(?:.*\n)+?"
            r".*leaving the kernel with locks still held" + _LOCKED_AT,
            no_stack_trace=True,
        ),
        F(
            "BUG: bad unlock balance detected!",
            "BUG: bad unlock balance in {1}",
            stack=Stack((rx("{PC} +{FUNC}"), CALL_TRACE, PARSE)),
        ),
        F(
            "BUG: held lock freed!",
            "BUG: held lock freed in {1}",
            report=r"BUG: held lock freed!(?:.*\n)+?.*{PC} +{FUNC}",
        ),
        F("BUG: Bad rss-counter state", "BUG: Bad rss-counter state", no_stack_trace=True),
        F(
            "BUG: non-zero nr_ptes on freeing mm",
            "BUG: non-zero nr_ptes on freeing mm",
            no_stack_trace=True,
        ),
        F(
            "BUG: non-zero nr_pmds on freeing mm",
            "BUG: non-zero nr_pmds on freeing mm",
            no_stack_trace=True,
        ),
        # Block devices (loop0/1/2) and filesystem types in the message only split bugs.
        F(
            "BUG: Dentry .* still in use",
            "BUG: Dentry still in use in {1}",
            report=r"BUG: Dentry .* still in use \([0-9]+\) \[(unmount) of ([^\]]+)\]",
            alt=("BUG: Dentry still in use [{1} of {2}]",),
        ),
        F(
            "BUG: Bad page (state|cache)",
            "BUG: Bad page {1} in {2}",
            stack=Stack(
                (rx("page last allocated"), PARSE),
                skip=(
                    "(free|put|get|update|release)_page",
                    "free_unref",
                    "^_*folio",
                    "truncate_inode_pages",
                    "page_frag_free",
                    "alloc",
                    "vmap",
                    "page_owner",
                ),
            ),  # fmt: skip
        ),
        F("BUG: Bad page map", "BUG: Bad page map"),
        F("BUG: workqueue lockup", "BUG: workqueue lockup", no_stack_trace=True),
        F(
            "BUG: sleeping function called from invalid context at (.*)",
            "BUG: sleeping function called from invalid context in {2}",
            stack=trace(),
        ),
        F(
            r"BUG: using ([a-z_]+)\(\) in preemptible",
            "BUG: using {1}() in preemptible code in {2}",
            stack=trace(
                "dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"
            ),
        ),  # fmt: skip
        F(
            "BUG: workqueue leaked lock or atomic",
            "BUG: workqueue leaked lock or atomic in {1}",
            report=r"BUG: workqueue leaked lock or atomic(?:.*\n)+?.*last function: "
            r"([a-zA-Z0-9_]+)\n",
            no_stack_trace=True,
        ),
        F(
            "BUG: memory leak",
            "memory leak in {1}",
            stack=Stack(
                (rx(r"backtrace(?: \(crc [0-9a-fA-F]*\))?:"), PARSE),
                skip=(
                    "kmemleak",
                    "mmap",
                    "kmem",
                    "slab",
                    "alloc",
                    "create_object",
                    "idr_get",
                    "list_lru_init",
                    "kasprintf",
                    "kvasprintf",
                    "pcpu_create",
                    "strdup",
                    "strndup",
                    "memdup",
                ),
            ),  # fmt: skip
        ),
        F(
            "BUG: .*stack guard page was hit at",
            "BUG: stack guard page was hit in {1}",
            alt=("stack-overflow in {1}",),
            stack=rip_trace(picker="stall"),
        ),
        # arm/arm64 print this where amd64 prints a lockdep WARNING; share its title.
        F(
            "BUG: Invalid wait context",
            "WARNING: locking bug in {1}",
            stack=trace("lock_sock", "release_sock"),
        ),
        F(r"BUG:\s*(?:\n|$)", "BUG: corrupted", corrupted=True),
    ],
    sups(
        "ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:", "BUG: no syscalls can create resource"
    ),
)

WARNING = Oops(
    "WARNING:",
    [
        F(
            r"WARNING: .*lib/debugobjects\.c.* (?:debug_print|debug_check|at)",
            "WARNING: ODEBUG bug in {1}",
            stack=warning_trace(
                "debug_",
                "rcu",
                "hrtimer_",
                "timer_",
                "work_",
                "percpu_",
                "vunmap",
                "vfree",
                "__free_",
                "debug_check",
                "kobject_",
            ),
        ),  # fmt: skip
        F(
            r"WARNING: .*mm/usercopy\.c.* (?:usercopy_warn|at)",
            "WARNING: bad usercopy in {1}",
            stack=warning_trace("usercopy", "__check"),
        ),
        F(
            r"WARNING: .*lib/kobject\.c.* (?:kobject_|at)",
            "WARNING: kobject bug in {1}",
            stack=warning_trace("kobject_"),
        ),
        F(
            r"WARNING: .*fs/proc/generic\.c.* (?:proc_register|at)",
            "WARNING: proc registration bug in {1}",
            stack=warning_trace("proc_"),
        ),
        F(
            r"WARNING: .*lib/refcount\.c.* (?:refcount_|at)",
            "WARNING: refcount bug in {1}",
            stack=warning_trace("refcount", "kobject_"),
        ),
        F(
            r"WARNING: .*kernel/locking/lockdep\.c.*lock_",
            "WARNING: locking bug in {1}",
            stack=warning_trace("lock_sock", "release_sock"),
        ),
        F(
            "WARNING: .*still has locks held!",
            "WARNING: still has locks held in {1}",
            report=r"WARNING: .*still has locks held!(?:.*\n)+?.*at: {FUNC}",
        ),
        F(
            "WARNING: Nested lock was not taken",
            "WARNING: nested lock was not taken in {1}",
            stack=warning_trace(),
        ),
        F(
            "WARNING: lock held when returning to user space",
            "WARNING: lock held when returning to user space in {1}",
            report=r"WARNING: lock held when returning to user space(?:.*\n)+?"
            r".*leaving the kernel with locks still held" + _LOCKED_AT,
            no_stack_trace=True,
        ),
        F(
            r"WARNING: .*mm/.*\.c.* k?.?malloc",
            "WARNING: kmalloc bug in {1}",
            stack=warning_trace("kmalloc", "krealloc", "slab", "kmem"),
        ),
        F(
            "WARNING: .*mm/vmalloc.c.*__vmalloc_node",
            "WARNING: zero-size vmalloc in {1}",
            stack=warning_trace(),
        ),
        F(
            "WARNING: .* usb_submit_urb",
            "WARNING in {1}/usb_submit_urb",
            stack=warning_trace(
                "usb_submit_urb",
                "usb_start_wait_urb",
                "usb_bulk_msg",
                "usb_interrupt_msg",
                "usb_control_msg",
            ),
        ),  # fmt: skip
        # The newer one-line format: "WARNING: file.c:123 at 0x..., CPU#0: ...".
        F(r"WARNING: {SRC} at 0x\d+, CPU#\d+", "WARNING in {2}", stack=warning_trace()),
        F("WARNING: .* at {SRC} {FUNC}", "WARNING in {3}", stack=warning_trace()),
        F("WARNING: {SRC} at {FUNC}", "WARNING in {3}", stack=warning_trace()),
        F(r"WARNING: \[.*\] {SRC} at {FUNC}.*", "WARNING in {3}", stack=warning_trace()),
        F(
            "WARNING: possible circular locking dependency detected",
            "possible deadlock in {1}",
            report=r"WARNING: possible circular locking dependency detected(?:.*\n)+?"
            r".*is trying to acquire lock",
            # Workqueue functions take locks of work items: such deadlocks are the items'.
            stack=Stack(
                (rx("at: (?:{PC} +)?{FUNC}"), rx("at: (?:{PC} +)?{FUNC}"), PARSE),
                skip=(
                    "process_one_work",
                    "flush_workqueue",
                    "drain_workqueue",
                    "destroy_workqueue",
                ),
            ),  # fmt: skip
        ),
        F(
            "WARNING: possible irq lock inversion dependency detected",
            "possible deadlock in {1}",
            report=r"WARNING: possible irq lock inversion dependency detected(?:.*\n)+?"
            r".*just changed the state of lock" + _LOCKED_AT,
        ),
        F(
            "WARNING: .*-safe -> .*-unsafe lock order detected",
            "possible deadlock in {1}",
            stack=Stack((rx("which became (?:.*) at:"), PARSE)),
        ),
        F(
            "WARNING: possible recursive locking detected",
            "possible deadlock in {1}",
            report=r"WARNING: possible recursive locking detected(?:.*\n)+?"
            r".*is trying to acquire lock" + _LOCKED_AT,
        ),
        F(
            "WARNING: inconsistent lock state",
            "inconsistent lock state in {2}",
            report=r"WARNING: inconsistent lock state(?:.*\n)+?.*takes" + _LOCKED_AT,
            stack=trace(),
        ),
        F(
            "WARNING: suspicious RCU usage",
            "WARNING: suspicious RCU usage in {2}",
            report=r"WARNING: suspicious RCU usage(?:.*\n)+?.*?{SRC}",
            stack=trace("rcu", "kmem", "slab"),
        ),
        F(
            "WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value",
            "WARNING: kernel stack regs has bad '{1}' value",
            no_stack_trace=True,
        ),
        F(
            "WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value",
            "WARNING: kernel stack frame pointer has bad value",
            no_stack_trace=True,
        ),
        F(
            "WARNING: bad unlock balance detected!",
            "WARNING: bad unlock balance in {1}",
            stack=Stack((rx("{PC} +{FUNC}"), CALL_TRACE, PARSE)),
        ),
        F(
            "WARNING: held lock freed!",
            "WARNING: held lock freed in {1}",
            report=r"WARNING: held lock freed!(?:.*\n)+?.*at:(?: {PC})? +{FUNC}",
        ),
        F(
            "WARNING: kernel stack regs .* has bad 'bp' value",
            "WARNING: kernel stack regs has bad value",
            no_stack_trace=True,
        ),
        F(
            "WARNING: kernel stack frame pointer .* has bad value",
            "WARNING: kernel stack regs has bad value",
            no_stack_trace=True,
        ),
        F(r"WARNING:\s*(?:\n|$)", "WARNING: corrupted", corrupted=True),
    ],
    sups(
        "WARNING: /etc/ssh/moduli does not exist, using fixed modulus",  # sshd
        "WARNING: workqueue cpumask: online intersect > possible intersect",
        "WARNING: [Tt]he mand mount option",
        r"WARNING: Unsupported flag value\(s\) of 0x%x in DT_FLAGS_1",  # glibc
        "WARNING: Unprivileged eBPF is enabled with eIBRS",
        r"WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size "
        r"(\((?:\d+)x(?:\d+) vs\. (?:\d+)x(?:\d+)\))",
        "WARNING: See https.* for mitigation options.",
        "WARNING: kernel not compiled with CPU_SRSO",
        r"EXT4-[Ff][Ss](?: \(.*\))?:",  # __ext4_msg
        "(?i)warning: .* uses (deprecated v2 capabilities|wireless extensions)",
        r"XFS \(\w+\): WARNING",
    ),
)

_LOCKDEP_OLD = r" \](?:.*\n)+?.*{what}(?:.*\n)+?.*at: {{PC}} +{{FUNC}}"

INFO = Oops(
    "INFO:",
    [
        F(
            "INFO: possible circular locking dependency detected",
            "possible deadlock in {1}",
            report="INFO: possible circular locking dependency detected"
            + _LOCKDEP_OLD.format(what="is trying to acquire lock"),
        ),
        F(
            "INFO: possible irq lock inversion dependency detected",
            "possible deadlock in {1}",
            report="INFO: possible irq lock inversion dependency detected"
            + _LOCKDEP_OLD.format(what="just changed the state of lock"),
        ),
        F(
            "INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected",
            "possible deadlock in {1}",
            report="INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected"
            + _LOCKDEP_OLD.format(what="is trying to acquire"),
        ),
        F(
            "INFO: possible recursive locking detected",
            "possible deadlock in {1}",
            report="INFO: possible recursive locking detected"
            + _LOCKDEP_OLD.format(what="is trying to acquire lock"),
        ),
        F(
            "INFO: inconsistent lock state",
            "inconsistent lock state in {1}",
            report="INFO: inconsistent lock state" + _LOCKDEP_OLD.format(what="takes"),
        ),
        F(
            "INFO: rcu_(?:preempt|sched|bh|tasks) (?:self-)?detected(?: expedited)? stall",
            "INFO: rcu detected stall in {1}",
            alt=("stall in {1}",),
            stack=Stack(
                (rx("apic_timer_interrupt"), RIP_FRAME, PARSE),
                parts2=(rx("(?:apic_timer_interrupt|Exception stack|el1h_64_irq)"), PARSE),
                skip=("apic_timer_interrupt", "rcu"),
                picker="stall",
            ),
        ),
        F(
            "INFO: trying to register non-static key",
            "INFO: trying to register non-static key in {1}",
            stack=trace("stack", "lock", "IRQ"),
        ),
        F(
            "INFO: suspicious RCU usage",
            "INFO: suspicious RCU usage in {2}",
            report=r"INFO: suspicious RCU usage(?:.*\n)+?.*?{SRC}",
            stack=trace("rcu", "kmem", "slab"),
        ),
        F(
            "INFO: task {TASK} blocked (?:in I/O wait )?for more than [0-9]+ seconds",
            "INFO: task hung in {1}",
            alt=("hang in {1}",),
            stack=trace(picker="hang"),
        ),
        F(
            "INFO: task {TASK} can't die for more than .* seconds",
            "INFO: task can't die in {1}",
            alt=("hang in {1}",),
            stack=trace("schedule"),
        ),
        # What is left of a corrupted old-style KASAN report.
        F("INFO: (Freed|Allocated) in (.*)", "INFO: {1} in {2}", corrupted=True),
        F(r"INFO:\s*(?:\n|$)", "INFO: corrupted", corrupted=True),
    ],
    sups(
        "INFO: lockdep is turned off",
        "INFO: Stall ended before state dump start",
        "INFO: NMI handler",
        "INFO: recovery required on readonly filesystem",
        "(handler|interrupt).*took too long",
        "INFO: sys_.* is not present in /proc/kallsyms",
        "INFO: no syscalls can create resource",
        "rmt_storage:INFO:",
        "_INFO:",  # "INVALID BTF_INFO:NUM"
    ),
)

KERNEL_PANIC = Oops(
    "Kernel panic",
    [
        # With a corrupted stack the kernel may fail to print the symbol or to unwind.
        F(
            "Kernel panic - not syncing: stack-protector:",
            "kernel panic: stack is corrupted in {1}",
            report="Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "
            "{FUNC}",
            no_stack_trace=True,
        ),
        F(
            "Kernel panic - not syncing: stack-protector:",
            "kernel panic: stack is corrupted in {1}",
            report="Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: "
            "[a-f0-9]+",
            stack=trace("stack_chk"),
        ),
        F(
            "Kernel panic - not syncing: corrupted stack end",
            "kernel panic: corrupted stack end in {1}",
            report="Kernel panic - not syncing: corrupted stack end detected inside scheduler",
            alt=("stack-overflow in {1}",),
            stack=trace("schedule", "retint_kernel", picker="stall"),
        ),
        F(
            "Kernel panic - not syncing: kernel stack overflow",
            "kernel stack overflow in {1}",
            alt=("stack-overflow in {1}",),
            stack=trace("bad_stack", picker="stall"),
        ),
        F(
            "Kernel panic - not syncing: Attempted to kill init!",
            "kernel panic: Attempted to kill init!",
        ),
        F(
            "Kernel panic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+",
            "kernel panic: Couldn't open N_TTY ldisc",
        ),
        # These follow a BUG, WARNING/KASAN or hung task report: seeing one as the
        # title means the report before it was lost.
        F(
            "Kernel panic - not syncing: Fatal exception",
            "kernel panic: Fatal exception",
            corrupted=True,
        ),
        F(
            "Kernel panic - not syncing: panic_on_warn set",
            "kernel panic: panic_on_warn set",
            corrupted=True,
        ),
        F(
            "Kernel panic - not syncing: hung_task: blocked tasks",
            "kernel panic: hung_task: blocked tasks",
            corrupted=True,
        ),
        F("Kernel panic - not syncing: (.*)", "kernel panic: {1}"),
    ],
)


def _simple(header: str, title: str, fmt: str, stack: Stack | None = None, **kw: object) -> Oops:
    return Oops(header, [F(title, fmt, stack=stack, **kw)])


_RIP_ONLY = Stack((RIP_FRAME,))

KERNEL_BUG = Oops(
    "kernel BUG",
    [
        F("kernel BUG at mm/usercopy.c", "BUG: bad usercopy in {1}", stack=trace("usercopy",
                                                                                  "__check")),
        F(
            "kernel BUG at lib/list_debug.c",
            "BUG: corrupted list in {1}",
            alt=("bad-access in {1}",),  # often memory corruption or a race, too
            stack=trace(),
        ),
        # Many skb helpers BUG_ON their arguments; the bug is almost always the caller's.
        F("kernel BUG at (.*)", "kernel BUG in {2}", stack=rip_trace("^skb_")),
    ],
)  # fmt: skip

UBSAN = Oops(
    "UBSAN:",
    [
        F(
            "UBSAN:",
            "UBSAN: undefined-behaviour in {1}",
            report="UBSAN: Undefined behaviour in",
            stack=trace("ubsan", "overflow"),
        ),
        F(
            "UBSAN: array-index-out-of-bounds in",
            "UBSAN: array-index-out-of-bounds in {1}",
            alt=("bad-access in {1}",),
            stack=trace("ubsan", "overflow"),
        ),
        F(
            "UBSAN:",
            "UBSAN: {1} in {2}",
            report="UBSAN: (.*?) in",
            stack=trace("ubsan", "overflow"),
        ),
    ],
)

TRUSTY = Oops(
    "trusty: panic",
    [
        F(
            "trusty: panic.* ASSERT FAILED",
            "trusty: ASSERT FAILED: {1}",
            report=r"trusty: panic \(.*?\):(?: DEBUG)? ASSERT FAILED at \(.*?\): (.+)",
            no_stack_trace=True,
        ),
        F("trusty: panic.* ASSERT FAILED.*: *(.*)", "trusty: ASSERT FAILED: {1}", corrupted=True),
        F(
            "trusty: panic",
            "trusty: panic: {1}",
            report=r"trusty: panic \(.*?\): (.+)",
            no_stack_trace=True,
        ),
    ],
)

PANIC = Oops(
    "panic:",
    [
        F(
            "panic: Sentry detected .* stuck task",
            "panic: Sentry detected stuck tasks",
            no_stack_trace=True,
        ),
        F("panic:(.*)", "panic:{1}", no_stack_trace=True),
    ],
    # kernel functions (skb_panic), Android boot chatter
    sups("_panic:", "xlog_status:", r"ddb\.onpanic:", "evtlog_status:"),
)

# In syzbot's order: on a line matching several headers, the first one wins.
OOPSES: list[Oops] = [
    BUG,
    WARNING,
    INFO,
    _simple(
        "Unable to handle kernel",
        "Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)",
        "BUG: unable to handle kernel {1} in {2}",
        rip_trace(),
        alt=("bad-access in {2}",),
    ),
    Oops(
        "general protection fault",
        [
            F(
                "general protection fault.*:",
                "general protection fault in {1}",
                alt=("bad-access in {1}",),
                stack=rip_trace(),
            )
        ],
        sups(r"general protection fault .* error:\d+ in "),  # user space
    ),
    _simple("stack segment: ", "stack segment: ", "stack segment fault in {1}", rip_trace()),
    KERNEL_PANIC,
    _simple("PANIC: double fault", "PANIC: double fault", "PANIC: double fault in {1}", _RIP_ONLY),
    _simple(
        "rust_kernel: panicked",
        "rust_kernel: panicked",
        "{1} in {2}",
        trace(re.escape("__rustc::rust_begin_unwind")),
        report=r"rust_kernel: panicked at [^\n]*?\n(.+?)\n",
    ),
    KERNEL_BUG,
    _simple("Kernel BUG", "Kernel BUG (.*)", "kernel BUG {1}"),
    _simple("BUG kmalloc-", "BUG kmalloc-.*: Object already free", "BUG: Object already free"),
    _simple("divide error:", "divide error: ", "divide error in {1}", _RIP_ONLY),
    # A misspelling of the above in some kernels.
    _simple("divide_error:", "divide_error: ", "divide error in {1}", _RIP_ONLY),
    _simple("invalid opcode:", "invalid opcode: ", "invalid opcode in {1}", _RIP_ONLY),
    _simple("int3:", "int3: ", "int3 in {1}", rip_trace()),
    UBSAN,
    Oops(
        "Booting the kernel.",
        [F("^Booting the kernel", "unexpected kernel reboot", no_stack_trace=True)],
        # The fuzzer may echo boot messages back through mount options.
        sups("Parsing ELF|Decompressing Linux|Unknown parameter '"),
    ),
    _simple(
        "unregister_netdevice: waiting for",
        "unregister_netdevice: waiting for (?:.*) to become free",
        "unregister_netdevice: waiting for DEV to become free",
        no_stack_trace=True,
    ),
    # Older kernels' custom VFS checks.
    _simple(
        "VFS: Close: file count is 0",
        "VFS: Close: file count is 0",
        "VFS: Close: file count is zero (use-after-free)",
        no_stack_trace=True,
    ),
    _simple(
        "VFS: Busy inodes after unmount",
        "VFS: Busy inodes after unmount",
        "VFS: Busy inodes after unmount (use-after-free)",
        no_stack_trace=True,
    ),
    # arm64's and arm's names for what x86 calls paging faults and GPFs.
    _simple(
        "Internal error:",
        "Internal error:",
        "Internal error in {1}",
        rip_trace(),
        alt=("bad-access in {1}",),
    ),
    _simple(
        "Unhandled fault:",
        "Unhandled fault:",
        "Unhandled fault in {1}",
        rip_trace(),
        alt=("bad-access in {1}",),
    ),
    _simple("Alignment trap:", "Alignment trap:", "Alignment trap in {1}", rip_trace()),
    TRUSTY,
    Oops(
        "fatal error:",
        [F("fatal error:", "go runtime error", no_stack_trace=True)],
        sups("ALSA", "fatal error: cannot create timer"),
    ),
    # Produced by syzkaller's own executor and tools.
    _simple("SYZFAIL:", "SYZFAIL:(.*)", "SYZFAIL:{1}", no_stack_trace=True),
    _simple(
        "SYZFATAL:", "SYZFATAL:(.*)()", "SYZFATAL:{1}", no_stack_trace=True, alt=("SYZFATAL{2}",)
    ),
    PANIC,
]

# These do not start a new report: they show up in the middle of one.
REPORT_START_IGNORES = sups(
    "invalid opcode: 0000",
    "Kernel panic - not syncing",
    "unregister_netdevice: waiting for",
    "PANIC: double fault",  # can happen while handling a page fault on corrupted memory
    "Internal error:",
)

# Not bugs, but they print stacks: inside another report they make it unreliable.
INFO_WITH_STACK = (
    "vmalloc: allocation failure:",
    "FAULT_INJECTION: forcing a failure",
    "FAULT_FLAG_ALLOW_RETRY missing",
)

# Reports syzbot never files: the test machine ran out of memory, the fuzzer broke, ...
SUPPRESSIONS = sups(
    "panic: failed to start executor binary",
    "panic: executor failed: pthread_create failed",
    "panic: failed to create temp dir",
    "fatal error: unexpected signal during runtime execution",
    "signal SIGBUS: bus error",
    "SYZFAIL: SIGBUS",
    r"Out of memory: Kill process .* \(syz-executor\)",
    r"Out of memory: Kill process .* \(sshd\)",
    r"Killed process .* \(syz-executor\)",
    r"Killed process .* \(sshd\)",
    "lowmemorykiller: Killing 'syz-executor'",
    "lowmemorykiller: Killing 'sshd'",
    "INIT: PANIC: segmentation violation!",
    r"\*\*\* stack smashing detected \*\*\*: terminated",
    # Go runtime out of memory
    "fatal error: runtime: out of memory",
    "fatal error: runtime: cannot allocate memory",
    "fatal error: out of memory",
    "fatal error: newosproc",
    "panic: .*cannot allocate memory",
)
