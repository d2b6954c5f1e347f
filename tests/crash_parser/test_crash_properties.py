"""Properties: the parser never fails on random, truncated or interleaved logs, and is
deterministic. An internal error would surface as a "parser error" corrupted reason."""

from __future__ import annotations

import re

from crash_cases import REPORT_CASES, SAMPLE_CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.crash_parser import contains_crash, parse

LOGS = [c.log for c in SAMPLE_CASES]
CRASH_LOGS = [c.log for c in SAMPLE_CASES if c.title]
DEV_CRASH_LOGS = [c.log for c in REPORT_CASES if c.title]

# One header of each family, as the kernel prints it.
HEADERS = [
    "BUG: KASAN: use-after-free in f+0x1/0x2", "BUG: KMSAN: uninit-value in f+0x1/0x2",
    "BUG: KCSAN: data-race in a / b", "UBSAN: shift-out-of-bounds in a.c:1:2",
    "WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2", "kernel BUG at a.c:1!",
    "general protection fault: 0000 [#1]", "BUG: unable to handle page fault for address: 0",
    "INFO: task a:1 blocked for more than 1 seconds.", "INFO: rcu_sched self-detected stall",
    "BUG: soft lockup - CPU#0 stuck for 1s!", "WARNING: possible circular locking dependency",
    "BUG: memory leak", "unreferenced object 0x1 (size 8):", "PANIC: double fault",
    "Internal error: Oops: 1 [#1]", "SYZFAIL: x", "BUG: Bad page state in process a",
]  # fmt: skip
FRAGMENTS = HEADERS + [
    "Call Trace:", " <TASK>", " ? ", "RIP: 0010:", "Allocated by task 1:", "Freed by task 2:",
    " foo+0x12/0x34", " [<ffffffff81000000>] bar+0x1/0x2", "backtrace:", "Read of size 4",
    "Kernel panic - not syncing: ", "[   12.345678][ T123] ", "[    1.000000] ", "[ C1] ",
    "lib/foo.c:12", "net/ipv4/tcp.c:99 [inline]", "in ", " at ", "\n", "\t", "\x00", "é",
    "** replaying previous printk message **", "Sending NMI from CPU 0 to CPUs 1:",
]  # fmt: skip

crashy_text = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=60
).map("".join)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(log: str | bytes) -> None:
    report = parse(log)
    assert not (report.corrupted_reason or "").startswith("parser error"), report
    assert report.crashed == contains_crash(log)
    assert report.crashed == (report.title is not None)
    assert parse(log) == report  # deterministic
    if report.title:
        assert len(report.title.encode()) <= 120 and report.title == report.title.strip()


@SETTINGS
@given(st.text())
def test_random_text(log):
    check(log)


@SETTINGS
@given(st.binary())
def test_random_bytes(log):
    check(log)


@SETTINGS
@given(crashy_text)
def test_crash_like_fragments(log):
    check(log)


@SETTINGS
@given(st.sampled_from(CRASH_LOGS), st.floats(0, 1))
def test_truncated_logs(log, where):
    check(log[: int(len(log) * where)])


@SETTINGS
@given(st.sampled_from(LOGS), st.sampled_from(LOGS), st.randoms(use_true_random=False))
def test_interleaved_logs(a, b, rnd):
    lines_a, lines_b = a.splitlines(), b.splitlines()
    merged = []
    while lines_a or lines_b:
        source = lines_a if lines_a and (not lines_b or rnd.random() < 0.5) else lines_b
        merged.append(source.pop(0))
    check("\n".join(merged))


@SETTINGS
@given(st.sampled_from(CRASH_LOGS), st.lists(st.text(max_size=80), max_size=20), st.data())
def test_noise_inside_crash_logs(log, noise, data):
    lines = log.splitlines()
    for junk in noise:
        lines.insert(data.draw(st.integers(0, len(lines))), junk)
    check("\n".join(lines))


# Lines of an ordinary boot: no report in them.
BENIGN = [
    "Linux version 6.1.0 (gcc 12)", "Run /init as init process", "random: crng init done",
    "e1000: eth0 NIC Link is Up 1000 Mbps", "executing program", "syzkaller login: ",
    "audit: type=1400 audit(1.2:3): avc: denied", "sshd[641]: Accepted publickey",
]  # fmt: skip
_STAMP = re.compile(r"\[\s*(\d+)\.(\d+)\]")


def shifted(log: str, seconds: int) -> str:
    """The log with every printk timestamp moved by `seconds`, widths kept."""

    def move(m: re.Match[str]) -> str:
        whole = f"{int(m.group(1)) + seconds}.{m.group(2)}"
        return "[" + whole.rjust(len(m.group(0)) - 2) + "]"

    return _STAMP.sub(move, log)


@SETTINGS
@given(
    st.sampled_from(DEV_CRASH_LOGS),
    st.lists(st.sampled_from(BENIGN), max_size=30),
    st.integers(0, 5000),
    st.booleans(),
)
def test_prefix_and_timestamps_keep_the_title(log, prefix, seconds, stamped):
    stamp = "[    1.000000] " if stamped else ""
    before = "".join(f"{stamp}{line}\n" for line in prefix)
    changed = before + shifted(log, seconds)
    assert parse(changed).title == parse(log).title
