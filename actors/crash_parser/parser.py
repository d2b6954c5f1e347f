"""From a console log to a CrashReport: find the first report, cut it out, read its
stacks, title it, judge whether it is whole, symbolise it, blame a file."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from itertools import chain, filterfalse, islice

from actors.crash_parser import console
from actors.crash_parser.anatomy import (
    MAX_REPORT_BYTES,
    MAX_REPORT_LINES,
    Report,
    StackFrame,
    cut,
)
from actors.crash_parser.frames import base_name, parse_frame
from actors.crash_parser.guilty import guilty_file
from actors.crash_parser.kinds import TRIGGERS, FrameFrom, Header, Kind, match_header, passes_over
from actors.crash_parser.skip import generic_accessor, generic_checker
from actors.crash_parser.symbolize import SymbolizeError, Symbolizer
from actors.crash_parser.titles import CORRUPTED, anchored_name, names, normalise, pick
from kgym.log import get_logger
from kgym.models import CrashReport

log = get_logger(__name__)

# The serial console of a cloud VM drops the connection after a panic, cutting the
# report short (syzkaller's VM monitor prints this line).
_CONSOLE_HANGUP = "serialport: VM disconnected."
# mm/kasan/report.c print_error_description(): "Read of size 4 at addr ..." (generic),
# "Read at addr ..." (tag-based, when the size is not known)
_ACCESS = re.compile(r"\s*(?P<access>Read|Write) (?:of size \d+ )?(?:at addr|by task)")
_LAST_FUNCTION = re.compile(r"\s*last function: ([\w.]+)")  # kernel/workqueue.c
# Output that shows the test harness, not the kernel, failed: syzbot suppresses a log
# that holds it anywhere (its convention). The OOM killer choosing the fuzzer's
# executor or the SSH server (mm/oom_kill.c "Out of memory: Killed process %d (%s)",
# 4.x "Kill process"; Android's lowmemorykiller), the executor failing to start, the
# Go runtime's SIGBUS (an OOM seen as a bus error), init's segfault, a userspace
# stack-protector abort. The words first (see harness_failed): a log seldom holds any
# ("Kill" also stands for the lowmemorykiller's "Killing").
_HARNESS_FAILED = re.compile(
    r"Out of memory: Kill(?:ed)? process .* \((?:syz-executor|sshd)\)"
    r"|Killed process .* \((?:syz-executor|sshd)\)"
    r"|lowmemorykiller: Killing '(?:syz-executor|sshd)'"
    r"|panic: (?:failed to start executor binary|executor failed: pthread_create failed"
    r"|failed to create temp dir)"
    r"|fatal error: unexpected signal during runtime execution|signal SIGBUS: bus error"
    r"|SYZFAIL: SIGBUS|INIT: PANIC: segmentation violation!"
    r"|\*\*\* stack smashing detected \*\*\*: terminated"
)


def harness_failed(text: str) -> bool:
    """Whether the console output shows the test harness failed (see _HARNESS_FAILED)."""
    return (
        "Kill" in text
        or "panic: " in text
        or "SIGBUS" in text
        or "fatal error" in text
        or "INIT: PANIC" in text
        or "stack smashing" in text
    ) and _HARNESS_FAILED.search(text) is not None


# How much of a log parse_file holds at once, and how much after a header it keeps.
_CHUNK = 8 * 1024 * 1024
_AFTER_HEADER = MAX_REPORT_BYTES * 4
_CONTEXT = 64 * 1024


def to_text(log_data: str | bytes) -> str:
    """Console output as text, without carriage returns."""
    if not isinstance(log_data, str):
        log_data = bytes(log_data).decode("utf-8", "replace")
    return log_data.replace("\r", "") if "\r" in log_data else log_data


def first_header(text: str) -> tuple[int, Header] | None:
    """The offset of the line holding the first report header in `text`, and the header."""
    seen = -1
    stamped: bool | None = None  # whether the log has printk timestamps (when asked)
    for m in TRIGGERS.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        if start == seen:
            continue
        seen = start
        end = text.find("\n", m.end())
        line = console.split(text[start : end if end >= 0 else len(text)])
        header = match_header(line.text)
        glued = _GLUED.search(line.text) if header is None else None
        if glued is not None:  # this line's header with another line glued after it
            header = match_header(line.text[: glued.start()].rstrip())
        if header is None and glued is not None:
            # another line glued before this one's printk prefix: try from the prefix
            for g in _GLUED.finditer(text, start + 1, end if end >= 0 else len(text)):
                header = match_header(console.split(text[g.start() : end]).text)
                if header is not None:
                    start = g.start()
                    break
        if header is None and not line.kernel:
            # a console with no printk prefixes glues other output ("syzkaller login: ")
            # straight before a header; in a log that has prefixes, a line without one
            # is a program's, not the kernel's
            at = m.start() - start
            if 0 < at < 100 and line.text[at - 1] == " ":
                if stamped is None:
                    stamped = _KERNEL_LINE.search(text) is not None
                if not stamped:
                    header = match_header(line.text[at:])
        if header is not None and header.kind.kernel_only and not line.kernel:
            if stamped is None:
                stamped = _KERNEL_LINE.search(text) is not None
            if stamped:
                continue  # a program's line in a log of printk-prefixed kernel lines
        if (
            header is not None
            and header.kind.after_output
            and not _KERNEL_LINE.search(text, 0, start)
        ):
            continue  # the firmware before any kernel output: a boot, not a reboot
        if header is not None:
            return start, header
    return None


# A printk prefix in the middle of a line: two lines glued by the console.
_STAMP_AT = re.compile(r"\[\s*\d+\.\d{6}\]")


def _glued_at(raw: str) -> int:
    """Where a second printk prefix starts in `raw` after other text, or -1."""
    at = raw.find("[", 1)
    while at > 0:
        if not raw[at - 1].isspace() and _STAMP_AT.match(raw, at):
            return at
        at = raw.find("[", at + 1)
    return -1


_GLUED = re.compile(r"\[\s*\d+\.\d{6}\]")
_KERNEL_LINE = re.compile(r"^\[\s*\d+\.\d+\]", re.M)


def contains_crash(log_data: str | bytes) -> bool:
    """Whether the console output contains the start of a kernel crash report."""
    try:
        return first_header(to_text(log_data)) is not None
    except Exception:
        return False


class CrashParser:
    """Parses console logs; keeps a symboliser (an addr2line process) for each of the
    `max_symbolizers` most recently used vmlinux files."""

    def __init__(self, max_symbolizers: int = 4) -> None:
        self._symbolizers: OrderedDict[str, Symbolizer] = OrderedDict()
        self._max_symbolizers = max_symbolizers
        self._lock = threading.Lock()  # parses run in threads (the Ray faces)

    def parse(self, log_data: str | bytes, vmlinux: str | None = None) -> CrashReport:
        """Read a console log the way syzbot does. Never raises: on an internal error the
        log is reported as a crash marked corrupted, with the reason."""
        try:
            text = to_text(log_data)
            found = first_header(text)
            if found is None:
                return CrashReport(crashed=False)
            offset, header = found
            window = text[offset : offset + _AFTER_HEADER]
            hangup = _CONSOLE_HANGUP in text
            report = self._report(window, header, hangup, vmlinux)
            if not report.suppressed and harness_failed(text):
                report.suppressed = True
            return report
        except Exception as e:  # the contract: any input gives a report (the reason says why)
            return CrashReport(
                crashed=contains_crash(log_data),
                title=None,
                corrupted=True,
                corrupted_reason=f"parser error: {e!r}",
            )

    def parse_file(self, path: str, vmlinux: str | None = None) -> CrashReport:
        """Parse the console log stored at `path`, holding only a few megabytes of it at
        once; ValueError if it cannot be read."""
        try:
            with open(path, "rb") as f:
                carry = b""
                while True:
                    chunk = f.read(_CHUNK)
                    if not chunk:
                        return self.parse(carry, vmlinux)
                    data = carry + chunk
                    cut_at = data.rfind(b"\n") + 1 or len(data)
                    text = to_text(data[:cut_at])
                    found = first_header(text)
                    if found is not None:
                        more = f.read(_AFTER_HEADER)
                        # some context before the header: a reboot counts only after
                        # kernel output
                        start = text.rfind("\n", 0, max(0, found[0] - _CONTEXT)) + 1
                        rest = text[start:] + to_text(data[cut_at:] + more)
                        report = self.parse(rest, vmlinux)
                        if not report.corrupted and _hangup_later(f):
                            report.corrupted = True
                            report.corrupted_reason = "console connection lost"
                        return report
                    carry = data[cut_at:]
        except OSError as e:
            raise ValueError(f"{path}: cannot read console log: {e.strerror}") from e

    def _report(self, window: str, header: Header, hangup: bool, vmlinux: str | None
                ) -> CrashReport:  # fmt: skip
        report = cut(_lines(window), header)
        described = describe(report, hangup)
        if vmlinux and report.frames:
            # The title stays the one of the log as printed (a vmlinux or not, the same
            # bug gets the same title); frames, blame and text come from the symbolised.
            symbolised = self._symbolized(report, vmlinux)
            if symbolised is not report:
                again = describe(symbolised, hangup)
                described.frames = again.frames
                described.guilty_file = again.guilty_file
                described.report = again.report
        return described

    def _symbolized(self, report: Report, vmlinux: str) -> Report:
        try:
            text = self._symbolizer(vmlinux).symbolize_report(report.text())
        except SymbolizeError as e:
            log.warning("crash_parser.symbolize_failed", vmlinux=vmlinux, error=str(e))
            return report
        # the report's lines were already sorted out: they all keep the header's caller
        first = report.first
        return cut(((t, first.caller, first.kernel) for t in text.split("\n")), report.header)

    def _symbolizer(self, vmlinux: str) -> Symbolizer:
        """The symboliser of `vmlinux`; the least recently used one beyond the cap closes."""
        with self._lock:
            if vmlinux in self._symbolizers:
                self._symbolizers.move_to_end(vmlinux)
                return self._symbolizers[vmlinux]
            symbolizer = self._symbolizers[vmlinux] = Symbolizer(vmlinux)
            while len(self._symbolizers) > self._max_symbolizers:
                self._symbolizers.popitem(last=False)[1].close()
            return symbolizer

    def close(self) -> None:
        for symbolizer in self._symbolizers.values():
            symbolizer.close()
        self._symbolizers.clear()


# The console lines of a piece of a log, in one pass: a line that starts with a
# timestamp (group 1), maybe a caller (2), then its text (3); any other line (4). The
# prefix's quantifiers are possessive (the same matches: nothing they take could let a
# later part match; a sixth less work per line).
_LINE = re.compile(r"^(?:(\[) *+\d++\.\d++\](?:\[ *+([TC]\d++)\])?+ ?+(.*)|(.*))", re.M)
_FIRST_PIECE = 8 * 1024
_MAX_PIECE = 256 * 1024


def _lines(window: str) -> Iterator[tuple[str, str | None, bool]]:
    """The console lines of `window` (console.Line's fields), read a piece at a time as
    they are asked for (the lines of a piece handed on without a step of Python each)."""
    return chain.from_iterable(_pieces(window))


def _pieces(window: str) -> Iterator[list[tuple[str, str | None, bool]]]:
    """The console lines of `window`, a piece at a time (see _lines)."""
    start = 0
    size = _FIRST_PIECE
    left = MAX_REPORT_LINES * 2
    while left > 0:
        end = window.find("\n", start + size)
        piece = window[start:] if end < 0 else window[start:end]
        lines = _piece_lines(piece)
        yield lines[:left]
        left -= len(lines)
        if end < 0:
            return
        start = end + 1
        size = min(size * 4, _MAX_PIECE)


def _piece_lines(piece: str) -> list[tuple[str, str | None, bool]]:
    """The console lines of a piece of a log (whole lines)."""
    limit = console.MAX_LINE
    split = console.split
    glued = _GLUED.search
    # the usual stamped line in one step, any other through console.split; a piece
    # with a line neither can read (a second prefix, lines glued, a flood) line by line.
    # (A text without "[" can hold no second prefix: most frames, tested first.)
    found = _LINE.findall(piece)  # (one match a line: those of piece.split("\n"))
    lines = [
        ((text, caller or None, True)
         if len(text) < limit and ("[" not in text or (text[:1] != "[" or text[:2] == "[<")
         and ("." not in text or glued(text) is None)) else None)
        if stamped else split(other)
        for stamped, caller, text, other in found
    ]  # fmt: skip
    if None not in lines:
        return lines
    return _piece_lines_one_by_one(piece, found, lines)


def _piece_lines_one_by_one(
    piece: str,
    found: list[tuple[str, str, str, str]],
    first: list[tuple[str, str | None, bool] | None],
) -> list[tuple[str, str | None, bool]]:
    """The console lines of a piece read line by line, lines glued by the console split
    at each printk prefix. A stamped line the first step read (`first`, from `found`)
    and no longer than console.split keeps is what console.split reads: it stays."""
    limit = console.MAX_LINE
    lines: list[tuple[str, str | None, bool]] = []
    for (stamped, _, _, _), read, raw in zip(found, first, piece.split("\n"), strict=True):
        if stamped and read is not None and len(raw) <= limit:
            lines.append(read)
            continue
        cut_at = _glued_at(raw)
        while cut_at > 0:  # lines glued by the console: each printk prefix starts one
            lines.append(console.split(raw[:cut_at]))
            raw = raw[cut_at:]
            cut_at = _glued_at(raw)
        lines.append(console.split(raw))
    return lines


def _hangup_later(f) -> bool:  # type: ignore[no-untyped-def]
    """Whether the rest of an open log holds the console hang-up line."""
    tail = b""
    while chunk := f.read(_CHUNK):
        if _CONSOLE_HANGUP.encode() in tail + chunk:
            return True
        tail = chunk[-64:]
    return False


def describe(report: Report, hangup: bool = False) -> CrashReport:
    """Title, alternative titles, type, corruption and blame of a cut-out report."""
    header = report.header
    kind = header.kind
    fields = dict(header.fields)
    if "access" in report.parts:
        m = _ACCESS.match(report.lines[report.parts["access"]])
        if m:
            fields["access"] = m.group("access")
    for line in report.lines[1:8]:
        m = _LAST_FUNCTION.match(line) if "last function: " in line else None
        if m:
            fields["func"] = m.group(1)
    reason: str | None = None
    if kind.without_access and "access" not in fields:
        lead = kind.without_access.split("{", 1)[0]  # "KASAN: "
        fields["rest"] = report.lines[0].partition(lead)[2].strip()
        title = normalise(_fill(kind.without_access, fields))
        return _described(report, kind, fields, title, [], None, "no access line: cut short")
    if kind.message_line:
        message = report.lines[1].strip() if len(report.lines) > 1 else ""
        fields["msg"] = message
        if not message:
            reason = "cut short before the message its header announces"
    template = kind.title
    alt_templates = [] if "no_alts" in fields else list(kind.alts)
    if fields.get("with_frame"):
        template += " in {frame}"
        if fields["with_frame"] == FrameFrom.OUTERMOST.value:  # the stack overflowed
            alt_templates.append("stack-overflow in {frame}")
    frame = None
    function = None
    others: list[str] = []
    if "{frame}" in template and report.interleaved:
        # another task's dump is mixed in: no frame of the report can be trusted
        reason = "lines of another task's stack dump are mixed in"
        fields["frame"] = CORRUPTED
    elif "{frame}" in template:
        func = fields.get("func")
        passed_over = _generic_accessor if _accessor(kind, fields) else _generic_checker
        extra = passes_over(header)
        if extra is not None and func and extra.search(base_name(func)):
            func_named = False  # this kind's own helper: its caller names the bug
        else:
            func_named = bool(func) and not passed_over(func)
        if kind.frame is FrameFrom.HEADER and func_named:
            function = func
        else:
            how = FrameFrom(fields["with_frame"]) if "with_frame" in fields else None
            frame = pick(report, how)
            if frame is not None:
                function = frame.frame.function
        injected = _fault_injection(report, frame) if function is not None else None
        if injected == "before":  # its frames may be the ones that named it
            function = None
        if function is None:
            reason = "no frame names the crash"
            fields["frame"] = CORRUPTED
        else:
            fields["frame"], others = names(function)
            renamed = anchored_name(kind.anchors, function) if kind.anchors else None
            if renamed is not None:  # a wait every such report shares (Kind.anchors)
                others = [n for n in (fields["frame"], *others) if n != renamed]
                fields["frame"] = renamed
        if injected:
            reason = "a fault-injection stack dump is mixed into the stack that names it"
    if "access" not in fields and "{access}" in template:
        # no access line: a free (double-free, invalid-free) or a cut report
        template = template.replace(" {access}", "")
    title_raw = _fill(template, fields)
    title = normalise(title_raw)
    alts: list[str] = []
    for other in others:
        alts.append(normalise(_fill(template, fields | {"frame": other})))
    for alt in alt_templates:
        for name in [fields.get("frame", ""), *others]:
            alts.append(normalise(_fill(alt, fields | {"frame": name})))
    alts = sorted({a for a in alts if a != title})
    needs_stack = kind.has_stack and "no_stack" not in fields
    if reason is None and needs_stack and not report.has_trace:
        reason = "no call trace: the report was cut short"
    if reason is None and needs_stack and kind.stack_after and not report.stack_lines:
        reason = "cut short before the stack that names it"
    if reason is None and "cut" in fields:
        reason = fields["cut"]
    if reason is None and needs_stack and not kind.name.startswith(_OWN_STACKS):
        reason = _stack_without_frames(report)
    if reason is None and _TIMESTAMP.search(title_raw):
        reason = "a console timestamp inside the header"
    if reason is None and report.interleaved:
        reason = "lines of another task's stack dump are mixed in"
    if reason is None and report.dropped:
        reason = "printk dropped messages inside the report"
    if reason is None and hangup:
        reason = "console connection lost"
    return _described(report, kind, fields, title, alts, frame, reason)


def _described(report: Report, kind: Kind, fields: dict[str, str], title: str,
               alts: list[str], frame: StackFrame | None, reason: str | None
               ) -> CrashReport:  # fmt: skip
    crash_type = kind.type(fields) if callable(kind.type) else kind.type
    frames = _output_frames(report, frame)
    return CrashReport(
        crashed=True,
        title=title,
        alt_titles=alts,
        type=crash_type,
        frames=frames,
        guilty_file=guilty_file(
            report, fields.get("file") or _ubsan_file(fields) or _header_file(report)
        ),
        corrupted=reason is not None,
        corrupted_reason=reason,
        suppressed=kind.suppressed or "suppressed" in fields,
        report=report.text(),
    )


# Frames only fault injection's own stack dump has (lib/fault-inject.c fail_dump()
# prints it from should_fail()): in a report's stack they are another message's lines.
_FAULT_INJECTION_FRAMES = frozenset(("should_fail", "should_failslab"))


def _fault_injection(report: Report, named: StackFrame | None) -> str | None:
    """Whether the stack that names the report (that of `named`, else the first one
    after the faulting IP) holds a fault-injection dump's frame: "before" the frame
    that names it, "after" it, or None."""
    if "should_fail" not in report.text():
        return None  # (the usual report: no frame can be one)
    if named is not None and not named.crash_ip:
        stack = named.stack
    else:
        after = named.line if named is not None else 0
        stack = next((f.stack for f in report.frames if f.line > after and not f.crash_ip
                      and not f.held), -1)  # fmt: skip
    for f in report.frames:
        function = f.frame.function
        if (
            function.startswith("should_fail")
            and f.stack == stack
            and base_name(function) in _FAULT_INJECTION_FRAMES
        ):
            before = named is not None and not named.crash_ip and f.line < named.line
            return "before" if before else "after"
    return None


MAX_OUTPUT_FRAMES = 64


def _output_frames(report: Report, named: StackFrame | None) -> list[dict[str, object]]:
    """The frames a report carries: its faulting IP (with what symbolisation inlined
    there) and the stack that names it, or the first stack; reliable frames only."""
    reliable = [f for f in report.frames if not f.held]
    if not reliable:
        return []
    ip = next((f for f in reliable if f.crash_ip), None)
    if named is not None and not named.crash_ip:
        stack = named.stack
    else:
        after = (f.stack for f in reliable if not f.crash_ip and (ip is None or f.line > ip.line))
        stack = next(after, reliable[0].stack)
    chosen = [f for f in reliable if f.stack == stack]
    if ip is not None and ip.stack != stack:
        at_ip = [f for f in reliable if f.stack == ip.stack and f.line >= ip.line]
        chosen = at_ip[:8] + chosen
    return [f.frame.fields() for f in chosen[:MAX_OUTPUT_FRAMES]]


# The first lines of stacks that must have frames (an unwound stack, KASAN's saved
# stacks, kmemleak's backtrace, KMSAN's store chain; not lockdep's "stack backtrace:",
# whose "Call Trace:" follows), found anywhere in a line as syzbot finds them (a call
# trace glued after other output is one). Each is a kind of stack (only the first of
# each kind is checked): the words to look for, then the pattern at them.
_FRAMED_STACKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Call Trace", re.compile("Call Trace")),
    ("Call trace", re.compile("Call trace")),
    ("Allocated:", re.compile("Allocated:")),
    ("Allocated by task ", re.compile(r"Allocated by task \d+:")),
    ("Freed:", re.compile("Freed:")),
    ("Freed by task ", re.compile(r"Freed by task \d+:")),
    (" backtrace", re.compile(r"(?<=[^k]) backtrace(?: \(crc [0-9a-f]*\))?:")),
    ("Backtrace:", re.compile("Backtrace:")),
    ("Uninit was stored to memory at", re.compile("Uninit was stored to memory at")),
)
_ANY_FRAMED_STACK = re.compile("|".join(p.pattern for _, p in _FRAMED_STACKS))


def _MAY_OPEN_STACK(line: str) -> bool:  # noqa: N802 (a pattern's cheap stand-in)
    """Whether `line` holds a word every _FRAMED_STACKS pattern has."""
    return "race" in line or "Allocated" in line or "Freed" in line or "Uninit" in line


# A word each group of _FRAMED_STACKS' words holds: a log seldom has them all, and
# one search for it rules out the group.
_STACK_WORD_GROUPS = ("Call ", "Allocated", "Freed", "acktrace", "Uninit")
_GROUP_OF = {word: next(g for g in _STACK_WORD_GROUPS if g in word) for word, _ in _FRAMED_STACKS}


def _first_stacks(text: str) -> list[int]:
    """Where the first stack of each kind in `text` starts (offsets, in order)."""
    found = []
    present = {word for word in _STACK_WORD_GROUPS if word in text}
    for word, pattern in _FRAMED_STACKS:
        if _GROUP_OF[word] not in present:
            continue
        at = text.find(word)
        while at >= 0:
            m = pattern.match(text, at)
            if m is not None:
                found.append(at)
                break
            at = text.find(word, at + 1)
    return sorted(found)


# Kinds whose stacks are their own shape (KMSAN's origins, KCSAN's two accesses): the
# rule above does not hold for them.
_OWN_STACKS = ("kmsan", "kcsan")
_TIMESTAMP = re.compile(r"\[ *\d+\.\d+\]")  # printk's, glued into a header


def _stack_without_frames(report: Report) -> str | None:
    """Why the report is cut or mixed up, if it has no stack (_FRAMED_STACKS) or the
    first stack of a kind it opens has no frame soon after: within 15 lines, before
    the next stack (syzbot's convention). Unreliable frames of a printk-prefixed log
    are not lines there (syzbot drops them), so a stack of only unreliable frames has
    none; a stack's lines are frames, not a faulting IP or a held lock's place."""
    lines = report.lines
    text = report.text()
    offsets = _first_stacks(text)
    if not offsets:
        return "no stack trace in the report"
    frames = report.frames
    at_line = [f.line for f in frames]
    dropped = set(report.unreliable_lines) if report.first.kernel else set()
    for offset in offsets:
        i = text.count("\n", 0, offset)
        # the 15 lines after the stack's first one, unreliable frames left out, up to
        # the next stack
        end = i + 16 + len(dropped)
        left = list(
            islice(filterfalse(dropped.__contains__, range(i + 1, min(end, len(lines)))), 15)
        )
        if len(left) < 2:
            return "a stack is cut right after its first line"
        window = _before_next_stack(lines, left)
        if not window:
            return "a stack has no frames"
        first = bisect_left(at_line, i + 1)
        framed = any(  # (a reliable frame's line is never a dropped one)
            not (f.crash_ip or f.held)
            for f in islice(frames, first, bisect_right(at_line, window[-1]))
        )
        if not framed and not any("(stack is not available)" in lines[j] for j in window):
            return "a stack has no frames"
    return None


def _before_next_stack(lines: list[str], numbers: list[int]) -> list[int]:
    """The line numbers of `numbers` before the first of them that opens a stack."""
    if not _MAY_OPEN_STACK("\n".join([lines[j] for j in numbers])):
        return numbers  # (the usual window: none of them holds a stack's word)
    window = []
    for j in numbers:
        line = lines[j]
        if _MAY_OPEN_STACK(line) and _ANY_FRAMED_STACK.search(line):
            break
        window.append(j)
    return window


def _accessor(kind: Kind, fields: dict[str, str]) -> bool:
    """Whether the header's function made the bad access (not freed a bad pointer)."""
    return kind.accessor and "free" not in fields.get("bug", "")


def _generic_accessor(func: str) -> bool:
    return generic_accessor(base_name(func))


def _generic_checker(func: str) -> bool:
    return generic_checker(base_name(func))


def _header_file(report: Report) -> str | None:
    """The file of the function a (symbolised) header names: "in f+0x1/0x2 net/x.c:12"."""
    line = report.lines[0]
    at = line.find("+0x")
    if ":" not in (line[at:] if at >= 0 else line):
        return None  # no "file:line" after the frame (the usual header)
    parsed = parse_frame(line)
    return parsed.frame.file if parsed else None


def _ubsan_file(fields: dict[str, str]) -> str | None:
    where = fields.get("where")
    return where.split(":")[0] if where else None


def _fill(template: str, fields: dict[str, str]) -> str:
    try:
        return template.format_map(fields)
    except (KeyError, IndexError, ValueError):
        return re.sub(r"\{\w+\}", "", template)
