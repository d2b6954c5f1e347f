"""Stack traces: how frames look, which frames never name a bug, how one is picked.

A format's `Stack` says where in a report to look for the frame that names
the bug: a sequence of parts, each a regex that must match a later line
(capturing groups yield candidate frames) or `PARSE`, which reads a whole
stack trace. Frames matching a skip pattern are dropped; the first survivor
(or a custom picker's choice) becomes a title argument.

The patterns follow syzkaller's pkg/report (Apache-2.0), so that titles match syzbot's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_MACROS = {
    "{ADDR}": r"0x[0-9a-f]+",
    "{PC}": r"\[\<?(?:0x)?[0-9a-f]+\>?\]",
    "{FUNC}": r"([a-zA-Z0-9_]+)(?:\.|\+)",
    "{SRC}": r"([a-zA-Z0-9-_/.]+\.[a-z]+:[0-9]+)",
    "{TASK}": r"[\s\S]{0,100}?",
}


def rx(pattern: str) -> re.Pattern[str]:
    """Compile a pattern after expanding the {PC}, {FUNC}, {SRC}, {TASK}, {ADDR} macros."""
    for name, body in _MACROS.items():
        pattern = pattern.replace(name, body)
    return re.compile(pattern)


PARSE = None  # a stack part meaning "read a whole stack trace from here"

RIP_FRAME = rx(
    r"(?:IP|NIP|pc |PC is at):? (?:(?:[0-9]+:)?(?:{PC} +){0,2}{FUNC}|(?:[0-9]+:)?0x[0-9a-f]+"
    r"|(?:[0-9]+:)?{PC} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))"
)
CALL_TRACE = rx(r"(?:Call (?:T|t)race:)|(?:Backtrace:)")

# Lines that start a stack trace (a KMEMLEAK backtrace may carry a crc; "stack backtrace:" is not).
STACK_STARTS = [
    re.compile(p)
    for p in (
        r"Call (?:T|t)race",
        r"Allocated:",
        r"Allocated by task [0-9]+:",
        r"Freed:",
        r"Freed by task [0-9]+:",
        r"[^k] backtrace(?: \(crc [0-9a-fA-F]*\))?:",
        r"Backtrace:",
        r"Uninit was stored to memory at",
        r"status: [0-9a-f]{16} badaddr: [0-9a-f]{16} cause: [0-9a-f]{16}",  # riscv show_regs
    )
]
RISCV_STACK_START = STACK_STARTS[-1]


def any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str]:
    """One regex that matches where any of `patterns` would."""
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))


ANY_STACK_START = any_of(STACK_STARTS)

# A frame line: x86/arm64 style, or arm's "[<pc>] (callee) from [<pc>] (caller+...".
FRAME_LINES = [
    rx(r"^ *(?:{PC} ){0,2}{FUNC}"),
    rx(r"^ *{PC} \(([a-zA-Z0-9_.]+)\) from {PC} \({FUNC}"),
]

# Fault injection stacks get mixed into reports; seeing one marks the report corrupted.
CORRUPTED_LINE = rx(r"^( \[\<?(?:0x)?[0-9a-f]+\>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x")

# Syscall wrapper prefixes that differ between arches and kernel versions.
STRIP_PREFIXES = (
    "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_", "__sys_",
    "__se_", "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
)  # fmt: skip

# Functions that never name a bug: sanitizers, reporting, allocators, locking, generic
# helpers (matched anywhere in the function name).
SKIP_FRAMES = (
    # sanitizer runtimes and reporting
    "__sanitizer", "__asan", "kasan", "hwasan", "__msan", "kmsan", "kcsan_setup_watchpoint",
    "check_memory_region", "check_heap_object", "check_object", "read_word_at_a_time",
    "(read|write)_once_.*nocheck", "print_address_description", "panic", "invalid_op",
    "report_bug", "fixup_bug", "print_report", "print_usage_bug", "do_error", "_trap$|do_trap",
    "show_stack", "dump_stack", "walk_stack", "dump_backtrace", "warn_slowpath", "warn_alloc",
    "warn_bogus", "__warn", "print_tainted", "__fortify_report", "^get_taint$",
    "program_check_exception", "program_check_common", "assertfail",
    "stack_trace_consume_entry", "arch_stack_walk", "stack_trace_save",
    # allocators and the page cache
    "alloc_page", "k?v?(?:m|z|c)alloc", "krealloc", "kmem_cache", "allocate_slab",
    "__alloc_frozen_pages_noprof", "folio_(?:alloc|unlock)", "filemap_alloc_folio",
    "__filemap_get_folio", "find_or_create_page", "do_read_cache_folio", "read_cache_page",
    "pagecache_get_page", "grab_cache_page_write_begin", "slab_", "^kv?free$", "kfree_skb",
    "xas_(?:start|load|find)", "find_lock_entries", "truncate_inode_pages_range", "__phys_addr",
    "^(un)?lock_page", "mark_buffer_dirty",
    # debug objects, lockdep, locking primitives
    "debug_object", "timer_is_static_object", "work_is_static_object", "print_unlock",
    "imbalance_bug", "lockdep", "bh_enable", "bh_disable", "perf_trace", "lock_acquire",
    "lock_release", "lock_class", "mark_lock", "(reacquire|mark)_held_locks", "raw_spin_rq",
    "spin_lock", "spin_trylock", "spin_unlock", "read_lock", "read_trylock", "write_lock",
    "write_trylock", "read_unlock", "write_unlock", "^down$", "down_read", "down_write",
    "down_read_trylock", "down_write_trylock", "down_trylock", "up_read", "up_write", "^mutex_",
    "^__mutex_", "^rt_mutex_", "owner_on_cpu", "osq_lock", "osq_unlock",
    "(trace|lockdep)_(hard|soft)irq", "seqprop_assert",
    # atomics, refcounts, lists, trees
    "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)",
    "(set|clear|change|test)_bit", "__wake_up", "^refcount_", "^kref_", "ref_tracker",
    "list_add", "list_del", "list_replace", "list_move", "list_splice", "^rb_", "^__rb_",
    "^klist_", "rhashtable_lookup", "ida_free",
    # memory and string helpers, user copies
    "memcpy", "memcmp", "memset", "memchr", "memmove", "memdup", "strcmp", "strncmp", "strcpy",
    "strlcpy", "strncpy", "strscpy", "strlen", "strstr", "strnstr", "strnlen", "strchr",
    "strdup", "strndup", "copy_to_user", "copy_from_user", "copy_to_iter", "copy_from_iter",
    "copy_page_to_iter", "copy_page_from_iter", "copy_folio_to_iter", "^copyin$", "^copyout$",
    "put_user", "get_user", "might_fault", "might_sleep", "__might_fault", "__might_resched",
    "extract_(user|iter)_to_sg", "_indirect_thunk_",
    # printing
    "string", "pointer", "snprintf", "scnprintf", "kasprintf", "kvasprintf", "printk",
    "va_format", "dev_info", "dev_notice", "dev_warn", "dev_err", "dev_alert", "dev_crit",
    "dev_emerg", "hex_dump_to_buffer", "print_hex_dump",
    # timers, workqueues, completions
    "del_timer", "flush_work", "__cancel_work_timer", "cancel_work_sync", "try_to_grab_pending",
    "flush_workqueue", "drain_workqueue", "destroy_workqueue", "queue_work", "finish_wait",
    "kthread_stop", "insert_work", "__queue_delayed_work", "queue_delayed_work_on",
    "^complete$", "wait_for_completion", "lock_timer_base", "__timer_delete_sync",
    "sk_stop_timer_sync", "__mod_timer", "cleanup_srcu_struct",
    # the driver model and generic teardown
    "kobject_", "add_uevent_var", "get_device_parent", "device_add", "device_del",
    "device_unregister", "device_destroy", "device_release", "devres_release_all",
    "hwrng_unregister", "i2c_del_adapter", "__unregister_client", "device_for_each_child",
    "rollback_registered", "unregister_netdev", "sysfs_remove", "device_remove_file",
    "tty_unregister_device", "^put_device$", "drop_nlink", "^iput$", "^iput_final$", "^ihold$",
    "fast_dput", "dput",
    # usb plumbing
    "dummy_urb_enqueue", "usb_kill_urb", "usb_kill_anchored_urbs", "usb_control_msg",
    "usb_hcd_submit_urb", "usb_submit_urb",
    # mmio, checksums
    "readb$", "readw$", "readl$", "readq$", "writeb$", "writew$", "writel$", "writeq$",
    "logic_in", "logic_out", "^crc\\d+", "crc_itu_t",
    # arm64 fault handling
    "do_(kernel|translation)_fault", "do_mem_abort", "el1_abort", "el1h_64_sync(?:_handler)?",
)  # fmt: skip

# Where the loop of a stall or stack overflow enters: the frame before one of these names it.
STALL_ANCHOR = any_of([
    re.compile(p)
    for p in (
        # generic dispatchers (and some of their callers, in case names change)
        "process_one_work", "do_syscall_", "do_fast_syscall_", "sysenter_dispatch",
        "tracesys_phase2", "el0_svc_handler", "invoke_syscall", "ret_fast_syscall",
        "netif_receive_skb", "do_softirq", "call_timer_fn", "_run_timers", "run_timer_softirq",
        "hrtimer_run", "run_ksoftirqd", "smpboot_thread_fn", "^kthread$", "start_secondary",
        "cpu_startup_entry", "ret_from_fork",
        # discriminating file operations
        "vfs_write", "vfs_read", "vfs_iter_read", "vfs_iter_write", "do_iter_read",
        "do_iter_write", "call_read_iter", "call_write_iter", "new_sync_read", "new_sync_write",
        "vfs_ioctl", "ksys_ioctl", "compat_ioctl", "compat_sys_ioctl", "blkdev_driver_ioctl",
        "blkdev_ioctl", "^call_read_iter", "^call_write_iter", "do_iter_readv_writev",
        "^call_mmap", "mmap_region", "do_mmap", "do_dentry_open", "vfs_open",
        # socket operations
        "^sock_sendmsg", "^sock_recvmsg", "^sock_release", "^__sock_release", "^setsockopt$",
        "kernel_setsockopt", "sock_common_setsockopt", "^listen$", "kernel_listen",
        "sk_common_release", "^sock_mmap", "^accept$", "kernel_accept", "^sock_do_ioctl",
        "^sock_ioctl", "^compat_sock_ioctl", "^nfnetlink_rcv_msg", "^rtnetlink_rcv_msg",
        "^netlink_dump", "^(sys_)?(socketpair|connect|ioctl)",
        # page faults, return-to-user callbacks
        "__do_fault", "do_page_fault", "^page_fault$", "__fput", "task_work_run",
        "exit_to_usermode", "smp_call_function", "tasklet_action", "tasklet_hi_action",
    )
])  # fmt: skip

# Hung tasks sit in victims' stacks; these anchors group them by the real culprit.
HANG_ANCHORS = {
    "rtnl_lock": None,
    "synchronize_rcu": "synchronize_rcu",
    "synchronize_srcu": "synchronize_rcu",
    "synchronize_net": "synchronize_rcu",
    "synchronize_sched": "synchronize_rcu",
}
HANG_SKIP = (
    "sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait",
    "synchronize", "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier",
)  # fmt: skip


def pick_stall_frame(frames: list[str]) -> tuple[str, int]:
    """The frame just before the entry point of the looping code (stalls, overflows)."""
    if not frames:
        return "", -1
    prev, prev_idx = frames[0], 0
    for i, frame in enumerate(frames):
        if STALL_ANCHOR.search(frame):
            if "smp_call_function" in frame:
                return "smp_call_function", i
            return prev, prev_idx
        prev, prev_idx = frame, i
    return "", -1


def pick_hang_frame(frames: list[str]) -> tuple[str, int]:
    """A hung task's culprit: a known anchor, else the first non-scheduling frame."""
    for i, frame in enumerate(frames):
        for anchor, name in HANG_ANCHORS.items():
            if anchor in frame:
                return name or frame, i
    for i, frame in enumerate(frames):
        if not any(s in frame for s in HANG_SKIP):
            return frame, i
    return "", -1


