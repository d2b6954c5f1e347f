"""Reading a console log: where the first crash report starts and ends, and its title.

Console lines may carry a `[  12.345678]` timestamp and, with
CONFIG_PRINTK_CALLER, a `[ T123]`/`[ C1]` caller; lines of other callers
interleave with the report and are left out of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from actors.crash_parser.formats import (
    INFO_WITH_STACK,
    OOPSES,
    REPORT_START_IGNORES,
    Format,
    Oops,
)
from actors.crash_parser.stacks import (
    ANY_STACK_START,
    FRAME_LINES,
    RISCV_STACK_START,
    STACK_STARTS,
    STRIP_PREFIXES,
    extract_frames,
)

_CONSOLE_PREFIX = re.compile(
    r"^(?:\*\* [0-9]+ printk messages dropped \*\* )?(?:.* login: )?(?:\<[0-9]+\>)?"
    r"\[ *[0-9]+\.[0-9]+\](\[ *(?:C|T)[0-9]+\])? "
)
_TIMESTAMP = re.compile(r"\[ *[0-9]+\.[0-9]+\](\[ *(?:C|T)[0-9]+\])? ")
_TASK_CONTEXT = re.compile(r"\[ *T[0-9]+\]")
_CPU_CONTEXT = re.compile(r"\[ *C[0-9]+\]")
CONSOLE = "console"  # a timestamp but no caller

_HEADERS = re.compile("|".join(re.escape(o.header) for o in OOPSES))
_HEADERS_OR_INFO = re.compile(
    "|".join(re.escape(h) for h in [o.header for o in OOPSES] + list(INFO_WITH_STACK))
)
_REPLAYING = "** replaying previous printk message **"
_TIMESTAMP_IN_TITLE = re.compile(r"\[ *[0-9]+\.[0-9]+\]")
_FORMAT_ARG = re.compile(r"\{(\d+)\}")

MAX_PREFIX = 5  # lines before the report kept for context
MAX_PREFIX_TASK = 50  # ... when they certainly come from the same task

NO_FRAMES = "extracted no frames"


def line_oops(line: str) -> Oops | None:
    """The oops whose header starts a report on this line, if any."""
    for oops in OOPSES:
        if oops.header in line and not any(s.search(line) for s in oops.suppressions):
            return oops
    return None


def context_of(line: str) -> str:
    """ "" without a console prefix, CONSOLE for a bare timestamp, else the caller."""
    if line.startswith("["):
        m = _TIMESTAMP.match(line)
        if m is not None:
            return m.group(1) or CONSOLE
    if "[" not in line:
        return ""
    m = _CONSOLE_PREFIX.match(line)
    if m is None:
        return ""
    return m.group(1) or CONSOLE


def strip_prefix(line: str, context: str) -> tuple[str, bool]:
    """The line without its console prefix, and whether it is a questionable ("? ") frame."""
    if not context:
        return line, False
    line = line[line.index("] ") + 2 :]
    if "<EOI>" not in line:
        pos = line.find(" ? ")
        if pos != -1:
            return line[pos + 2 :], True
        if line.endswith(" (unreliable)"):  # powerpc
            return line[:-13], True
    return line, False


def _replayed(lines: list[str], i: int) -> bool:
    """Whether the kernel cut this line short to replay an earlier printk message."""
    return i + 1 < len(lines) and _REPLAYING in lines[i + 1]


def contains_crash(text: str) -> bool:
    """Whether some line of `text` starts a crash report."""
    pos = 0
    while True:
        m = _HEADERS.search(text, pos)
        if m is None:
            return False
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end == -1 else end
        line = text[start:end]
        if line_oops(line) is not None:
            next_end = text.find("\n", end + 1)
            if _REPLAYING not in text[end + 1 : next_end if next_end != -1 else len(text)]:
                return True
        pos = end + 1


def find_start(text: str) -> tuple[list[str], int, Oops] | None:
    """The log's lines, the index of the line where the first report starts, its oops."""
    m = _HEADERS.search(text)
    if m is None:
        return None
    lines = text.split("\n")
    first = text.count("\n", 0, m.start())
    for i in range(first, len(lines)):
        line = lines[i]
        if not _HEADERS.search(line):
            continue
        oops = line_oops(line)
        if oops is not None and not _replayed(lines, i):
            return lines, i, oops
    return None


def _min_lines(oops_line: str) -> int:
    """How long a report must be before a trailing panic (or deadlock) report is cut off.

    KMSAN reports lack "Call Trace:" and some other lines, so they get a lower threshold."""
    return 16 if "BUG: KMSAN:" in oops_line else 22


@dataclass
class Extent:
    """The report's lines (console prefixes stripped) and how many of them the title may use."""

    prefix: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    title_lines: int = 0  # lines of `body` before a second report starts
    last_oops: int = 0  # index in the log of the last line with an oops header


