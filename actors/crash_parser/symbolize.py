"""Symbolisation: report frames `func+0x1a/0x40` resolved to `file:line` with a vmlinux.

Function start addresses come from `nm`; one long-lived `addr2line -afi` per
vmlinux resolves batches of PCs, inline chains included.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
from dataclasses import dataclass

from actors.crash_parser.frames import locate
from actors.crash_parser.paths import tree_path

# Frames with the exact faulting PC rather than a return address.
_RIP_LINE = re.compile(r"(?:IP|NIP|pc |PC is at):? ")
_SENTINEL = 0xFFFFFFFFFFFFFFFF


class SymbolizeError(Exception):
    """The vmlinux cannot be read (missing, not an ELF, tools absent)."""


@dataclass(frozen=True)
class Location:
    function: str
    file: str
    line: int
    inline: bool


def _run(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout
    except FileNotFoundError as e:
        raise SymbolizeError(f"{args[0]} is not installed") from e
    except subprocess.CalledProcessError as e:
        raise SymbolizeError(f"{args[0]} failed on {args[-1]}: {e.stderr.strip()}") from e


class Symbolizer:
    """Resolves PCs and frames of one vmlinux; keeps its symbol table and answers cached."""

    def __init__(self, vmlinux: str) -> None:
        if not os.path.isfile(vmlinux):
            raise SymbolizeError(f"{vmlinux}: no such file")
        self.vmlinux = vmlinux
        self.root = os.path.dirname(os.path.abspath(vmlinux))
        self._symbols = self._read_symbols()
        self._cache: dict[int, list[Location]] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def _read_symbols(self) -> dict[str, list[tuple[int, int]]]:
        symbols: dict[str, list[tuple[int, int]]] = {}
        for line in _run(["nm", "-S", "--defined-only", self.vmlinux]).splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[2] in "tTwW":
                addr, size, _, name = parts
                symbols.setdefault(name, []).append((int(addr, 16), int(size, 16)))
        return symbols

    def function_start(self, name: str, size: int) -> int | None:
        """The address of function `name`, preferring a copy of the printed size."""
        found = self._symbols.get(name)
        if not found:
            return None
        return next((addr for addr, sz in found if sz == size), found[0][0])

    def resolve(self, pcs: list[int]) -> dict[int, list[Location]]:
        """file:line (innermost inline first) of each PC; unknown PCs map to []."""
        with self._lock:
            todo = [pc for pc in dict.fromkeys(pcs) if pc not in self._cache]
            for i in range(0, len(todo), 256):
                self._cache.update(self._addr2line(todo[i : i + 256]))
            return {pc: self._cache.get(pc, []) for pc in pcs}

    def _addr2line(self, pcs: list[int]) -> dict[int, list[Location]]:
        if self._proc is None or self._proc.poll() is not None:
            try:
                self._proc = subprocess.Popen(
                    ["addr2line", "-afi", "-e", self.vmlinux],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            except FileNotFoundError as e:
                raise SymbolizeError("addr2line is not installed") from e
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("".join(f"0x{pc:x}\n" for pc in [*pcs, _SENTINEL]))
        proc.stdin.flush()
        out: dict[int, list[Location]] = {}
        current: list[Location] | None = None
        while True:
            line = proc.stdout.readline()
            if not line:
                raise SymbolizeError(f"addr2line died on {self.vmlinux}")
            line = line.rstrip("\n")
            if line.startswith("0x"):
                pc = int(line, 16)
                if pc == _SENTINEL:
                    proc.stdout.readline()
                    proc.stdout.readline()
                    break
                current = out.setdefault(pc, [])
                continue
            func = line
            file_line = proc.stdout.readline().rstrip("\n")
            path, _, num = file_line.rpartition(":")
            num = num.split(" ")[0]  # "123 (discriminator 2)"
            if current is not None and path and path != "??" and num.isdigit():
                current.append(Location(func, self.clean_path(path), int(num), True))
        for locations in out.values():
            if locations:
                last = locations[-1]
                locations[-1] = Location(last.function, last.file, last.line, False)
        return out

    def clean_path(self, path: str) -> str:
        """A path relative to the kernel tree."""
        return tree_path(path, self.root)

    def symbolize_report(self, report: str) -> str:
        """The report with " file:line" after each resolvable frame, inlined callees added."""
        lines = report.split("\n")
        frames: list[tuple[int, int, int, int]] = []  # line, name start, size end, pc
        for i, line in enumerate(lines):
            found = locate(line)
            if found is None:
                continue
            parsed, symbol, begin, end = found
            frame = parsed.frame
            if frame.module or not frame.offset or frame.file:
                continue  # in a module (needs its binary), inlined, or already resolved
            off, _, size = frame.offset.partition("/")
            start = self.function_start(symbol, int(size, 16))
            if start is None:
                continue
            pc = start + int(off, 16)
            if not _RIP_LINE.search(line):
                pc -= 1  # a return address: the call is the instruction before
            frames.append((i, begin, end, pc))
        if not frames:
            return report
        resolved = self.resolve([pc for *_, pc in frames])
        for i, begin, end, pc in reversed(frames):
            locations = resolved.get(pc) or []
            if not locations:
                continue
            line = lines[i]
            out = []
            for loc in locations:
                where = f" {loc.file}:{loc.line}"
                if loc.inline:
                    out.append(line[:begin] + loc.function + where + " [inline]" + line[end:])
                else:
                    out.append(line[:end] + where + line[end:])
            lines[i : i + 1] = out
        return "\n".join(lines)

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
