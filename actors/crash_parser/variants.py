"""Variants of a console log that the kernel or the console could equally have printed:
the same report with another stack shape, console prefix or interleaving. A parser that
follows how reports are built gives every variant the title of the original; one that
fits the logs it was made on does not. bench/perf/parser_perf.py counts how often the
title stays, tests/crash_parser/test_crash_variants.py asserts it.

Each variant is a function from a log to a log; it returns the log unchanged when it
does not apply (no `[<address>]` to strip, no caller ids to drop, ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable

# A frame's symbol as %pS prints it, and what may follow it on its line.
_SYMBOL = r"[A-Za-z_$][\w$.]*\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[[\w.-]+\])?"
_ADDRESS = re.compile(r"\[<[0-9a-f]{8,16}>\] ?")
# " net/ipv4/tcp.c:123" (and ":45" columns) after a symbol: what symbolisation adds.
_FILE_LINE = re.compile(r"(" + _SYMBOL + r") [\w.+/-]+\.\w+:\d+(?::\d+)?")
_INLINE_LINE = re.compile(r"^.*\S \S+:\d+ \[inline\]\n", re.M)
# A frame alone on its line, after its printk prefix: maybe an address, "? ", a file.
_FRAME_LINE = re.compile(
    r"^(?P<pre>(?:\[ *\d+\.\d+\](?:\[ *[TC]\d+\])? ?)?)(?P<sp>[ \t]+)"
    r"(?P<addr>\[<[0-9a-f]{8,16}>\] )?(?P<q>\? )?(?P<sym>" + _SYMBOL + r")"
    r"(?P<file> [\w.+/-]+\.\w+:\d+(?::\d+)?)?$",
    re.M,
)
_SYMBOL_AT_END = re.compile(r"(" + _SYMBOL + r")$", re.M)
_STAMP = re.compile(r"\[\s*(\d+)\.(\d+)\]")
_CALLER = re.compile(r"(\[\s*\d+\.\d+\])\[\s*[TC]\d+\] ?")
_CALLER_OF = re.compile(r"^\[\s*\d+\.\d+\]\[\s*([TC]\d+)\]", re.M)
_PREFIX = re.compile(r"\[\s*\d+\.\d+\](?:\[\s*[TC]\d+\])? ?")
_STAMPED = re.compile(r"^\[\s*\d+\.\d+\]", re.M)
_NO_CALLER = re.compile(r"^(\[\s*\d+\.\d+\]) ?(?!\[\s*[TC]\d+\])", re.M)
# A line of a call trace: a frame ("? " ones too), an interrupt mark, registers.
_TRACE_LINE = re.compile(r"\+0x[0-9a-f]+/0x|<(?:/?(?:IRQ|NMI|SOFTIRQ)|EOI)>|\b[A-Z][A-Z0-9]{1,3}: ")


def no_addresses(log: str) -> str:
    """Frames without their `[<ffffffff81234567>]` (x86-64 since 4.x prints none)."""
    return _ADDRESS.sub("", log) if "[<" in log else log


def with_addresses(log: str) -> str:
    """Frames with an `[<address>]` before them, as x86 printed them before 4.x."""
    return _FRAME_LINE.sub(
        lambda m: m[0] if m["addr"] else
        f"{m['pre']}{m['sp']}[<ffffffff81a3c5d0>] {m['q'] or ''}{m['sym']}{m['file'] or ''}",
        log,
    )  # fmt: skip


def no_file_lines(log: str) -> str:
    """Frames without the ` file.c:123` a symboliser adds (the log as printed)."""
    return _FILE_LINE.sub(r"\1", log) if "+0x" in log else log


def with_file_lines(log: str) -> str:
    """Frames with a ` file.c:123` after them, as a symbolised log has."""
    return _SYMBOL_AT_END.sub(r"\1 fs/variant/file.c:123", log)


def no_inline_frames(log: str) -> str:
    """Without the inlined callees a symboliser adds on lines of their own."""
    return _INLINE_LINE.sub("", log) if "[inline]" in log else log


def with_unreliable_frames(log: str) -> str:
    """An unreliable `? name+0x1/0x2` frame after each frame: the x86 unwinder prints
    the return addresses it finds on the stack but did not unwind to."""
    return _FRAME_LINE.sub(
        lambda m: f"{m[0]}\n{m['pre']}{m['sp']}? variant_stale_return+0x1c/0x40", log
    )


def shifted_stamps(log: str) -> str:
    """Every printk timestamp later by 12345 s (the width of the field changes)."""

    def move(m: re.Match[str]) -> str:
        return f"[{int(m.group(1)) + 12345:5d}.{m.group(2)}]"

    return _STAMP.sub(move, log)


def no_callers(log: str) -> str:
    """Without CONFIG_PRINTK_CALLER's `[ T123]` / `[  C1]` after the timestamp."""
    return _CALLER.sub(r"\1 ", log) if "][" in log else log


