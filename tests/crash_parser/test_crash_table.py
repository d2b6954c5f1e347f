"""The oops table is well-formed: every title template has the arguments it names."""

from __future__ import annotations

import re

import pytest

from actors.crash_parser.formats import OOPSES
from actors.crash_parser.stacks import PARSE
from actors.crash_parser.titles import normalize, title_type

FORMATS = [(o.header, f) for o in OOPSES for f in o.formats]


def picks(stack) -> int:
    """How many frames a stack yields: one per stack trace, and one at the end."""
    if stack is None:
        return 0
    counts = [1 + max(0, sum(p is PARSE for p in parts) - 1) for parts in (stack.parts,)]
    if stack.parts2:
        counts.append(1 + max(0, sum(p is PARSE for p in stack.parts2) - 1))
    assert len(set(counts)) == 1, "parts and parts2 must yield the same frames"
    return counts[0]


@pytest.mark.parametrize("header, fmt", FORMATS, ids=lambda x: getattr(x, "fmt", x))
def test_template_arguments_exist(header, fmt):
    groups = (fmt.report or fmt.title).groups
    args = groups + picks(fmt.stack)
    used = [int(n) for t in (fmt.fmt, *fmt.alt) for n in re.findall(r"\{(\d+)\}", t)]
    assert all(1 <= n <= args for n in used), (used, args)
    assert (
        header in fmt.title.pattern
        or header.rstrip(":. ") in fmt.title.pattern
        or (fmt.title.pattern.startswith("^"))
    )


@pytest.mark.parametrize(
    "raw, title",
    [
        ("WARNING in foo+0x12/0x340", "WARNING in foo"),
        ("INFO: task syz-executor.3:1234 blocked", "INFO: task syz-executor blocked"),
        (
            "KASAN: slab-out-of-bounds in f at addr ffff88801234abcd",
            "KASAN: slab-out-of-bounds in f at addr ADDR",
        ),  # noqa: E501
        ("BUG: at net/core/dev.c:123:45 on CPU#3", "BUG: at net/core/dev.c:LINE on CPU"),
        ("kernel panic: bad 10.0.0.1 x 12,34", "kernel panic: bad IP x NUM,NUM"),
        ("memory leak in cfg80211_x", "memory leak in cfg80211_x"),
        ("a\tb  c\x01d" + "x" * 200, "a b cd" + "x" * 112),  # 120 bytes in, then cleaned
    ],
)
def test_normalize(raw, title):
    assert normalize(raw) == title


@pytest.mark.parametrize(
    "title, crash_type",
    [
        ("KASAN: slab-use-after-free Read in f", "KASAN-USE-AFTER-FREE-READ"),
        ("KASAN: null-ptr-deref Write in f", "KASAN-NULL-POINTER-DEREFERENCE-WRITE"),
        ("KFENCE: use-after-free write in f", "KFENCE-USE-AFTER-FREE-WRITE"),
        ("KMSAN: kernel-infoleak-after-free in f", "KMSAN-USE-AFTER-FREE-READ"),
        ("UBSAN: shift-out-of-bounds in f", "UBSAN"),
        ("UBSAN: array-index-out-of-bounds in f", "MEMORY_SAFETY_UBSAN"),
        ("WARNING: refcount bug in f", "REFCOUNT_WARNING"),
        ("WARNING: ODEBUG bug in f", "WARNING"),
        ("BUG: stack guard page was hit in f", None),
        ("INFO: task hung in f", "HANG"),
        ("possible deadlock in f", "LOCKDEP"),
        ("general protection fault in f", "DoS"),
        ("memory leak in f", "LEAK"),
        ("something else", None),
    ],
)
def test_title_type(title, crash_type):
    assert title_type(title) == crash_type
