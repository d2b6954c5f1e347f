"""The anatomy of one report: its lines from the header to its end, and its stacks.

A kernel report (x86 and arm64, as printed by the oops, warning and sanitizer paths)
is built from these parts, each optional after the header:

  header            what happened ("BUG: KASAN: ...", "WARNING: CPU: 0 PID: 1 at ...")
  access line       "Read of size 4 at addr ..." (KASAN), "#PF: ..." (x86 faults)
  task line         "CPU: 1 PID: 640 Comm: repro Not tainted 6.1.0 #1"
                    (lib/dump_stack.c dump_stack_print_info()), "Hardware name: ..."
  faulting IP       "RIP: 0010:func+0x5a/0x90" (arch/x86/kernel/process_64.c
                    __show_regs()), "pc : func+..." (arm64 __show_regs()), then registers
  call trace        "Call Trace:" then frames (arch/x86/kernel/dumpstack.c
                    show_trace_log_lvl()), split by "<IRQ>"/"</IRQ>", "<NMI>"/"</NMI>",
                    "<TASK>"/"</TASK>" (4.x: "<EOI>"); "Call trace:" on arm64
  more stacks       "Allocated by task N:", "Freed by task N:", "Last potentially
                    related work creation:" (mm/kasan/report.c), lockdep's "-> #N"
                    dependencies and "stack backtrace:", kmemleak's "backtrace:"
  end               "---[ end trace ... ]---" (kernel/panic.c print_oops_end_marker()),
                    or a "=====" line closing a sanitizer report

Several reports may follow each other; lines of other CPUs or programs interleave.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from actors.crash_parser.console import Line
from actors.crash_parser.frames import UNRELIABLE, RawFrame, parse_frame, read_plain
from actors.crash_parser.kinds import Header, match_header

# Limits on what one report may hold: beyond them a flood is cut, not kept.
MAX_REPORT_LINES = 1500
MAX_REPORT_BYTES = 256 * 1024
MAX_FRAMES = 1000

# The first lines of stacks (after a line's blanks).
_STACK_HEADERS = (
    r"Call Trace:|Call trace:|Backtrace:|backtrace:|stack backtrace:|"
    r"(?:Allocated|Freed) by task|Last potentially related work creation|"
    r"Second to last potentially related|Last (?:call_rcu|timer|workqueue)|"
    r"-> #\d+|NMI backtrace for cpu|Task dump for CPU|"
    r"Exception stack\(|Uninit was (?:created|stored)|Local variable .* created at:|"
    r"(?:read|write)(?:-write)?(?: \(marked\))? to 0x[0-9a-f]+ of \d+ bytes by"
)
# Two more that start with any word (lockdep's "{IN-HARDIRQ-W} state was registered
# at:", "2 locks held by repro/640:"). A pattern that starts with any word is tried all
# along a line, the costliest part of the match: they are tried only on a line that
# holds their words (" held", "registered at:").
_WORDED_STACK_HEADERS = r"\S.* state was registered at:|\S.*: \d+ locks? held"
_STACK_START = re.compile(r"\s*(?:" + _STACK_HEADERS + "|" + _WORDED_STACK_HEADERS + ")")
_UNWORDED_STACK_START = re.compile(r"\s*(?:" + _STACK_HEADERS + ")")


def _may_hold_worded_header(text: str) -> bool:
    """Whether `text` holds the words of _WORDED_STACK_HEADERS (a cheap test first)."""
    return " held" in text or "registered at:" in text


def _stack_start(text: str) -> bool:
    """Whether `text` is the first line of a stack (_STACK_START matches it)."""
    if _UNWORDED_STACK_START.match(text) is not None:
        return True
    return _may_hold_worded_header(text) and _STACK_START.match(text) is not None


_IRQ_OPEN = re.compile(r"\s*<(?:IRQ|NMI|#DF|#MC|SOFTIRQ)>")
_IRQ_CLOSE = re.compile(r"\s*(?:</(?:IRQ|NMI|#DF|#MC|SOFTIRQ)>|<EOI>)")
# Lines that carry the faulting PC; a user-mode one ("RIP: 0033:0x44e9f9") has no frame.
_CRASH_IP = re.compile(r"\s*(?:RIP: [0-9a-f]{4}:|RIP  |IP: |EIP: |pc : |PC is at |NIP |epc : )")
_SEPARATOR = re.compile(r"\s*={20,}\s*$")
_END_STARTS = ("---[ end trace", "---[ end Kernel panic", "Kernel Offset:", "Rebooting in")
# lockdep's irq state ("hardirqs last  enabled at (1): [<...>] f+0x1/0x2"): where
# interrupts were last switched, not a stack.
_IRQ_STATE = re.compile(r"\s*(?:hard|soft)irqs last ")
# arm's link register ("LR is at f+0x1/0x2", arm64 __show_regs() "lr : f+0x1/0x2"): a
# register holding a return address, maybe stale, neither the faulting PC nor a stack.
_LINK_REGISTER = re.compile(r"\s*(?:LR is at |lr : )")
# The anatomy's fixed parts, by the kernel function that prints them.
_PART = re.compile(
    r"\s*(?:"
    # kasan print_error_description() ("... by task" in 4.x's wild-access reports)
    r"(?P<access>(?:Read|Write) (?:of size \d+ )?(?:at addr|by task))"
    r"|(?P<task>CPU: \d+ (?:UID: \d+ )?PID: \d+)"  # dump_stack_print_info()
    r"|(?P<hardware>Hardware name: )"  # dump_stack_print_info()
    r"|(?P<registers>RSP: |RAX: |EAX: |pstate: |x29: )"  # __show_regs()
    r"|(?P<allocated>Allocated by task )"  # kasan print_track()
    r"|(?P<freed>Freed by task )"  # kasan print_track()
    r"|(?P<end>---\[ end trace))"  # print_oops_end_marker()
)
# What those parts start with (a cheap test before the pattern).
_PART_STARTS = (
    "Read ", "Write ", "CPU: ", "Hardware name: ", "RSP: ", "RAX: ", "EAX: ", "pstate: ",
    "x29: ", "Allocated by task ", "Freed by task ", "---[ end trace",
)  # fmt: skip


def _line_kind_pattern(stack_headers: str) -> re.Pattern[str]:
    """What a line that holds no frame is, in one match: a part of the anatomy (_PART's
    groups), a stack header, an interrupt part opening or closing."""
    return re.compile(
        _PART.pattern[:-1]
        + r"|(?P<stack>(?:"
        + stack_headers
        + r"))"
        + r"|(?P<irq_open><(?:IRQ|NMI|#DF|#MC|SOFTIRQ)>)"
        + r"|(?P<irq_close></(?:IRQ|NMI|#DF|#MC|SOFTIRQ)>|<EOI>))"
    )


_LINE_KIND = _line_kind_pattern(_STACK_HEADERS + "|" + _WORDED_STACK_HEADERS).match
_UNWORDED_LINE_KIND = _line_kind_pattern(_STACK_HEADERS).match
# What a line _UNWORDED_LINE_KIND matches starts with after its blanks (each
# alternative's first two characters): a cheap test before the pattern, for the many
# lines that are none of them (registers, code, memory dumps).
_KIND_STARTS = frozenset((
    "Re", "Wr", "CP", "Ha", "RS", "RA", "EA", "ps", "x2", "Al", "Fr", "--",  # _PART
    "Ca", "Ba", "ba", "st", "La", "Se", "->", "NM", "Ta", "Ex", "Un", "Lo", "re", "wr",
    "<I", "<N", "<#", "<S", "</", "<E",
))  # fmt: skip


def _line_kind(text: str) -> str | None:
    """The group of _LINE_KIND that matches `text` (a line with no frame), or None."""
    if _may_hold_worded_header(text):
        m = _LINE_KIND(text)
    elif text.lstrip()[:2] in _KIND_STARTS:
        m = _UNWORDED_LINE_KIND(text)
    else:
        return None
    return m.lastgroup if m is not None else None


# lockdep_print_held_locks(): " #0: ffff888012345678 (&lock){+.+.}-{3:3}, at: f+0x1/0x2"
_HELD_LOCK = re.compile(r"\s*#\d+: ")


@dataclass(slots=True)
class StackFrame:
    """A reliable frame with its place in the report. Unreliable frames ("? f+0x1/0x2":
    a return address the unwinder found on the stack but did not unwind through) are
    counted, not kept: they name nothing (they may be stale values of earlier calls)."""

    frame: RawFrame
    stack: int  # which stack of the report (0: before any stack header)
    interrupt: bool  # inside an <IRQ>/<NMI> part
    after_interrupt: bool  # after such a part closed, in the same stack
    crash_ip: bool  # from a RIP:/pc : line
    line: int  # index in Report.lines
    held: bool = False  # where a held lock was taken ("#0: ... at: f+0x1/0x2")
    place: bool = False  # a place named by the line before ("... at:"), not a stack


@dataclass
class Report:
    """One report cut out of a console log."""

    header: Header
    lines: list[str]  # the report's lines, printk prefixes taken off
    first: Line  # its header line as read (who printed it, whether the kernel did)
    frames: list[StackFrame] = field(default_factory=list)
    stack_lines: list[int] = field(default_factory=list)  # where each stack starts
    # Where each part of the report's anatomy first appears (see the module docstring):
    # "access", "task", "hardware", "registers", "allocated", "freed", "end".
    parts: dict[str, int] = field(default_factory=dict)
    has_trace: bool = False
    unreliable_lines: list[int] = field(default_factory=list)  # unreliable frames' lines
    dropped: bool = False  # printk said it dropped messages inside the report
    # Lines of another task's dump mixed in (see _read_stacks): a "Hardware name:" line
    # with no "CPU: N PID: N" line before it.
    interleaved: bool = False
    end: str = "log ended"
    _text: str | None = field(default=None, repr=False, compare=False)

    @property
    def unreliable(self) -> int:
        """How many unreliable frames the report has (see StackFrame)."""
        return len(self.unreliable_lines)

    def text(self) -> str:
        """The report's lines as one text (joined once: several checks read it)."""
        if self._text is None:
            self._text = "\n".join(self.lines) + "\n"
        return self._text


