"""Titles: syzbot's normalisations, and the crash type a title names.

The patterns follow syzkaller's pkg/report (Apache-2.0), so that titles match syzbot's.
"""

from __future__ import annotations

import re

# Applied in order, each until the title stops changing: parts that differ between
# runs of the same bug become placeholders.
_REPLACEMENTS = [
    (re.compile(p, re.ASCII), r)
    for p, r in (
        (r"syz-executor\.?[0-9]+((/|:)[0-9]+)?", "syz-executor"),  # executor pids
        (r"syzkaller[0-9]+((/|:)[0-9]+)?", "syzkaller"),
        (r"([^a-zA-Z0-9])(?:0x)?[0-9a-f]{6,}", r"\1ADDR"),  # anything that looks like an address
        (r"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})", "IP"),
        (r"(\.\w+)(:[0-9]+)+", r"\1:LINE"),  # file:line
        (r"([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+", r"\1"),  # func+0x12/0x34
        (r"CPU#[0-9]+", "CPU"),
        (r"(\W)(\d+)(\W|$)", r"\1NUM\3"),  # numbers (overlapping ones need several passes)
        (r"\d{7,}", "NUM"),  # digits in names (cfg80211) stay, unless too long to be a name
    )
]

MAX_TITLE = 120  # bytes; corrupted, intermixed lines can be very long


def normalize(title: str) -> str:
    """The title as syzbot files it: placeholders for run-specific parts, printable, short."""
    for pattern, repl in _REPLACEMENTS:
        while True:
            new = pattern.sub(repl, title)
            if new == title:
                break
            title = new
    out = bytearray()
    prev = ord(" ")
    for ch in title.encode("utf-8", "replace")[:MAX_TITLE]:
        if ch == 0x09:
            ch = 0x20
        elif ch < 0x20 or ch >= 0x7F:
            continue
        if ch == 0x20 and prev == 0x20:
            continue
        out.append(ch)
        prev = ch
    return out.decode("ascii").strip()


