"""Compiler, linker and make messages -> Diagnostic records with tree-relative paths."""

from __future__ import annotations

from pathlib import Path

from actors.build_cache import diagnostics

SRC = Path("/k/trees/t/src")
BUILD = Path("/k/trees/t/build")

LOG = """\
  CC      mm/mempolicy.o
/k/trees/t/src/mm/mempolicy.c: In function 'mpol_parse_str':
/k/trees/t/src/mm/mempolicy.c:3012:9: error: 'foo' undeclared (first use in this function)
../src/mm/mempolicy.c:3013:1: warning: no return statement [-Wreturn-type]
./include/generated/autoconf.h:5: note: something generated
ld: vmlinux.o: in function `bar':
mm/slub.o:(.text+0x1c): undefined reference to `baz'
make[3]: *** No rule to make target 'mm/nothere.o', needed by 'mm/built-in.a'.  Stop.
make[2]: *** [scripts/Makefile.build:250: mm/mempolicy.o] Error 1
"""


def test_parse_gcc_ld_make():
    ds = diagnostics.parse(LOG, SRC, BUILD)
    got = [(d.file, d.line, d.column, d.severity) for d in ds]
    assert got == [
        ("mm/mempolicy.c", 3012, 9, "error"),
        ("mm/mempolicy.c", 3013, 1, "warning"),
        ("include/generated/autoconf.h", 5, None, "note"),
        ("mm/slub.o", None, None, "error"),
        ("mm/nothere.o", None, None, "error"),
    ]
    assert "'foo' undeclared" in ds[0].message
    assert ds[3].message.startswith("undefined reference to")


def test_duplicates_are_dropped():
    line = "/k/trees/t/src/a.c:1:1: error: x\n"
    assert len(diagnostics.parse(line * 3, SRC, BUILD)) == 1