def cut(lines: Iterable[tuple[str, str | None, bool]], header: Header) -> Report:
    """The report whose header is the first of `lines` (console.Line's fields: text,
    caller, kernel), up to where it ends (the rest of `lines` is not read)."""
    kind = header.kind
    lines = iter(lines)
    first = Line(*next(lines))
    own = first.caller
    own_kernel = first.kernel
    stall = kind.frame.value == "interrupted"
    body: list[str] = [first.text]
    append = body.append
    size = len(first.text)
    end = "log ended"
    traced = False  # a stack began after the header
    full = size >= MAX_REPORT_BYTES  # (checked before each line is read)
    for index, (text, caller, kernel) in enumerate(lines, 1):
        if full:
            end = "report too long"
            break
        if own_kernel and not kernel and "printk messages dropped" not in text:
            continue  # a program's output between kernel lines
        if own and caller and caller != own and not stall:
            continue  # another task's or CPU's line
        if text[:1] not in _INDENTED:
            # not a frame or an indented detail: it may end this report
            if (
                own is None
                and ("FAULT" in text or "vmalloc: " in text)
                and any(message in text for message in _OWN_STACK_MESSAGES)
            ):
                end = "a message with a stack of its own"
                break
            if text.startswith(_END_STARTS):
                append(text)
                end = "end marker"
                break
            if kind.ends_with_separator and text.startswith("=====") and _SEPARATOR.match(text):
                append(text)
                end = "separator"
                break
            if not traced and _stack_start(text):
                traced = True
            other = match_header(text) if len(text) > 6 else None
            if other is not None and not _inner(header, other, traced, index):
                end = "next report"
                break
        elif not traced and _stack_start(text):
            traced = True  # "  backtrace:", " <TASK>"-style indented stack starts
        append(text)
        size += len(text)
        full = size >= MAX_REPORT_BYTES or len(body) >= MAX_REPORT_LINES
    report = Report(header, body, first, end=end)
    _read_stacks(report)
    return report


