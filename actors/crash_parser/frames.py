"""One grammar for a stack frame, whatever the stack's shape.

A frame is what the kernel's `%pS`/`%pB` print (lib/vsprintf.c symbol_string(),
kernel/kallsyms.c sprint_symbol): `name+0xoff/0xsize`, then ` [module]` for a
module symbol. Around it, the stack printers add, depending on arch and age:

  x86-64 since 4.x   `  name+0x1a/0x40`, `  ? name+0x1a/0x40` (unreliable: found on
                     the stack, not by the unwinder; arch/x86/kernel/dumpstack.c
                     printk_stack_address)
  x86 before 4.x     `  [<ffffffff81234567>] name+0x1a/0x40`, `[<...>] ? name+...`
  arm64              `  name+0x1a/0x40`, `[<ffffff8008123456>] name+...` (older),
                     `pc : name+0x1a/0x40`, `lr : name+...`
  arm32              `[<c0111234>] (name+0x1a/0x40) from [<...>] (caller+0x...)`
  registers          `RIP: 0010:name+0x1a/0x40`, `IP: [<...>] name+...`,
                     `PC is at name+...`, `NIP [c000...] name+...`
  symbolised         then ` file.c:123` and, for inlined callees, a line of its own:
                     `name file.c:123 [inline]` (scripts/decode_stacktrace.sh)

Names are C identifiers with optional compiler suffixes (`.isra.0`, `.cold`);
Rust and C++ symbols arrive mangled and are demangled here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import demangle as _demangle

_NAME = r"[A-Za-z_$][\w$.]*"
_FRAME = re.compile(
    r"(?P<unreliable>\?\s+)?"
    r"(?:\[<?(?:0x)?[0-9a-fA-F]{4,16}>?\]\s+)?"  # [<ffffffff81234567>]
    r"(?P<unreliable2>\?\s+)?"
    r"\(?(?P<name>" + _NAME + r")\+0x(?P<off>[0-9a-fA-F]+)/0x(?P<size>[0-9a-fA-F]+)"
    r"(?:\s\[(?P<module>[\w.-]+)[^\]]*\])?\)?"
    r"(?:\s+(?P<file>[\w.+/-]+\.\w+):(?P<line>\d+)(?::\d+)?)?"
    r"(?:\s+\((?:discriminator|inlined)[^)]*\))?"
    r"(?P<inline>\s+\[inline\])?"
)
_NAME_ONLY = re.compile(_NAME)
# The usual line, read in one anchored match: blanks, an optional "? ", the frame.
_PLAIN = re.compile(r"\s*" + _FRAME.pattern)
# _fields() reads _PLAIN's groups by position: check their order once
assert tuple(_PLAIN.groupindex) == (
    "unreliable",
    "unreliable2",
    "name",
    "off",
    "size",
    "module",
    "file",
    "line",
    "inline",
), _PLAIN.groupindex
_TAIL = re.compile(_FRAME.pattern[_FRAME.pattern.index(r"\+0x") :])
# An inlined callee added by symbolisation: "name file.c:12 [inline]".
_INLINE = re.compile(
    r"(?:\[<?(?:0x)?[0-9a-fA-F]{4,16}>?\]\s+)?(?P<name>" + _NAME + r")"
    r"\s+(?P<file>[\w.+/-]+\.\w+):(?P<line>\d+)(?::\d+)?\s+\[inline\]"
)
# Compiler-made copies of a function keep its name before a dot: name.isra.0,
# name.constprop.3, name.part.1, name.cold, name.llvm.12345.
_SUFFIX = re.compile(r"\.(?:isra|constprop|part|cold|llvm|lto_priv|clone|\d)[\w.]*$")
# Memory allocation profiling (6.10+) renames allocators: kmalloc() calls kmalloc_noprof().
_NOPROF = "_noprof"


class RawFrame(NamedTuple):
    """A frame as read: the fields of kgym.models.Frame (see fields())."""

    function: str
    offset: str | None = None
    module: str | None = None
    file: str | None = None
    line: int | None = None
    inline: bool = False

    def fields(self) -> dict[str, object]:
        """The fields of a kgym.models.Frame (validated once, with the report's, in
        pydantic's core: faster than a Frame per frame)."""
        if self.module is None and self.file is None and not self.inline:
            return {"function": self.function, "offset": self.offset}  # the usual frame
        return self._asdict()


class Parsed(NamedTuple):
    """A frame read from one line, with where it came from."""

    frame: RawFrame
    unreliable: bool


def parse_frame(text: str) -> Parsed | None:
    """The frame printed on one (prefix-less) console line, or None."""
    found = locate(text)
    return found[0] if found else None


# The stack reader's fast path: _PLAIN in two steps. First the frame itself, with
# possessive quantifiers (the same matches: no part of it can give back what it took
# and let a later part match) and the offset as printed; then what may follow it (a
# module, a file:line, an inline mark; all optional, so the first step's match
# stands), skipped for the many lines that end with the frame.
_HEAD_MATCH = re.compile(
    r"\s*+(\?\s++)?+(?:\[<?+(?:0x)?+[0-9a-fA-F]{4,16}+>?+\]\s++)?+(\?\s++)?+\(?+"
    r"([A-Za-z_$][\w$.]*+)\+(0x[0-9a-fA-F]++/0x[0-9a-fA-F]++)"
).match
_REST_MATCH = re.compile(_PLAIN.pattern[_PLAIN.pattern.index(r"(?:\s\[(?P<module>") :]).match
# The two usual lines, each read by a pattern without optional groups (those cost the
# most): a frame right after the blanks, and "? " then a frame. Where one matches,
# _HEAD_MATCH reads the same (its optional parts cannot match there); any other line
# is left to _HEAD_MATCH.
_RELIABLE_MATCH = re.compile(r"\s*+([A-Za-z_$][\w$.]*+)\+(0x[0-9a-fA-F]++/0x[0-9a-fA-F]++)").match
_UNRELIABLE_MATCH = re.compile(r"\s*+\?\s++[A-Za-z_$][\w$.]*+\+0x[0-9a-fA-F]++/0x[0-9a-fA-F]").match
UNRELIABLE = "unreliable"  # what read_plain() says of an unreliable frame


def read_plain(text: str) -> RawFrame | str | None:
    """The frame of a line that holds only a frame (as plain_frame would read it), or
    UNRELIABLE for an unreliable one ("? name+0x1/0x2"), or None for any other line."""
    m = _RELIABLE_MATCH(text)
    if m is not None:
        name, offset = m.groups()
    elif _UNRELIABLE_MATCH(text) is not None:
        return UNRELIABLE
    else:
        m = _HEAD_MATCH(text)
        if m is None:
            return None
        first, second, name, offset = m.groups()
        if first is not None or second is not None:
            return UNRELIABLE
    if name[:2] in ("_Z", "_R"):
        name = demangled(name)
    end = m.end()
    if end == len(text):
        return tuple.__new__(RawFrame, (name, offset, None, None, None, False))
    module, file, line, inline = _REST_MATCH(text, end).groups()  # (it always matches)
    return tuple.__new__(
        RawFrame, (name, offset, module, file, int(line) if line else None, inline is not None)
    )


def _from_match(m: re.Match[str]) -> Parsed:
    groups = m.groups()
    return Parsed(_fields(groups), groups[0] is not None or groups[1] is not None)


def _fields(groups: tuple[str | None, ...]) -> RawFrame:
    """A frame from _PLAIN's groups (their order is checked below the pattern)."""
    _, _, name, off, size, module, file, line, inline = groups
    assert name is not None
    return RawFrame(
        demangled(name) if name[0] == "_" else name,
        f"0x{off}/0x{size}",
        module,
        file,
        int(line) if line else None,
        inline is not None,
    )


def locate(text: str) -> tuple[Parsed, str, int, int] | None:
    """The frame on one line, its symbol as printed (before demangling), and where its
    `name+0xoff/0xsize` starts and ends on the line (symbolize.py writes there)."""
    m = _PLAIN.match(text)
    if m is not None:  # the usual line: "  name+0x1a/0x40", "  ? [<ffff...>] name+0x1a/0x40"
        return _from_match(m), m.group("name"), m.start("name"), m.end("size")
    at = text.find("+0x")
    if at > 0:
        # Other lines: the name ends at the first "+0x" and starts after a blank,
        # "(", ":" or "]"; the rest is read from there on. Anything else: the grammar.
        start = 1 + max(
            text.rfind(" ", 0, at), text.rfind("(", 0, at), text.rfind(":", 0, at),
            text.rfind("]", 0, at), text.rfind("\t", 0, at),
        )  # fmt: skip
        name = text[start:at]
        tail = _TAIL.match(text, at) if _NAME_ONLY.fullmatch(name) else None
        if tail is not None:
            line = tail.group("line")
            frame = RawFrame(
                function=demangled(name),
                offset=f"0x{tail.group('off')}/0x{tail.group('size')}",
                module=tail.group("module"),
                file=tail.group("file"),
                line=int(line) if line else None,
                inline=bool(tail.group("inline")),
            )
            unreliable = text[:start].rstrip(" (").endswith("?")
            return Parsed(frame, unreliable), name, start, tail.end("size")
    if at >= 0:
        m = _FRAME.search(text)
        if m is None:
            return None
        line = m.group("line")
        frame = RawFrame(
            function=demangled(m.group("name")),
            offset=f"0x{m.group('off')}/0x{m.group('size')}",
            module=m.group("module"),
            file=m.group("file"),
            line=int(line) if line else None,
            inline=bool(m.group("inline")),
        )
        unreliable = bool(m.group("unreliable") or m.group("unreliable2"))
        return Parsed(frame, unreliable), m.group("name"), m.start("name"), m.end("size")
    if text.endswith("[inline]"):
        m = _INLINE.search(text)
        if m:
            frame = RawFrame(
                function=demangled(m.group("name")),
                file=m.group("file"),
                line=int(m.group("line")),
                inline=True,
            )
            return Parsed(frame, False), m.group("name"), m.start("name"), m.end("name")
    return None


def base_name(function: str) -> str:
    """The function a compiler-made copy comes from: `foo.isra.0` -> `foo`."""
    if "." in function:
        function = _SUFFIX.sub("", function) or function
    if function.endswith(_NOPROF):
        function = function[: -len(_NOPROF)]
    return function


@lru_cache(maxsize=4096)
def demangled(name: str) -> str:
    """A Rust or C++ symbol as its source path (`kernel::file::File::get`), without the
    Rust hash or the C++ parameter list; C names as they are."""
    if not (name.startswith("_Z") or name.startswith("_R")) or len(name) < 4:
        return name
    try:
        text = str(_demangle.demangle(name))
    except Exception:  # not mangled after all, or beyond the demangler: keep it as printed
        return name
    if text == name:
        return name
    text = re.sub(r"::h[0-9a-f]{16}$", "", text)  # Rust legacy mangling's hash
    text = re.sub(r"(?:\s*(?:const|volatile|noexcept|&&|&))+$", "", text)  # C++ qualifiers
    if text.endswith(")"):  # C++ parameters: "ns::f(int, char*)" -> "ns::f"
        depth = 0
        for i in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                text = text[:i]
                break
    return text.strip() or name
