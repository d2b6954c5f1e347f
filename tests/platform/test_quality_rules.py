"""The patch-quality rules that need no build: complexity, silencing, warning diffs,
checkpatch output, and how the judge folds a run into a verdict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actors.build_cache.checkpatch import checkpatch, parse_output
from bench.suites import load_suite
from kgym import judge
from kgym.models import BugSpec, CrashReport, Diagnostic, RunOutcome, RunResult, Verdict
from kgym.patchinfo import enclosing_function, hunk_count, hunk_functions, parse_diff
from kgym.quality import boot_warnings, new_compiler_warnings, new_lines, silencing
from kgym.settings import settings

PATCHES = Path(__file__).parent / "patches"
SOURCES = settings().sources_dir


def diff(path: str, removed: list[str], added: list[str], heading: str = "") -> str:
    body = "".join(f"-{line}\n" for line in removed) + "".join(f"+{line}\n" for line in added)
    old, new = len(removed) + 1, len(added) + 1
    return f"--- a/{path}\n+++ b/{path}\n@@ -10,{old} +10,{new} @@ {heading}\n ctx\n{body}"


def test_deleting_the_warn_on_of_a_warning_bug_is_silencing() -> None:
    files = parse_diff((PATCHES / "delete-warn.patch").read_text())
    assert (hunk_count(files), len(files)) == (1, 1)
    reason = silencing(files)
    assert reason == "deletes-report-call: removes WARN_ON_ONCE from kernel/signal.c"


@pytest.mark.parametrize(
    ("removed", "added", "rule"),
    [
        (["\tBUG_ON(!p);"], ["\tWARN_ON(!p);"], "weakens-report-call"),
        (["\tWARN_ON(x);"], ["\tWARN_ON_ONCE(x);"], "weakens-report-call"),
        (["\tWARN_ON(x);"], ['\tpr_warn("x\\n");'], "weakens-report-call"),
        (["\tWARN_ON(x);"], ["\tWARN_ON(0);"], "weakens-report-call"),
        (["\tif (WARN_ON_ONCE(!n))", "\t\treturn;"], ["\tif (!n)", "\t\treturn;"],
         "deletes-report-call"),
        (["\tlockdep_assert_held(&l);"], [], "deletes-report-call"),
    ],
)  # fmt: skip
def test_weakened_or_deleted_report_calls_are_named(removed, added, rule) -> None:
    reason = silencing(parse_diff(diff("mm/x.c", removed, added)))
    assert reason and reason.startswith(rule + ":"), reason


@pytest.mark.parametrize(
    ("removed", "added"),
    [
        (["\tWARN_ON_ONCE(x);"], ["\tWARN_ON(x);"]),  # stronger
        (["\tx = 1;"], ["\tx = 2;"]),
        ([], ["\tif (!p)", "\t\treturn -EINVAL;"]),
        (["\t/* WARN_ON(x) was here */"], []),  # a comment, not a call
        (["\tWARN_ON(a);"], ["\tWARN_ON(a && b);"]),  # same strength, condition narrowed
    ],
)
def test_ordinary_edits_are_not_silencing(removed, added) -> None:
    assert silencing(parse_diff(diff("mm/x.c", removed, added))) is None


def test_moving_reached_code_is_not_removing_it() -> None:
    fix = (PATCHES.parents[2] / "bench/suites/kbench-6.1/mpol-parse-str/fix.patch").read_text()
    assert silencing(parse_diff(fix), {"mpol_parse_str"}) is None


def test_removing_reached_code_without_a_check_is_silencing() -> None:
    files = parse_diff(diff("mm/x.c", ["\tcopy_it(dst, src, len);"], [], "int foo(int a)"))
    stack = {"foo", "copy_it"}
    reason = silencing(files, stack)
    assert reason.startswith("removes-reached-code: deletes the call of copy_it from foo()")
    assert silencing(files, {"foo"}) is None  # the deleted call is not on the crash stack
    assert silencing(files, {"copy_it"}) is None  # the function changed is not on it
    guarded = parse_diff(
        diff(
            "mm/x.c",
            ["\tcopy_it(dst, src, len);"],
            ["\tif (len <= sz)", "\t\tcopy_it(dst, src, len);"],
            "int foo(int a)",
        )  # fmt: skip
    )
    assert silencing(guarded, stack) is None


@pytest.mark.parametrize("release", ["ip_rt_put", "kfree", "sock_release", "vfree"])
def test_deleting_an_extra_reference_drop_is_not_silencing(release) -> None:
    """A double put or free is fixed by deleting one drop (pptp_connect()'s ip_rt_put)."""
    files = parse_diff(diff("net/x.c", [f"\t{release}(rt);"], [], "static int foo(void)"))
    assert silencing(files, {"foo", release}) is None


def test_no_upstream_fix_of_the_suite_is_flagged_except_the_one_that_deletes_a_warn() -> None:
    """Even with every function a fix changes taken as on the crash stack."""
    flagged = {}
    for bug in load_suite("kbench-6.1"):
        assert bug.fix is not None
        files = parse_diff(bug.read(bug.fix.file))
        functions = hunk_functions(files, lambda path: None)
        # the changed functions and everything they call, as if all were on the stack
        stack = {fn for fn in functions.values() if fn} | {
            m for f in files for h in f.hunks for _, t in h.removed
            for m in re.findall(r"\b([A-Za-z_]\w*)\s*\(", t)
        }  # fmt: skip
        if reason := silencing(files, stack, functions):
            flagged[bug.id] = reason
    # upstream removed a WARN_ONCE that fired on legitimate long lines: the rule says so
    assert set(flagged) <= {"bpf-vlog-truncated-warn"}, flagged


def test_the_function_of_a_hunk_comes_from_the_source() -> None:
    source = [
        "static int helper(void)",
        "{",
        "\treturn 1;",
        "}",
        "",
        "int mpol_parse_str(char *str,",
        "\t\t   struct mempolicy **mpol)",
        "{",
        "\tint err = 1;",
        "out:",
        "\treturn err;",
        "}",
    ]
    assert enclosing_function(source, 3) == "helper"
    assert enclosing_function(source, 11) == "mpol_parse_str"
    assert enclosing_function(source, 5) is None
    files = parse_diff(diff("mm/x.c", ["\treturn err;"], ["\treturn 0;"], "int wrong_name(void)"))
    files[0].hunks[0].removed = [(11, "\treturn err;")]
    assert hunk_functions(files, lambda p: source)[("mm/x.c", 0)] == "mpol_parse_str"
    assert hunk_functions(files, lambda p: None)[("mm/x.c", 0)] == "wrong_name"


def test_a_diff_without_files_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a unified diff"):
        parse_diff("just some text\n")


def test_boot_warnings_are_warning_level_kernel_lines_without_numbers() -> None:
    raw = (
        "<6>[    0.000000] Linux version 6.1\n"
        "<4>[    0.123456] ACPI: foo at 0xffff8880 failed 3 times\n"
        "<3>[    1.000000] bar: error -12\n"
        "<12>[    2.000000] user: written to /dev/kmsg\n"
        "<7>[    3.000000] debug\n"
    )
    assert boot_warnings(raw) == ["ACPI: foo at X failed N times", "bar: error -N"]
    base = boot_warnings(raw.replace("0.123456", "0.2").replace("0xffff8880", "0xffff9990"))
    assert new_lines(base, boot_warnings(raw)) == []
    assert new_lines(base, boot_warnings(raw + "<4>[ 4.0] new: something\n")) == ["new: something"]


def test_boot_warnings_leave_out_the_machines_timekeeping() -> None:
    """Lines seen on boots of one kernel under TCG on a loaded host, some boots only."""
    timing = [
        "tsc: Unable to calibrate against PIT",
        "APIC calibration not consistent with PM-Timer: 102ms instead of 100ms",
        "hrtimer: interrupt took 1503210 ns",
        "hrtimer: interrupt took 15032100 ns",  # 8 digits: normalised as an address
        'Unstable clock detected, switching default tracing clock to "global"',
        "If you want to keep using the local clock, then add:",
        '  "trace_clock=local"',
        "on the kernel command line",
        "TSC synchronization [CPU#0 -> CPU#1]:",
        "Measured 2811 cycles TSC warp between CPUs, turning off TSC clock.",
        "clocksource: timekeeping watchdog on CPU1: Marking clocksource 'tsc' as unstable"
        " because the skew is too large:",
        "clocksource:                       'hpet' wd_nsec: 505296406 wd_now: 3c6f0b3"
        " wd_last: 3466ac4 mask: ffffffff",
        "clocksource:                       'tsc' cs_nsec: 510950214 cs_now: 1c4a3ff4b1"
        " cs_last: 1bf9e1ff35 mask: ffffffffffffffff",
        "clocksource:                       'tsc' is current clocksource.",
        "sched: RT throttling activated",
    ]
    kept = ["ACPI: setting ELCR to 0e00 (from 0c00)", "clocksource: tsc: mask: 0xff"]
    raw = "".join(f"<4>[    1.000000] {line}\n" for line in timing + kept)
    assert boot_warnings(raw) == [
        "ACPI: setting ELCR to 0e00 (from 0c00)",
        "clocksource: tsc: mask: X",
    ]


def test_new_compiler_warnings_ignore_line_shifts() -> None:
    old = [Diagnostic(file="mm/x.c", line=10, severity="warning", message="unused variable 'a'")]
    moved = [Diagnostic(file="mm/x.c", line=14, severity="warning", message="unused variable 'a'")]
    fresh = Diagnostic(file="mm/x.c", line=20, severity="warning", message="unused variable 'b'")
    assert new_compiler_warnings(old, moved) == []
    assert new_compiler_warnings(old, [*moved, fresh]) == ["mm/x.c: unused variable 'b'"]


def test_checkpatch_output_is_counted() -> None:
    out = "ERROR: space required before the open parenthesis '('\n" \
          "WARNING: line length of 120 exceeds 100 columns\n" \
          "total: 1 errors, 1 warnings, 0 checks, 7 lines checked\n"  # fmt: skip
    r = parse_output(out)
    assert (r.ok, r.errors, r.warnings, len(r.messages)) == (True, 1, 1, 2)
    assert not parse_output("Can't open perl script\n").ok


@pytest.mark.skipif(not any(SOURCES.glob("*/scripts/checkpatch.pl")), reason="no kernel source")
async def test_the_trees_checkpatch_finds_style_errors() -> None:
    tree = next(SOURCES.glob("*/scripts/checkpatch.pl")).parents[1]
    bad = diff("mm/x.c", ["\tx = 1;"], ["\tif(x){", "\t\tx = 2;}"])
    result = await checkpatch(tree, bad, timeout_s=60)
    assert result.ok and result.errors >= 1, result
    clean = await checkpatch(tree, (PATCHES / "delete-warn.patch").read_text(), timeout_s=60)
    assert clean.ok and clean.errors == 0, clean


# --- folding runs into a verdict -------------------------------------------------


BUG = BugSpec.model_validate(
    {
        "id": "b",
        "title": "WARNING in get_signal",
        "source": {"kind": "debian-linux-source", "version": "6.1"},
        "reproducer": {"type": "c", "file": "repro.c"},
    }
)


def fold(*results: RunResult, patched: bool) -> Verdict:
    v = Verdict(bug="b", applied=True, built=True, booted=False, runs=0, crashed_runs=0,
                resolved=False)  # fmt: skip
    for r in results:
        judge.record_run(v, BUG, r, patched=patched)
    return v


@pytest.mark.parametrize(
    ("outcome", "title"),
    [
        (RunOutcome.NO_OUTPUT, "no output from test machine"),
        (RunOutcome.LOST_CONNECTION, "lost connection to test machine"),
    ],
)
def test_a_guest_lost_after_the_reproducer_started_is_a_crash(outcome, title) -> None:
    v = fold(RunResult(outcome=outcome, booted=True, node="n1"), patched=True)
    assert (v.booted, v.infra_error, v.crashed_runs, v.title) == (True, False, 1, title)
    assert v.node == "n1"


def test_silence_at_boot_is_infra_unpatched_and_a_boot_failure_patched() -> None:
    silent = RunResult(outcome=RunOutcome.NO_OUTPUT, message="the console fell silent")
    unpatched = fold(silent, patched=False)
    assert unpatched.infra_error and not unpatched.boot_failure
    patched = fold(silent, patched=True)
    assert patched.boot_failure and not patched.infra_error
    assert patched.title == "no output from test machine"
    crash = CrashReport(crashed=True, title="kernel BUG in numa_policy_init")
    oops = RunResult(outcome=RunOutcome.BOOT_FAILURE, report=crash, message="crashed")
    assert fold(oops, patched=True).title == "kernel BUG in numa_policy_init"


def test_a_crash_with_the_bugs_title_counts_as_the_same_crash() -> None:
    crash = CrashReport(crashed=True, title="WARNING in get_signal")
    v = fold(
        RunResult(outcome=RunOutcome.CRASHED, booted=True, report=crash),
        RunResult(outcome=RunOutcome.NO_CRASH, booted=True),
        patched=False,
    )
    assert (v.runs, v.crashed_runs, v.same_crash_runs) == (2, 1, 1)
