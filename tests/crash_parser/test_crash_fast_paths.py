"""The parser's cheap tests before its patterns read what the patterns read: each fast
path is checked against the pattern it stands in for, on every line of the development
logs and on lines made from the pieces those patterns look for."""

from __future__ import annotations

from types import SimpleNamespace

from crash_cases import REPORT_CASES
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.crash_parser import anatomy, console, frames, parser

LINES = sorted({line for case in REPORT_CASES for line in parser.to_text(case.log).split("\n")})
# Pieces of the lines the patterns look for, to make lines from.
PIECES = [
    " ", "  ", "\t", "? ", "?  ", "[<ffffffff81000000>] ", "[<c0111234>] ", "(", ")",
    "foo", "__sys_sendmsg", "_ZN6kernel4file4File3get17h0123456789abcdefE", "f.isra.0",
    "+0x1a/0x40", "+0x1a/0x", "+0x", " [ext4]", " fs/ext4/inode.c:123", ":45", " [inline]",
    "Call Trace:", "Call trace:", "backtrace:", "stack backtrace:", "Allocated by task 1:",
    "Freed by task 2:", "-> #1", "{IN-HARDIRQ-W} state was registered at:",
    "2 locks held by repro/640:", "1 lock held", " held", "registered at:", "RSP: 0018",
    "RAX: 0000", "R10: 0000", "CPU: 0 PID: 1 Comm: a", "Hardware name: QEMU", "<IRQ>",
    "</IRQ>", "<EOI>", "<NMI>", "Read of size 4 at addr", "Write at addr", "---[ end trace",
    "read to 0xffff888012345678 of 4 bytes by task 1", "Uninit was stored to memory at:",
    "Exception stack(", "Last potentially related work creation:", "x29: ", "pstate: ",
    "last function: ", "should_fail", "Freed:", "Allocated:", "Backtrace:", "race",
    "EAX: ", "Second to last potentially related", "Last call_rcu", "Last timer",
    "NMI backtrace for cpu 1", "Task dump for CPU 1:", "Local variable x created at:",
    "<#DF>", "<#MC>", "<SOFTIRQ>", "</NMI>", "write-write (marked) to 0x1f of 4 bytes by",
    "Uninit was created", "CPU: 1 UID: 0 PID: 2", "R", "<", "-", "E", "C", "L",
    "BUG: KASAN: use-after-free in ", "WARNING: CPU: 0 PID: 1 at ", "net/x.c:12", "x.c",
    "[   12.345678]", "[ T123]", "[  C1]", "<4>", "syzkaller login: ", "1.5", "]",
]  # fmt: skip
made_lines = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


def _reference_plain(text: str) -> frames.RawFrame | str | None:
    """read_plain() as it reads a line without its fast patterns: _HEAD_MATCH alone."""
    m = frames._HEAD_MATCH(text)
    if m is None:
        return None
    first, second, name, offset = m.groups()
    if first is not None or second is not None:
        return frames.UNRELIABLE
    if name[:2] in ("_Z", "_R"):
        name = frames.demangled(name)
    module, file, line, inline = frames._REST_MATCH(text, m.end()).groups()
    return frames.RawFrame(name, offset, module, file, int(line) if line else None,
                           inline is not None)  # fmt: skip


def _reference_kind(text: str) -> str | None:
    m = anatomy._LINE_KIND(text)
    return m.lastgroup if m is not None else None


def _reference_header_file(text: str) -> str | None:
    parsed = frames.parse_frame(text)
    return parsed.frame.file if parsed else None