# Title prefix -> crash type; the first matching row wins, so specific rows come first.
_TYPES: list[tuple[str, tuple[str, ...]]] = [
    ("KFENCE-USE-AFTER-FREE-WRITE", ("KFENCE: use-after-free write",)),
    ("KFENCE-USE-AFTER-FREE-READ", ("KFENCE: use-after-free read", "KFENCE: use-after-free")),
    ("KFENCE-WRITE", ("KFENCE: invalid write", "KFENCE: out-of-bounds write")),
    (
        "KFENCE-READ",
        ("KFENCE: invalid read", "KFENCE: out-of-bounds read", "KFENCE: out-of-bounds"),
    ),
    ("KFENCE-MEMORY-CORRUPTION", ("KFENCE: memory corruption",)),
    ("KFENCE-INVALID-FREE", ("KFENCE: invalid free",)),
    ("KMSAN-UNINIT-VALUE", ("KMSAN: uninit-value",)),
    (
        "KMSAN-USE-AFTER-FREE-READ",
        (
            "KMSAN: kernel-infoleak-after-free",
            "KMSAN: kernel-usb-infoleak-after-free",
            "KMSAN: use-after-free",
        ),
    ),
    ("KMSAN-INFO-LEAK", ("KMSAN: kernel-infoleak", "KMSAN: kernel-usb-infoleak")),
    ("KASAN-NULL-POINTER-DEREFERENCE-WRITE", ("KASAN: null-ptr-deref Write",)),
    ("KASAN-NULL-POINTER-DEREFERENCE-READ", ("KASAN: null-ptr-deref Read",)),
    ("NULL-POINTER-DEREFERENCE", ("BUG: unable to handle kernel NULL pointer dereference in",)),
    (
        "KASAN-WRITE",
        tuple(
            f"KASAN: {kind} Write"
            for kind in (
                "global-out-of-bounds",
                "out-of-bounds",
                "slab-out-of-bounds",
                "stack-out-of-bounds",
                "user-memory-access",
                "vmalloc-out-of-bounds",
                "wild-memory-access",
            )
        ),
    ),  # fmt: skip
    (
        "KASAN-READ",
        (
            "KASAN: global-out-of-bounds Read",
            "KASAN: invalid-access Read",
            "KASAN: out-of-bounds Read",
            "KASAN: slab-out-of-bounds Read",
            "KASAN: slab-out-of-bounds",
            "KASAN: stack-out-of-bounds Read",
            "KASAN: stack-out-of-bounds",
            "KASAN: unknown-crash Read",
            "KASAN: user-memory-access Read",
            "KASAN: vmalloc-out-of-bounds Read",
            "KASAN: wild-memory-access Read",
            "KASAN: wild-memory-access",
        ),
    ),  # fmt: skip
    ("KASAN-INVALID-FREE", ("KASAN: double-free or invalid-free", "KASAN: invalid-free")),
    (
        "KASAN-USE-AFTER-FREE-WRITE",
        ("KASAN: slab-use-after-free Write", "KASAN: use-after-free Write"),
    ),
    (
        "KASAN-USE-AFTER-FREE-READ",
        ("KASAN: slab-use-after-free Read", "KASAN: use-after-free Read", "KASAN: use-after-free"),
    ),
    (
        "MEMORY_SAFETY_BUG",
        ("BUG: corrupted list", "BUG: unable to handle kernel paging request"),
    ),
    ("REFCOUNT_WARNING", ("WARNING: refcount bug",)),
    ("MEMORY_SAFETY_UBSAN", ("UBSAN: array-index-out-of-bounds",)),
    ("KCSAN-DATARACE", ("KCSAN: data-race",)),
    ("KCSAN-ASSERT", ("KCSAN: assert: race in",)),
    (
        "LOCKDEP",
        (
            "BUG: bad unlock balance in",
            "BUG: held lock freed in",
            "BUG: rwlock",
            "BUG: spinlock",
            "BUG: still has locks held in",
            "BUG: using",
            "WARNING: bad unlock balance in",
            "WARNING: held lock freed in",
            "WARNING: lock held",
            "WARNING: locking bug in",
            "WARNING: nested lock was not taken in",
            "WARNING: still has locks held in",
            "WARNING: suspicious RCU usage in",
            "inconsistent lock state in",
            "possible deadlock in",
        ),
    ),  # fmt: skip
    (
        "ATOMIC_SLEEP",
        (
            "BUG: scheduling while atomic in",
            "BUG: sleeping function called from invalid context in",
        ),
    ),
    ("LEAK", ("memory leak in",)),
    ("BUG", ("BUG: bad usercopy in", "kernel BUG")),
    ("WARNING", ("WARNING in",)),
    # printk()-level problems: no type
    (
        "",
        (
            "BUG: stack guard page was hit in",
            "WARNING: corrupted",
            "WARNING: kernel stack frame pointer has bad value",
            "WARNING: kernel stack regs has bad",
        ),
    ),  # fmt: skip
    (
        "HANG",
        (
            "BUG: soft lockup in",
            "INFO: rcu detected stall in",
            "INFO: task can't die in",
            "INFO: task hung in",
        ),
    ),  # fmt: skip
    (
        "DoS",
        (
            "Alignment trap in",
            "BUG: Object already free",
            "Internal error in",
            "PANIC: double fault",
            "Unhandled fault in",
            "VFS: Busy inodes after unmount (use-after-free)",
            "VFS: Close: file count is zero (use-after-free)",
            "divide error in",
            "general protection fault in",
            "go runtime error",
            "int3 in",
            "invalid opcode in",
            "kernel panic:",
            "kernel stack overflow",
            "panic:",
            "rust_kernel panicked",
            "stack segment fault in",
            "trusty:",
            "unregister_netdevice: waiting for DEV to become free",
        ),
    ),  # fmt: skip
    ("NO_OUTPUT", ("no output from test machine",)),
    ("REBOOT", ("unexpected kernel reboot",)),
    ("SYZ_FAILURE", ("SYZFAIL", "SYZFATAL:")),
    # defaults by family
    ("WARNING", ("WARNING:",)),
    ("", ("BUG:", "INFO:")),
    ("KASAN-UNKNOWN", ("KASAN:",)),
    ("KFENCE-UNKNOWN", ("KFENCE:",)),
    ("KMSAN-UNKNOWN", ("KMSAN:",)),
    ("UBSAN", ("UBSAN:",)),
    ("KCSAN-UNKNOWN", ("KCSAN:",)),
]


def title_type(title: str) -> str | None:
    """The crash class of a title (syzbot's names: KASAN-READ, LOCKDEP, HANG, ...)."""
    for crash_type, prefixes in _TYPES:
        if title.startswith(prefixes):
            return crash_type or None
    return None
