"""From a console log to a CrashReport: find, extract, title, check, symbolise, blame."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path

from actors.crash_parser import extract
from actors.crash_parser.formats import SUPPRESSIONS
from actors.crash_parser.guilty import guilty_file
from actors.crash_parser.stacks import ANY_STACK_START
from actors.crash_parser.symbolize import FRAME_RE, SymbolizeError, Symbolizer
from actors.crash_parser.titles import normalize, title_type
from kgym.log import get_logger
from kgym.models import CrashReport, Frame

log = get_logger(__name__)

# The GCE serial console drops the connection after panics, cutting reports short.
_CONSOLE_HANGUP = "serialport: VM disconnected."
_FILE_LINE = re.compile(r"^\s*([a-zA-Z0-9_\-\./]+\.[a-zA-Z]+):([0-9]+)")
# An inlined callee added by symbolisation: "name file.c:12 [inline]".
_INLINE_FRAME = re.compile(
    r"^\s*(?:\[\<?[0-9a-fx]+\>?\] )?([a-zA-Z0-9_.]+) ([^ :]+):([0-9]+) \[inline\]"
)


def to_text(log_data: str | bytes) -> str:
    """Console output as text, without carriage returns."""
    if not isinstance(log_data, str):
        log_data = bytes(log_data).decode("utf-8", "replace")
    return log_data.replace("\r", "") if "\r" in log_data else log_data


def frames_of(report: str) -> list[Frame]:
    """The frames of the report's first stack (the faulting IP and its call trace); the
    report's first line, which names the crash, is not a frame."""
    report = report[report.find("\n") + 1 :]
    starts = ANY_STACK_START.finditer(report)
    next(starts, None)
    second = next(starts, None)
    if second is not None:
        report = report[: report.rfind("\n", 0, second.start()) + 1]
    frames: list[Frame] = []
    for line in report.split("\n"):
        if "+0x" in line:
            m = FRAME_RE.search(line)
            if m is None or line.lstrip().startswith("? "):
                continue
            where = _FILE_LINE.match(line[m.end(3) :])
            frames.append(
                Frame(
                    function=m.group(1),
                    offset=f"0x{m.group(2)}/0x{m.group(3)}",
                    module=m.group(5),
                    file=where.group(1) if where else None,
                    line=int(where.group(2)) if where else None,
                )
            )
        elif line.endswith("[inline]") and (m := _INLINE_FRAME.match(line)):
            frames.append(
                Frame(function=m.group(1), file=m.group(2), line=int(m.group(3)), inline=True)
            )
    return frames


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
            report, prefix, body = _parse(to_text(log_data))
            if report.crashed and vmlinux:
                self._symbolize(report, prefix, body, vmlinux)
            return report
        except Exception as e:  # the contract: any input gives a report (the reason says why)
            return CrashReport(
                crashed=_crashed(log_data),
                corrupted=True,
                corrupted_reason=f"parser error: {e!r}",
            )

    def parse_file(self, path: str, vmlinux: str | None = None) -> CrashReport:
        """Parse the console log stored at `path`; ValueError if it cannot be read."""
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise ValueError(f"{path}: cannot read console log: {e.strerror}") from e
        return self.parse(data, vmlinux)

    def _symbolize(self, report: CrashReport, prefix: str, body: str, vmlinux: str) -> None:
        try:
            body = self._symbolizer(vmlinux).symbolize_report(body)
        except SymbolizeError as e:
            log.warning("crash_parser.symbolize_failed", vmlinux=vmlinux, error=str(e))
            return
        report.report = prefix + body
        report.frames = frames_of(body)
        report.guilty_file = guilty_file(report.title or "", body)

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


def _parse(text: str) -> tuple[CrashReport, str, str]:
    """The report for console output (already text), unsymbolised, with its context
    prefix and body (the report proper) apart."""
    found = extract.find_start(text)
    if found is None:
        return CrashReport(crashed=False), "", ""
    lines, start, oops = found
    context = extract.context_of(lines[start])
    ext = extract.find_extent(lines, start, context)
    body = "".join(line + "\n" for line in ext.body)
    titled = "".join(line + "\n" for line in ext.body[: ext.title_lines])
    desc = extract.describe(titled, oops)
    prefix = ext.prefix
    if not desc.title:
        prefix = []
        body = "\n".join(lines[start : ext.last_oops + 1])
        desc = extract.describe(body, oops)
    corrupted = desc.corrupted or extract.corruption(desc.title, body, desc.format)
    if _CONSOLE_HANGUP in text and not corrupted:
        corrupted = "console connection lost"
    title = normalize(desc.title)
    prefix_text = "".join(line + "\n" for line in prefix)
    report = CrashReport(
        crashed=True,
        title=title,
        alt_titles=[normalize(t) for t in desc.alt_titles],
        type=title_type(title),
        frames=frames_of(body),
        guilty_file=guilty_file(title, body),
        corrupted=bool(corrupted),
        corrupted_reason=corrupted or None,
        suppressed=any(s.search(text) for s in SUPPRESSIONS),
        report=prefix_text + body,
    )
    return report, prefix_text, body


def contains_crash(log_data: str | bytes) -> bool:
    """Whether the console output contains the start of a kernel crash report."""
    return extract.contains_crash(to_text(log_data))


def _crashed(log_data: object) -> bool:
    """contains_crash for a log the parser failed on (which may not even be text)."""
    try:
        return contains_crash(log_data)  # type: ignore[arg-type]
    except Exception:
        return False