# Frames and details are printed indented (or after "[<address>]").
_INDENTED = (" ", "\t", "[")
# Messages that are no report but dump a stack of their own, and may do so from another
# task in the middle of a report: fault injection's fail_dump() (lib/fault-inject.c),
# warn_alloc() for a failed vmalloc() in 4.x (mm/page_alloc.c; 6.1 says "vmalloc
# error:", which syzbot does not treat so), the 4.x page-fault path's dump for a missing
# FAULT_FLAG_ALLOW_RETRY. Without caller ids nothing tells whose stack follows them, so
# the report ends there (syzbot's convention: the title comes from what is before).
_OWN_STACK_MESSAGES = (
    "FAULT_INJECTION: forcing a failure",
    "vmalloc: allocation failure:",
    "FAULT_FLAG_ALLOW_RETRY missing",
)


def _inner(header: Header, other: Header, traced: bool, index: int) -> bool:
    """Whether a header-like line belongs to the report it appears in."""
    if index <= 3 and other.kind is header.kind:
        return True  # "BUG: memory leak" then "unreferenced object ..."
    if not traced and (other.kind.needs_trace or other.kind.trap):
        # an oops before this report's stack: one oops with two header lines ("kernel
        # BUG at ..." then "invalid opcode: 0000"; arm64's "Unable to handle ..." then
        # "Internal error"), or the report's own printing faulted: its stack follows
        return True
    if other.kind is header.kind and header.kind.frame.value == "interrupted":
        return True  # a stall report repeats its header per CPU
    # Before 4.x a panic_on_warn panic came between a warning and its stack.
    return other.kind.closing and not traced