PICKERS: dict[str, Callable[[list[str]], tuple[str, int]]] = {
    "stall": pick_stall_frame,
    "hang": pick_hang_frame,
}


@dataclass
class Stack:
    """Where the bug-naming frame is in a report: `parts`, else `parts2`."""

    parts: tuple[re.Pattern[str] | None, ...]
    parts2: tuple[re.Pattern[str] | None, ...] = ()
    skip: tuple[str, ...] = ()
    picker: str | None = None  # a key of PICKERS; default: the first frame
    _skip_re: re.Pattern[str] = field(init=False, repr=False)
    _skipped: dict[str, bool] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._skip_re = re.compile("|".join(SKIP_FRAMES + self.skip))

    def skips(self, frame: str) -> bool:
        """Whether `frame` never names a bug in this kind of report (answers memoised)."""
        skipped = self._skipped.get(frame)
        if skipped is None:
            if len(self._skipped) > 100_000:
                self._skipped.clear()
            skipped = self._skipped[frame] = self._skip_re.search(frame) is not None
        return skipped


def strip_prefix(frame: str) -> str:
    """The shortest name left after removing one syscall-wrapper prefix."""
    best = frame
    for prefix in STRIP_PREFIXES:
        if frame.startswith(prefix) and len(frame) - len(prefix) < len(best):
            best = frame[len(prefix) :]
    return best


