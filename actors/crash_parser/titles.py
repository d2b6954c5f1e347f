"""From a report to its title: pick the frame that names it, fill the kind's template,
and normalise what changes from run to run."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain

from actors.crash_parser.anatomy import Report, StackFrame
from actors.crash_parser.frames import base_name, read_plain
from actors.crash_parser.kinds import FrameFrom, NamedAt, passes_over
from actors.crash_parser.skip import (
    MULTIPLEXED,
    SPIN_WAITS,
    context_entry,
    dispatch,
    generic,
    interrupt_entry,
)

CORRUPTED = "corrupted"  # what a title names when no frame could (syzbot's word)
MAX_TITLE = 120  # bytes

# Syscall entry points: the same syscall is reached through wrappers whose names
# changed across kernels (SyS_x before 4.17, __se_sys_x/__do_sys_x since, and
# __x64_sys_x/__ia32_sys_x from the syscall tables). A title names the syscall.
_SYSCALL = re.compile(
    r"(?:(?P<se>__se_|__do_)|(?P<arch>__(?:x64|ia32|arm64|riscv|s390x?)_))?"
    r"(?P<compat>compat_)?(?P<sys>sys|SyS|SYSC)_(?P<name>\w+)$"
)
# The prefixes of syscalls' entry points, wrappers and bodies, which changed across
# kernels: SyS_x/SYSC_x before 4.17 (compat_ ones too), __se_sys_x/__do_sys_x since,
# the syscall tables' arch entries (__x64_, __ia32_, __arm64_), the bodies that
# syscalls wrap (ksys_read() for read(2), __sys_sendmsg() and its ___/____ layers).
# A title names a frame with the longest of them taken off (syzbot's convention: the
# shortest name), and keeps as alternatives the name as printed and the name with
# each one that applies taken off (__se_sys_mremap: mremap; sys_mremap,
# __se_sys_mremap). compat_sys_x, which none of them starts, is its own code.
SYSCALL_PREFIXES = (
    "SYSC_", "SyS_", "sys_", "__x64_", "__ia32_", "__arm64_", "____sys_", "___sys_",
    "__sys_", "__se_", "__se_sys_", "__do_sys_", "compat_SYSC_", "compat_SyS_", "ksys_",
)  # fmt: skip
# Functions that kernels renamed or split while the bug stayed the same: a title
# names the first, the others become alternative titles.
_SAME: dict[str, str] = {
    "synchronize_sched": "synchronize_rcu",  # merged into synchronize_rcu() in 4.20
    "synchronize_rcu_expedited": "synchronize_rcu",
    "__synchronize_srcu": "synchronize_rcu",
    "smp_call_function_single": "smp_call_function",
}
# What changes from run to run in a title, and what syzbot writes instead, in the order
# it rewrites them (syzbot's title conventions, see README.md): the fuzzer's process
# names with their instance and pid, anything that looks like an address (six or more
# hex digits after a non-alphanumeric), IPv4 addresses, line numbers after a file name,
# offsets after a function, CPU numbers, other numbers standing alone, and long digit
# runs anywhere. Each with a word it needs, if any (a cheap test before the pattern).
_RUN_TO_RUN: tuple[tuple[str | None, re.Pattern[str], str], ...] = (
    ("syz", re.compile(r"(syz-executor|syzkaller)\.?\d+(?:[/:]\d+)?"), r"\1"),
    (None, re.compile(r"(?<=[^A-Za-z0-9])(?:0x)?[0-9a-f]{6,}"), "ADDR"),
    (".", re.compile(r"\d{1,3}(?:\.\d{1,3}){3}"), "IP"),
    (":", re.compile(r"(\.\w+)(?::\d+)+"), r"\1:LINE"),
    ("+0x", re.compile(r"([A-Za-z][\w.]+)\+0x[0-9a-z]+/0x[0-9a-z]+"), r"\1"),
    ("CPU#", re.compile(r"CPU#\d+"), "CPU"),
    (None, re.compile(r"(?<=\W)\d+(?=\W|$)"), "NUM"),
    (None, re.compile(r"\d{7,}"), "NUM"),
)
_DIGIT = re.compile(r"\d")
_HEX_WORD = _RUN_TO_RUN[1][1:]  # the one rewrite that needs no digit ("_deface")
_TAB = re.compile(r"\t")
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")  # control bytes and all non-ASCII: dropped
_BLANKS = re.compile(r"  +")


def names(function: str) -> tuple[str, list[str]]:
    """The name a title uses for `function`, and the other names of the same code."""
    function = base_name(function)
    if "sys" in function or "SyS" in function or "SYSC" in function:
        stripped = [function[len(p) :] for p in SYSCALL_PREFIXES if function.startswith(p)]
        if stripped:
            name = min(stripped, key=len)  # (the first of the shortest)
            others = [function, *(n for n in stripped if n != name)]
            return name, list(dict.fromkeys(others))
    if function in _SAME:
        return _SAME[function], [function]
    return function, []


def pick(report: Report, how: FrameFrom | None = None) -> StackFrame | None:
    """The frame that names the report, by its kind's rule (kinds.FrameFrom) or `how`."""
    kind = report.header.kind
    frames = [f for f in report.frames if f.held == kind.held_locks and not f.place]
    found = _pick(report, frames, how)
    if found is None and not kind.held_locks:  # no stack: a place the report names
        found = _pick(report, [f for f in report.frames if f.place], how)
    return found


