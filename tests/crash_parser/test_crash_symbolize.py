"""Symbolisation against a real ELF with DWARF, built here from C with gcc -g."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from actors.crash_parser import CrashParser
from actors.crash_parser.symbolize import SymbolizeError, Symbolizer

SOURCE = """\
#include <stdio.h>
static inline __attribute__((always_inline)) int helper(volatile int *p) {
    return *p * 3 + 7;  /* HELPER_BODY */
}
__attribute__((noinline)) int leaf(volatile int *p) {  /* LEAF_START */
    return helper(p) + 1;
}  /* LEAF_END */
__attribute__((noinline)) int middle(volatile int *p) {  /* MIDDLE_START */
    int r = leaf(p);
    return r * 2;
}  /* MIDDLE_END */
int main(void) {
    volatile int x = 1;
    printf("%d\\n", middle(&x));
    return 0;
}
"""


def line_of(marker: str) -> int:
    return next(i for i, text in enumerate(SOURCE.splitlines(), 1) if marker in text)


@pytest.fixture(scope="module")
def elf(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("elf")
    (d / "crash_target.c").write_text(SOURCE)
    subprocess.run(
        ["gcc", "-g", "-O2", "-fno-omit-frame-pointer", "-o", "vmlinux", "crash_target.c"],
        cwd=d,
        check=True,
    )
    return d / "vmlinux"


def sizes(elf: Path) -> dict[str, tuple[int, int]]:
    out = subprocess.run(["nm", "-S", str(elf)], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            found[parts[3]] = (int(parts[0], 16), int(parts[1], 16))
    return found


def test_function_start_and_exact_pc(elf):
    sym = Symbolizer(str(elf))
    start, size = sizes(elf)["middle"]
    assert sym.function_start("middle", size) == start
    assert sym.function_start("no_such_function", 1) is None
    [loc] = sym.resolve([start])[start]
    assert (loc.function, loc.file, loc.inline) == ("middle", "crash_target.c", False)
    assert line_of("MIDDLE_START") <= loc.line <= line_of("MIDDLE_END")
    sym.close()


def test_inline_chain(elf):
    sym = Symbolizer(str(elf))
    start, size = sizes(elf)["leaf"]
    resolved = sym.resolve(list(range(start, start + size)))
    chains = [locs for locs in resolved.values() if len(locs) == 2]
    assert chains, resolved
    inner, outer = chains[0]
    assert (inner.function, inner.inline, inner.line) == ("helper", True, line_of("HELPER_BODY"))
    assert (outer.function, outer.inline, outer.file) == ("leaf", False, "crash_target.c")
    sym.close()


def test_parse_with_vmlinux(elf):
    syms = sizes(elf)
    leaf_start, leaf_size = syms["leaf"]
    middle_size = syms["middle"][1]
    log = (
        "[    5.000000] BUG: unable to handle page fault for address: 0000000000000010\n"
        "[    5.000001] #PF: supervisor read access in kernel mode\n"
        f"[    5.000002] RIP: 0010:leaf+0x0/0x{leaf_size:x}\n"
        "[    5.000003] Call Trace:\n"
        "[    5.000004]  <TASK>\n"
        f"[    5.000005]  middle+0x{middle_size // 2:x}/0x{middle_size:x}\n"
        "[    5.000006]  unknown_func+0x10/0x20\n"
        "[    5.000007]  </TASK>\n"
    )
    parser = CrashParser()
    plain = parser.parse(log)
    assert plain.title == "BUG: unable to handle kernel paging request in leaf"
    assert plain.guilty_file is None and all(f.file is None for f in plain.frames)

    report = parser.parse(log, vmlinux=str(elf))
    assert report.title == plain.title
    assert report.guilty_file == "crash_target.c"
    by_name = {f.function: f for f in report.frames}
    assert by_name["leaf"].file == "crash_target.c"
    assert line_of("LEAF_START") <= by_name["leaf"].line <= line_of("LEAF_END")
    assert line_of("MIDDLE_START") <= by_name["middle"].line <= line_of("MIDDLE_END")
    assert by_name["unknown_func"].file is None
    assert f"leaf+0x0/0x{leaf_size:x} crash_target.c:" in report.report
    parser.close()


def test_bad_vmlinux(tmp_path):
    with pytest.raises(SymbolizeError, match="no such file"):
        Symbolizer(str(tmp_path / "missing"))
    junk = tmp_path / "junk"
    junk.write_text("not an elf")
    with pytest.raises(SymbolizeError, match="nm failed"):
        Symbolizer(str(junk))
    # parse still answers, unsymbolised
    log = "[ 1.0] WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n"
    report = CrashParser().parse(log, str(junk))
    assert report.crashed and report == CrashParser().parse(log)


def test_symbolizers_are_capped_least_recently_used_first(elf, tmp_path):
    """A long benchmark parses logs of many kernels: only a few addr2line processes stay."""
    copies = []
    for i in range(3):
        copy = tmp_path / f"vmlinux{i}"
        shutil.copy(elf, copy)
        copies.append(str(copy))
    leaf_size = sizes(elf)["leaf"][1]
    log = (
        "[    5.000000] BUG: unable to handle page fault for address: 0000000000000010\n"
        f"[    5.000002] RIP: 0010:leaf+0x0/0x{leaf_size:x}\n"
    )
    parser = CrashParser(max_symbolizers=2)
    for vmlinux in [copies[0], copies[1], copies[0], copies[2]]:
        assert parser.parse(log, vmlinux=vmlinux).guilty_file.endswith("crash_target.c")
    assert list(parser._symbolizers) == [copies[0], copies[2]]
    parser.close()