def no_prefixes(log: str) -> str:
    """Without any printk prefix (a console that prints none)."""
    return _PREFIX.sub("", log) if "[" in log else log


def with_callers(log: str) -> str:
    """A `[ T100]` caller after every timestamp that has none (CONFIG_PRINTK_CALLER),
    the same for all: the log's lines stay one task's."""
    return _NO_CALLER.sub(r"\1[  T100] ", log) if "[" in log else log


def with_task_marks(log: str) -> str:
    """Each x86 call trace between `<TASK>` and `</TASK>`, as kernels since 5.16 print
    it (arch/x86/kernel/dumpstack.c show_trace_log_lvl())."""
    if "Call Trace:" not in log or "<TASK>" in log:
        return log
    out: list[str] = []
    inside = False
    for line in log.split("\n"):
        if inside and not _TRACE_LINE.search(line):
            out.append(_prefix_of(out[-1]) + " </TASK>")  # as the trace's last line
            inside = False
        out.append(line)
        if line.endswith("Call Trace:"):
            out.append(_prefix_of(line) + " <TASK>")
            inside = True
    return "\n".join(out)


def _prefix_of(line: str) -> str:
    m = _PREFIX.match(line)
    return m.group(0) if m else ""


def with_other_task(log: str) -> str:
    """Every other line followed by a line of another task (only where the log says
    which task printed each line: without that, no reader could tell them apart)."""
    if not _CALLER_OF.search(log):
        return log
    out = []
    for i, line in enumerate(log.split("\n")):
        out.append(line)
        if i % 2 and _CALLER_OF.match(line):
            stamp = line[: line.index("]") + 1]
            out.append(f"{stamp}[ T31337] audit: type=1400 audit(1.2:3): avc: denied {{ read }}")
    return "\n".join(out)


def with_program_output(log: str) -> str:
    """Every third line followed by a line of a program on the same console (no printk
    prefix), as the fuzzer's own output lands among the kernel's."""
    if not _STAMPED.search(log):
        return log
    out = []
    for i, line in enumerate(log.split("\n")):
        out.append(line)
        if i % 3 == 2:
            out.append("executing program")
    return "\n".join(out)


def crlf(log: str) -> str:
    """Serial line ends (`\\r\\n`)."""
    return log.replace("\n", "\r\n")


VARIANTS: dict[str, Callable[[str], str]] = {
    "no-addresses": no_addresses,
    "with-addresses": with_addresses,
    "no-file-lines": no_file_lines,
    "with-file-lines": with_file_lines,
    "no-inline-frames": no_inline_frames,
    "with-unreliable-frames": with_unreliable_frames,
    "shifted-stamps": shifted_stamps,
    "no-callers": no_callers,
    "with-callers": with_callers,
    "with-task-marks": with_task_marks,
    "no-prefixes": no_prefixes,
    "with-other-task": with_other_task,
    "with-program-output": with_program_output,
    "crlf": crlf,
}


def truncated_after(log: str, start: int, function: str, keep: int = 3) -> str:
    """The log cut `keep` lines after the first line from `start` on that holds the
    reliable frame `function+0x...`: a console that stopped soon after the frame that names the
    report. The log unchanged if no such line."""
    at = log.find(function + "+0x", start)
    while at >= 0 and log[log.rfind("\n", 0, at) + 1 : at].endswith("? "):
        at = log.find(function + "+0x", at + 1)  # an unreliable frame names nothing
    if at < 0:
        return log
    end = at
    for _ in range(keep + 1):
        end = log.find("\n", end + 1)
        if end < 0:
            return log
    return log[: end + 1]