def _reference_split(raw: str) -> console.Line:
    """console.split() without its test for a timestamp's "." before _PREFIX."""
    if len(raw) > console.MAX_LINE:
        raw = raw[: console.MAX_LINE]
    if raw.startswith("["):
        m = console._STAMP.match(raw)
        if m and raw[m.end() : m.end() + 1] != "[":
            return console.Line(raw[m.end() :], m.group(1), True)
    if "[" in raw[:100]:
        m = console._PREFIX.match(raw)
        if m:
            return console.Line(raw[m.end() :], m.group("caller") or m.group("caller2"), True)
        m = console._CALLER_ONLY.match(raw)
        if m:
            return console.Line(raw[m.end() :], m.group("caller"), True)
    if raw.startswith("<"):
        m = console._LEVEL_ONLY.match(raw)
        if m:
            return console.Line(raw[m.end() :], None, True)
    return console.Line(raw, None, False)


def _check(text: str) -> None:
    assert console.split(text) == _reference_split(text), text
    assert frames.read_plain(text) == _reference_plain(text), text
    assert parser._header_file(SimpleNamespace(lines=[text])) == _reference_header_file(text)
    assert anatomy._line_kind(text) == _reference_kind(text), text
    assert anatomy._stack_start(text) == (anatomy._STACK_START.match(text) is not None), text


def test_fast_paths_on_every_dev_line():
    for text in LINES:
        _check(text)
        _check(text.lstrip(" "))


@settings(max_examples=400, deadline=None)
@given(made_lines)
def test_fast_paths_on_made_lines(text):
    _check(text)


def _reference_first_stacks(text: str) -> list[int]:
    found = []
    for _, pattern in parser._FRAMED_STACKS:
        m = pattern.search(text)
        if m is not None:
            found.append(m.start())
    return sorted(found)


@settings(max_examples=200, deadline=None)
@given(st.lists(made_lines, max_size=12).map("\n".join))
def test_first_stacks_as_the_patterns_find_them(text):
    assert parser._first_stacks(text) == _reference_first_stacks(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(made_lines, min_size=1, max_size=15))
def test_window_ends_where_the_next_stack_starts(lines):
    numbers = list(range(len(lines)))
    expected = []
    for j in numbers:
        if parser._ANY_FRAMED_STACK.search(lines[j]):
            break
        expected.append(j)
    assert parser._before_next_stack(lines, numbers) == expected


def _line_by_line(piece: str) -> list[tuple[str, str | None, bool]]:
    """A piece read line by line, as _piece_lines read one with a line its first step
    cannot read: every line through parser._glued_at and console.split."""
    out: list[tuple[str, str | None, bool]] = []
    for raw in piece.split("\n"):
        cut_at = parser._glued_at(raw)
        while cut_at > 0:
            out.append(console.split(raw[:cut_at]))
            raw = raw[cut_at:]
            cut_at = parser._glued_at(raw)
        out.append(console.split(raw))
    return out


def _first_step_reads_all(piece: str) -> bool:
    """Whether _piece_lines' first step reads every stamped line of `piece`."""
    for stamped, _, text, _ in parser._LINE.findall(piece):
        readable = len(text) < console.MAX_LINE and (
            "[" not in text
            or (text[:1] != "[" or text[:2] == "[<")
            and ("." not in text or parser._GLUED.search(text) is None)
        )
        if stamped and not readable:
            return False
    return True


PIECE_LINES = [
    "[   12.345678][ T123]   foo+0x1/0x2", "[   12.345678][ T123] [   13.000000] glued",
    "[   12.345678] x[   13.000000] y", "executing program", "syzkaller login: [ 1.000000] BUG:",
    "[   12.345678][ T123] " + "a" * 990, "[   12.345678] " + "b" * 1200, "<4>[ 1.5] x", "",
    "[ 1.000000]  [<ffffffff81000000>] bar+0x1/0x2", "[\t1.000000] tab", "[  C1] caller only",
    "x[   12.345678] glued after text", "[ 1.000000][ T1] [ T2] two callers",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECE_LINES), min_size=1, max_size=8))
def test_a_piece_read_line_by_line_keeps_what_the_first_step_read(lines):
    piece = "\n".join(lines)
    if not _first_step_reads_all(piece):
        assert parser._piece_lines(piece) == _line_by_line(piece), piece