def _pick(report: Report, frames: list[StackFrame], how: FrameFrom | None
          ) -> StackFrame | None:  # fmt: skip
    kind = report.header.kind
    if kind.stack_after is not None:
        for i, line in enumerate(report.lines):
            if i and kind.stack_after.match(line):
                frames = [f for f in frames if f.line > i]
                break
        else:
            if kind.stack_required:  # the stack that names it is not there
                return None
    if kind.named_at is not None:
        return _named_at(report, kind.named_at)
    if kind.anchors:
        anchored = _anchored(kind.anchors, [f for f in frames if not f.crash_ip])
        if anchored is not None:
            return anchored
    how = how or kind.frame
    extra = passes_over(report.header)
    if extra is not None:  # this kind's own helpers name no bug either
        frames = [f for f in frames if not _kind_skips(extra, f.frame.function)]
    if how is FrameFrom.CRASH:
        ip = [f for f in frames if f.crash_ip]
        rest = [f for f in frames if not f.crash_ip]
        if ip:
            rest = [f for f in rest if f.line > ip[0].line] or rest
        # the faulting IP, then its stack; with only generic frames there, the IP itself
        # (or the innermost frame) still says where it happened
        return _first([*ip[:1], *rest]) or (ip[:1] or rest[:1] or [None])[0]
    if how is FrameFrom.OUTERMOST:
        return _stalled(frames, whole_stack=True)
    if how is FrameFrom.INTERRUPTED:
        return _stalled(frames)
    candidates = [f for f in frames if not f.crash_ip]
    return _first_stack(candidates)


def _named_at(report: Report, where: NamedAt) -> StackFrame | None:
    """The frame that names a lockdep report by its places (kinds.NamedAt), read in
    order as syzbot does: each place after the one before, then the stack frames."""
    lines = report.lines
    start = next((i for i in range(1, len(lines)) if where.after.match(lines[i])), None)
    if start is None:
        return None
    following = (f for f in report.frames if f.line > start and not (f.held or f.crash_ip))
    # a place: a "..., at: f+0x1/0x2" line (a symbolised "at: f file.c:1 [inline]" is
    # not one); a stack frame: a line of a frame alone
    places: list[StackFrame] = []
    for f in following if where.places else ():
        if f.frame.offset is not None and "at: " in lines[f.line]:
            places.append(f)
            if len(places) == where.places:
                break
    if not where.past_generic:
        return places[0] if places else None
    stack = (f for f in following if read_plain(lines[f.line]) is not None)
    extra = passes_over(report.header)
    for f in chain(places, stack) if len(places) == where.places else places:
        name = base_name(f.frame.function)
        if not generic(name) and not (extra is not None and _kind_skips(extra, f.frame.function)):
            return f
    return None


def _anchored(anchors: tuple[tuple[str, str | None], ...], frames: list[StackFrame]
              ) -> StackFrame | None:  # fmt: skip
    """The first frame of the first stack whose name holds an anchor word (Kind.anchors;
    anchored_name() says what the title calls it)."""
    if not frames:
        return None
    first = frames[0].stack
    for f in frames:
        if f.stack != first:
            break
        if any(word in f.frame.function for word, _ in anchors):
            return f
    return None


def anchored_name(anchors: tuple[tuple[str, str | None], ...], function: str) -> str | None:
    """The name a title gives `function` by the first anchor word it holds, if that
    anchor renames it (its own name then becomes an alternative)."""
    for word, name in anchors:
        if word in function:
            return name if name != function else None
    return None


@lru_cache(maxsize=8192)
def _kind_skips(pattern: re.Pattern[str], function: str) -> bool:
    return pattern.search(base_name(function)) is not None