@dataclass
class Picked:
    canonical: str  # prefix-stripped, used in the title
    raw: str  # as printed, used for alternative titles


def _collect(frames: list[str], match: re.Match[str] | None, stack: Stack) -> None:
    if match is None:
        return
    for frame in match.groups():
        if frame is not None and not stack.skips(frame):
            frames.append(frame)


def _pick(stack: Stack, raw: list[str]) -> Picked | None:
    if not raw:
        return None
    stripped = [strip_prefix(f) for f in raw]
    if stack.picker is None:
        return Picked(stripped[0], raw[0])
    frame, idx = PICKERS[stack.picker](stripped)
    return Picked(frame, raw[idx]) if frame else None


def _extract(
    stack: Stack, parts: tuple[re.Pattern[str] | None, ...], text: str
) -> tuple[list[Picked], bool]:
    lines = text.split("\n")
    pos, n = 0, len(lines)
    raw: list[str] = []
    picked: list[Picked] = []
    ok = True
    traces = 0
    idx = 0
    while True:
        if idx == len(parts) or (parts[idx] is PARSE and traces > 0):
            frame = _pick(stack, raw)
            if frame is None:
                frame, ok = Picked("corrupted", "corrupted"), False
            picked.append(frame)
            raw = []
        if idx == len(parts):
            break
        part = parts[idx]
        if part is PARSE:
            traces += 1
            nxt = parts[idx + 1] if idx + 1 < len(parts) else None
            while pos < n:
                line = lines[pos]
                pos += 1
                if CORRUPTED_LINE.search(line):
                    ok = False
                    break
                if ANY_STACK_START.search(line):
                    break
                if nxt is not None:
                    m = nxt.search(line)
                    if m is not None:
                        _collect(raw, m, stack)
                        idx += 1
                        break
                for frame_re in FRAME_LINES:
                    m = frame_re.search(line)
                    if m is not None:
                        _collect(raw, m, stack)
                        break
        else:
            while pos < n:
                line = lines[pos]
                pos += 1
                if CORRUPTED_LINE.search(line):
                    ok = False
                    break
                m = part.search(line)
                if m is not None:
                    _collect(raw, m, stack)
                    break
        idx += 1
    return picked, ok


def extract_frames(stack: Stack, text: str) -> tuple[list[Picked], bool]:
    """The title frames for `stack` in `text` (a report from its title line on), and
    whether every one was found; a missing one is named "corrupted"."""
    picked, ok = _extract(stack, stack.parts, text)
    if ok or not stack.parts2:
        return picked, ok
    return _extract(stack, stack.parts2, text)
