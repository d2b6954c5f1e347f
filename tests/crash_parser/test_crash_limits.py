"""Limits: a huge console log is read in bounded memory and gives a bounded report."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from actors.crash_parser import parse
from actors.crash_parser.anatomy import MAX_FRAMES, MAX_REPORT_BYTES

MB = 1024 * 1024


def write_big(path, line: str, size: int) -> None:
    block = (line * (MB // len(line) + 1))[: MB - MB % len(line)]
    with open(path, "w") as f:
        for _ in range(size // len(block) + 1):
            f.write(block)


def kgym_parse_rss(tmp_path, *args: str) -> tuple[int, int, str, str]:
    """Run `kgym parse`: its exit code, peak RSS in bytes, stdout and stderr."""
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kgym.front.cli", "parse", *args], stdout=o, stderr=e
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss * 1024, out.read_text(), err.read_text()


@pytest.mark.parametrize(
    "line",
    [
        "[   25.100002][  T640] BUG: KASAN: use-after-free in f+0x5a4/0x620\n",
        "[   12.000002]  ? foo_bar_baz+0x99/0x500\n",  # no report at all
        "[   12.000002] WARNING: foo\n",  # header-like lines that are not reports
    ],
    ids=["headers", "no-report", "near-headers"],
)
def test_200mb_log_in_bounded_memory(tmp_path, line):
    log = tmp_path / "huge.log"
    write_big(log, line, 200 * MB)
    code, peak, out, err = kgym_parse_rss(tmp_path, "--json", str(log))
    assert code == 0, err
    assert peak <= 500 * MB, f"peak RSS {peak / MB:.0f} MB"
    [obj] = [json.loads(x) for x in out.splitlines()]
    assert len(out) < 4 * MAX_REPORT_BYTES
    assert len(obj["frames"]) <= MAX_FRAMES


def test_report_and_frames_are_capped():
    frames = "".join(f"[    5.000001]  func_{i}+0x1/0x2\n" for i in range(5000))
    log = "[    5.000000] WARNING: CPU: 0 PID: 1 at a/b.c:1 f+0x1/0x2\n[    5.0] Call Trace:\n"
    report = parse(log + frames)
    assert report.crashed and report.title == "WARNING in f"
    assert len(report.frames) <= MAX_FRAMES
    assert len(report.report) <= MAX_REPORT_BYTES + 1000


def test_parse_file_reads_in_chunks_like_parse(tmp_path):
    """A report beyond the first chunk of a file reads the same as from memory."""
    from crash_cases import REPORT_CASES

    from actors.crash_parser import CrashParser

    parser = CrashParser()
    pad = "[    0.000001] an ordinary boot line\n" * 300_000  # > one 8 MB chunk
    for case in REPORT_CASES[:20]:
        path = tmp_path / "log"
        path.write_text(pad + case.log)
        assert parser.parse_file(str(path)) == parser.parse(pad + case.log), case.name