def interrupted(frames: list[StackFrame]) -> list[StackFrame]:
    """The frames of the code the reporting interrupt stopped, innermost first.

    A stall is reported from a timer interrupt. Its stack reads, innermost first: the
    report's own frames, the interrupt's entry (skip.INTERRUPT_ENTRIES), then the
    interrupted code (from the faulting IP of its registers, if printed), down to the
    entry of the context it ran in (a softirq, another interrupt: skip.CONTEXT_ENTRIES)
    or the end of its stack. On arm the interrupted code is the next stack.
    """
    reliable = frames  # (unreliable frames are not kept: anatomy.StackFrame)
    entry = next(
        (i for i, f in enumerate(reliable) if interrupt_entry(base_name(f.frame.function))),
        None,
    )
    # A watchdog that dumps the interrupted registers first (soft lockups): the
    # interrupted code starts at their faulting IP.
    ip_first = next(
        (i - 1 for i, f in enumerate(reliable) if f.crash_ip and not f.interrupt), None
    )  # (an IP inside the interrupt is the interrupt's own, e.g. a warning it hit)
    if ip_first is not None and (entry is None or ip_first < entry):
        entry = ip_first
    if entry is None:
        return []
    stack = reliable[max(entry, 0)].stack
    start = entry + 1
    while start < len(reliable) and interrupt_entry(base_name(reliable[start].frame.function)):
        start += 1
    ip = next(
        (i for i in range(start, len(reliable))
         if reliable[i].crash_ip and reliable[i].stack in (stack, stack + 1)),
        None,
    )  # fmt: skip
    if ip is not None:
        start = ip
    part: list[StackFrame] = []
    current = reliable[start].stack if start < len(reliable) else stack
    for f in reliable[start:]:
        if f.stack != current:
            # the registers' IP continues in the next stack ("RIP: ..." then "Call
            # Trace:"), and so does an arm interrupt entry that ended its stack
            if f.stack != current + 1 or not all(p.crash_ip for p in part):
                break
            current = f.stack
        name = base_name(f.frame.function)
        if part and (context_entry(name) or interrupt_entry(name)):
            break
        if not part and context_entry(name):
            continue
        part.append(f)
    return part


def _stalled(frames: list[StackFrame], whole_stack: bool = False) -> StackFrame | None:
    """What a stalled CPU was doing: a spin-wait it was caught in, else the outermost
    frame that is neither generic nor dispatch (see skip.DISPATCH). `whole_stack`: in
    the first stack (a stack overflow is the unit of work that recursed too deep)."""
    if whole_stack:
        reliable = frames
        first = min((f.stack for f in reliable if not f.crash_ip), default=None)
        part = [f for f in reliable if f.stack == first and not f.crash_ip]
    else:
        part = interrupted(frames)
    if part and base_name(part[0].frame.function) in SPIN_WAITS:
        return part[0]
    for f in reversed(part):
        name = base_name(f.frame.function)
        if generic(name) or dispatch(name):
            continue
        m = _SYSCALL.match(name)
        if m and m.group("name") in MULTIPLEXED:
            continue
        return f
    # only dispatch code (a compat wrapper, say, with nothing under it): the innermost
    return next((f for f in part if not generic(base_name(f.frame.function))), None)


def _first(frames: list[StackFrame]) -> StackFrame | None:
    return next((f for f in frames if not generic(base_name(f.frame.function))), None)


def _first_stack(frames: list[StackFrame]) -> StackFrame | None:
    """The first non-generic frame of the first stack that has one."""
    for stack in sorted({f.stack for f in frames}):
        found = _first([f for f in frames if f.stack == stack])
        if found:
            return found
    return None


def normalise(title: str) -> str:
    """A title as syzbot writes it: run-to-run details replaced (_RUN_TO_RUN), tabs made
    blanks, other control and non-ASCII characters dropped, blanks squeezed, from the
    first MAX_TITLE bytes."""
    if _DIGIT.search(title):
        for word, pattern, replacement in _RUN_TO_RUN:
            if word is None or word in title:
                title = pattern.sub(replacement, title)
    else:
        title = _HEX_WORD[0].sub(_HEX_WORD[1], title)
    if "\t" in title:
        title = _TAB.sub(" ", title)
    raw = title.encode()
    if len(raw) > MAX_TITLE:
        title = raw[:MAX_TITLE].decode("ascii", "ignore")
    if not title.isascii() or not title.isprintable():
        title = _UNPRINTABLE.sub("", title)
    return (_BLANKS.sub(" ", title) if "  " in title else title).strip()