def find_extent(lines: list[str], start: int, context: str) -> Extent:
    """Collect the report that starts at `lines[start]` from lines of the same caller."""
    ext = Extent(last_oops=start)
    max_prefix = MAX_PREFIX_TASK if _TASK_CONTEXT.search(context) else MAX_PREFIX
    for i in range(start - 1, -1, -1):
        if len(ext.prefix) >= max_prefix:
            break
        line = lines[i]
        if context_of(line) != context:
            continue
        stripped, questionable = strip_prefix(line, context)
        if stripped and not questionable:
            ext.prefix.append(stripped)
    ext.prefix.reverse()

    second_report = False
    text_lines = 0
    skip_text = cpu_traceback = False
    oops_line = lines[start]
    real_context = context not in ("", CONSOLE)
    for i in range(start, len(lines)):
        line = lines[i]
        is_oops_line = i == start
        if _HEADERS_OR_INFO.search(line):
            oops = line_oops(line)
            if oops is not None and not _replayed(lines, i):
                ext.last_oops = i
                if not any(p.search(line) for p in REPORT_START_IGNORES):
                    second_report = second_report or not is_oops_line
            if not is_oops_line and any(p in line for p in INFO_WITH_STACK):
                second_report = True
        ctx = context_of(line)
        if not is_oops_line and ctx != context and not (cpu_traceback and _CPU_CONTEXT.search(ctx)):
            continue
        stripped, questionable = strip_prefix(line, ctx)
        if questionable and not is_oops_line:
            continue
        text_lines += 1
        skip_line = skip_text
        if "Disabling lock debugging due to kernel taint" in line:
            skip_line = True
        elif "Sending NMI from CPU" in line:
            # A traceback of all CPUs: keep the other CPUs' output too.
            cpu_traceback = True
        elif (
            "Kernel panic - not syncing" in line
            or "WARNING: possible circular locking dependency detected" in line
        ) and text_lines > _min_lines(oops_line):
            # The panic_on_warn panic repeats the stack already shown, and reporting an
            # oops often provokes a lockdep report: cut both once the report is long enough.
            skip_text = skip_line = True
        if not is_oops_line and skip_line:
            continue
        ext.body.append(stripped)
        if not second_report or real_context:
            ext.title_lines = len(ext.body)
    return ext


def _format(template: str, args: list[str]) -> str:
    def arg(m: re.Match[str]) -> str:
        i = int(m.group(1))
        return args[i - 1] if 0 < i <= len(args) else "%!v(BADINDEX)"

    return _FORMAT_ARG.sub(arg, template)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass
class Description:
    title: str = ""
    alt_titles: list[str] = field(default_factory=list)
    corrupted: str = ""
    format: Format | None = None


def describe(text: str, oops: Oops) -> Description:
    """The title of the report `text` (which starts with the oops line) by the oops' formats."""
    d = Description()
    start = len(text)
    matched_title = False
    for f in oops.formats:
        m = f.title.search(text)
        if m is None or m.start() > start or (m.start() == start and d.title):
            continue
        if m.start() < start:
            d.title, d.format, start = "", None, m.start()
        matched_title = True
        if f.report is not None:
            m = f.report.search(text)
            if m is None:
                continue
        args = [g or "" for g in m.groups()]
        picked = []
        d.corrupted = ""
        if f.stack is not None:
            picked, ok = extract_frames(f.stack, text[m.start() :])
            if not ok:
                d.corrupted = NO_FRAMES
        d.title = _format(f.fmt, args + [p.canonical for p in picked])
        d.alt_titles += [_format(a, args + [p.canonical for p in picked]) for a in f.alt]
        # Titles with the frames as printed, and with one wrapper prefix stripped, are
        # the same bug too.
        for prefix in ("", *STRIP_PREFIXES):
            frames = [p.raw.removeprefix(prefix) for p in picked]
            if prefix and frames == [p.raw for p in picked]:
                continue
            alt = _format(f.fmt, args + frames)
            if alt != d.title:
                d.alt_titles.append(alt)
            d.alt_titles += [_format(a, args + frames) for a in f.alt]
        d.alt_titles = _unique(d.alt_titles)
        d.format = f
    if not d.title:
        if matched_title:
            d.corrupted = "matched title but not report regexp"
        pos = text.find(oops.header)
        if pos == -1:
            return d
        end = text.find("\n", pos)
        d.title = text[pos : end if end != -1 else len(text)]
    if not d.corrupted and d.format is not None and d.format.corrupted:
        d.corrupted = "report format is marked as corrupted"
    return d


def _has_frame(line: str) -> bool:
    return any(r.search(line) for r in FRAME_LINES)


def corruption(title: str, report: str, fmt: Format | None) -> str:
    """Why the report looks truncated or garbled ("" if it looks whole)."""
    if _TIMESTAMP_IN_TITLE.search(title):
        return "title matches corrupted regexp"
    if fmt is None or fmt.no_stack_trace:
        return ""
    # After each stack start ("Call Trace:", "Allocated by task", ...) a frame must follow.
    has_trace = False
    for key in STACK_STARTS:
        m = key.search(report)
        if m is None:
            continue
        following = report[m.start() :].split("\n")
        if len(following) < 4:
            return "call trace is missed"
        found = False
        for line in following[1:16]:
            if ANY_STACK_START.search(line):
                break
            if "(stack is not available)" in line or _has_frame(line):
                found = has_trace = True
                break
        if not found and key is not RISCV_STACK_START:
            return "no frames in a stack trace"
    return "" if has_trace else "no stack trace in report"
