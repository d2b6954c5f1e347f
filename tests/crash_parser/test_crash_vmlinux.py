"""Symbolisation against a vmlinux the platform built: the demo bug's kernel (a build
cache hit when warm; a cold build otherwise, so this runs under the kernel lock)."""

from __future__ import annotations

import subprocess

import pytest

from actors.crash_parser import CrashParser

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(3600)]


def symbol(vmlinux: str, name: str) -> tuple[int, int]:
    out = subprocess.run(["nm", "-S", vmlinux], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == name and parts[2] in "tT":
            return int(parts[0], 16), int(parts[1], 16)
    raise AssertionError(f"{name} not in {vmlinux}")


def test_kasan_report_symbolised_against_the_built_kernel(demo_kernel):
    vmlinux = demo_kernel.vmlinux
    _, size = symbol(vmlinux, "mpol_parse_str")
    _, caller_size = symbol(vmlinux, "shmem_parse_one")
    at = f"mpol_parse_str+0x{size // 3:x}/0x{size:x}"
    log = (
        "[   30.000001] ==================================================================\n"
        f"[   30.000002] BUG: KASAN: slab-out-of-bounds in {at}\n"
        "[   30.000003] Write of size 1 at addr ffff888012345678 by task repro/300\n"
        "[   30.000004] Call Trace:\n"
        "[   30.000005]  <TASK>\n"
        "[   30.000006]  kasan_report+0xb1/0x130\n"
        f"[   30.000007]  {at}\n"
        f"[   30.000008]  shmem_parse_one+0x{caller_size // 2:x}/0x{caller_size:x}\n"
        "[   30.000009]  </TASK>\n"
        "[   30.000010] ==================================================================\n"
    )  # fmt: skip
    parser = CrashParser()
    plain = parser.parse(log)
    report = parser.parse(log, vmlinux=vmlinux)
    parser.close()
    assert report.title == plain.title == "KASAN: slab-out-of-bounds Write in mpol_parse_str"
    by_name = {f.function: f for f in report.frames if not f.inline}
    assert by_name["mpol_parse_str"].file == "mm/mempolicy.c"
    assert by_name["mpol_parse_str"].line and by_name["mpol_parse_str"].line > 0
    assert by_name["shmem_parse_one"].file == "mm/shmem.c"
    assert report.guilty_file == "mm/mempolicy.c"
    assert "mm/mempolicy.c:" in report.report