def _read_stacks(report: Report) -> None:
    stack = 0
    location = False
    interrupt = False
    after = False
    frames = report.frames
    unreliable = report.unreliable_lines
    traced = False
    numbered = enumerate(report.lines)
    next(numbered)  # the header
    for i, text in numbered:
        if "+0x" not in text and not text.endswith("[inline]"):
            # not a frame: a part of the anatomy, a stack header, an interrupt mark, a
            # place announcement
            if "printk messages dropped" in text:
                report.dropped = True
            what = _line_kind(text)
            if what is None:
                if text.endswith(" at:") and not text.endswith("registered at:"):
                    location = True  # the next frame is a place, not a stack
                continue
            if what == "irq_open":
                interrupt, after = True, False
                continue
            if what == "irq_close":
                interrupt, after = False, True
                continue
            if what != "stack":
                # dump_stack_print_info() (lib/dump_stack.c) prints the hardware line
                # right after the task line: with no task line before it, it is another
                # task's dump printed into this report
                if what == "hardware" and "task" not in report.parts:
                    report.interleaved = True
                if what not in report.parts:
                    report.parts[what] = i
            if what in ("stack", "allocated", "freed"):
                stack += 1
                report.stack_lines.append(i)
                interrupt = after = False
            continue
        found = read_plain(text)
        if found is not None:  # a line of a frame alone: no IP, lock or place marks
            if len(frames) >= MAX_FRAMES:
                continue
            if found is UNRELIABLE:
                unreliable.append(i)
            else:
                frames.append(StackFrame(found, stack, interrupt, after, False, i, False,
                                         location))  # fmt: skip
            if not location:
                traced = True
            location = False
            continue
        # (a plain frame never starts with "<": these lines are tried after it)
        if text.lstrip()[:1] == "<":  # "<IRQ>  [<ffffffff81000000>] f+0x1/0x2" (4.x)
            if _IRQ_OPEN.match(text):
                interrupt, after = True, False
            elif _IRQ_CLOSE.match(text):
                interrupt, after = False, True
        if len(frames) >= MAX_FRAMES:
            continue
        if _IRQ_STATE.match(text) or _LINK_REGISTER.match(text):
            continue
        parsed = parse_frame(text)
        if parsed is None:
            continue
        crash_ip = bool(_CRASH_IP.match(text))
        held = bool(_HELD_LOCK.match(text))
        place, location = location, False
        if parsed.unreliable:
            unreliable.append(i)
        else:
            frames.append(StackFrame(parsed.frame, stack, interrupt, after, crash_ip, i, held,
                                     place))  # fmt: skip
        if not (crash_ip or held or place):
            traced = True
    report.has_trace = traced
