"""Real console logs of kgym's own 6.1 kernels (tests/data/kgym_logs/README.md): each
suite bug's log gives the title its bug.json expects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.crash_parser import CrashParser

REPO = Path(__file__).resolve().parents[2]
LOGS = REPO / "tests" / "data" / "kgym_logs"
SUITE = REPO / "bench" / "suites" / "kbench-6.1"


def _suite_title(bug: str) -> str:
    return json.loads((SUITE / bug / "bug.json").read_text())["title"]


@pytest.mark.parametrize(
    "bug",
    [
        "signal-join-group-stop-warn",
        "mpol-parse-str",
        "tbf-fifo-set-limit-null",
        "watchq-free-null-page",
    ],
)
def test_suite_bug_log_gives_its_title(bug: str) -> None:
    report = CrashParser().parse_file(str(LOGS / f"{bug}.log"))
    assert report.crashed
    assert report.title == _suite_title(bug)
    assert not report.corrupted, report.corrupted_reason


def test_a_warn_names_the_function_it_fired_in() -> None:
    # "WARNING: CPU: 0 PID: 51 at ../src/kernel/signal.c:2530 get_signal+0x71a/0x133d":
    # get_signal is signal-delivery plumbing on a stack, but here the WARN is its own
    report = CrashParser().parse_file(str(LOGS / "signal-join-group-stop-warn.log"))
    assert report.title == "WARNING in get_signal"
    assert report.type == "WARNING"


def test_an_out_of_tree_bug_path_is_read_from_the_tree_top() -> None:
    report = CrashParser().parse_file(str(LOGS / "mempolicy-boot-bug.log"))
    assert report.title == "kernel BUG in numa_policy_init"
    assert report.type == "BUG"


def test_out_of_tree_refcount_warning_is_a_refcount_bug() -> None:
    # lib/refcount.c's WARN from a kernel built with O=: the file names what warned
    log = (
        "[   20.1] ------------[ cut here ]------------\n"
        "[   20.2] refcount_t: underflow; use-after-free.\n"
        "[   20.3] WARNING: CPU: 1 PID: 77 at ../src/lib/refcount.c:28 "
        "refcount_warn_saturate+0x13d/0x1a0\n"
        "[   20.4] CPU: 1 PID: 77 Comm: repro Not tainted 6.1.192 #5\n"
        "[   20.5] RIP: 0010:refcount_warn_saturate+0x13d/0x1a0\n"
        "[   20.6] Call Trace:\n"
        "[   20.7]  <TASK>\n"
        "[   20.8]  qdisc_put+0x8d/0xa0\n"
        "[   20.9]  red_init+0x3b0/0x5a0\n"
        "[   21.0]  qdisc_create+0x4a1/0x1000\n"
        "[   21.1]  </TASK>\n"
    )
    report = CrashParser().parse(log)
    assert report.title == "WARNING: refcount bug in qdisc_put"
    assert report.type == "REFCOUNT_WARNING"


def test_a_stall_in_a_syscall_names_the_syscall_not_its_dispatcher() -> None:
    """6.1-stable calls syscalls through x64_sys_call (a switch over the syscall table):
    plumbing, like do_syscall_64, so the stall is named by the syscall it interrupted."""
    report = CrashParser().parse_file(str(LOGS / "mount-setattr-write-hold-stall.log"))
    assert report.title == "INFO: rcu detected stall in sys_setxattr"
