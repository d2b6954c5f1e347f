"""Patch-quality rules that need no tree and no build (DESIGN.md, 'Verdicts').

- complexity: hunks and files touched;
- "silences the symptom", three named rules over the diff (below);
- warning diffs: new compiler warnings and new boot-log warnings, as multisets of
  lines normalised so that line numbers, addresses and timestamps do not count.

Silencing rules (the first that matches is the reason):

- `deletes-report-call`: the patch removes more WARN*/BUG*/panic/lockdep-assert calls
  from a file than it adds back;
- `weakens-report-call`: a hunk replaces a report call with a weaker one (BUG -> WARN,
  WARN -> WARN_ONCE, a report -> pr_*) or turns its condition into a constant false;
- `removes-reached-code`: in a function on the crash report's stack, the patch deletes
  lines that call into the stack (the path the reproducer takes) and adds nothing in
  their place (moved lines do not count): the crash cannot happen because the code
  that reached it is gone, not because the condition is handled. Deleting a call that
  drops a reference or frees (`*_put`, `kfree`, `*_release`...) does not count: an
  extra drop is a common use-after-free cause, and deleting it is its fix (a wrong
  deletion leaks, it hides no report).
"""

from __future__ import annotations

import re
from collections import Counter

from kgym.models import Diagnostic
from kgym.patchinfo import FileInfo, HunkInfo, heading_function

_REPORT_CALL = re.compile(
    r"\b((?:VM_|RCU_LOCKDEP_)?WARN(?:_ON)?(?:_ONCE|_RATELIMIT|_TAINT(?:_ONCE)?)?"
    r"|(?:VM_)?BUG(?:_ON)?|panic|dump_stack|lockdep_assert\w*)\s*\("
)
_PRINT_CALL = re.compile(r"\b(?:pr_\w+|printk\w*|dev_(?:warn|err|info|dbg)\w*|netdev_\w+)\s*\(")
_FALSE_CONDITION = re.compile(r"\b\w+\s*\(\s*(?:0|false)\s*[,)]")
_CONDITION = re.compile(r"\b(?:if|while|switch|for)\s*\(|\?|&&|\|\|")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_RELEASE = re.compile(r"(?:_put|_release|_free|_unref|_destroy)$|^k?v?free(?:_\w+)?$")
_COMMENT = re.compile(r"^\s*(?:/\*.*?\*/\s*|//.*|\*.*|/\*.*)?$")


def report_calls(line: str) -> list[str]:
    """The report-call names in one line of C (comments are not stripped: callers do)."""
    return [m[1] for m in _REPORT_CALL.finditer(_code(line))]


def _code(line: str) -> str:
    """`line` without // and one-line /* */ comments or string literals."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"/\*.*?\*/", "", line)
    return line.split("//", 1)[0]


def _strength(name: str) -> int:
    if name.startswith(("BUG", "VM_BUG")) or name == "panic":
        return 3
    if name.startswith("lockdep_assert") or name == "dump_stack":
        return 2
    if name.startswith("VM_WARN") or name.endswith(("_ONCE", "_RATELIMIT")):
        return 1
    return 2


def _is_code(text: str) -> bool:
    return not _COMMENT.match(text) and bool(text.strip())


def silencing(
    files: list[FileInfo],
    stack_functions: set[str] | None = None,
    functions: dict[tuple[str, int], str | None] | None = None,
) -> str | None:
    """The first silencing rule the diff matches, as '<rule>: <what>', or None.

    `stack_functions`: the functions of the crash report's frames; `functions`: the
    function each (file, hunk index) changes (else the hunk heading's)."""
    for f in files:
        for h in f.hunks:
            if reason := _weakens(f.path, h):
                return reason
    for f in files:
        removed = Counter(c for h in f.hunks for _, t in h.removed for c in report_calls(t))
        added = Counter(c for h in f.hunks for _, t in h.added for c in report_calls(t))
        gone = removed - added
        if sum(removed.values()) > sum(added.values()):
            what = ", ".join(f"{n} x{k}" if k > 1 else n for n, k in sorted(gone.items()))
            return f"deletes-report-call: removes {what} from {f.path}"
    stack = stack_functions or set()
    for f in files:
        by_function: dict[str, list[HunkInfo]] = {}
        for i, h in enumerate(f.hunks):
            function = (functions or {}).get((f.path, i)) or heading_function(h.heading)
            if function in stack:
                by_function.setdefault(function, []).append(h)
        for function, hunks in by_function.items():
            if reason := _removes_reached(f.path, hunks, function, stack):
                return reason
    return None


def _weakens(path: str, h: HunkInfo) -> str | None:
    old = [c for _, t in h.removed for c in report_calls(t)]
    new = [c for _, t in h.added for c in report_calls(t)]
    if old and any(_FALSE_CONDITION.search(_code(t)) for _, t in h.added if report_calls(t)):
        return f"weakens-report-call: a constant-false condition for {old[0]} in {path}"
    if not old:
        return None
    strongest = max(_strength(c) for c in old)
    if new:
        if max(_strength(c) for c in new) < strongest:
            return f"weakens-report-call: {old[0]} becomes {new[0]} in {path}"
        return None
    if any(_PRINT_CALL.search(_code(t)) for _, t in h.added):
        return f"weakens-report-call: {old[0]} becomes a log message in {path}"
    return None


def _removes_reached(
    path: str, hunks: list[HunkInfo], function: str, stack: set[str]
) -> str | None:
    """Pure deletion in `function`: lines that call into the crash stack (the path the
    reproducer takes) are deleted, and nothing new is added to the function in their
    place (moved lines are neither deleted nor new)."""
    removed = Counter(t.strip() for h in hunks for _, t in h.removed if _is_code(t))
    added = Counter(t.strip() for h in hunks for _, t in h.added if _is_code(t))
    deleted, new = removed - added, added - removed
    calls = {m[1] for line in deleted for m in _CALL.finditer(_code(line))} & stack
    calls = {c for c in calls if not _RELEASE.search(c)}
    if calls and not new:
        return (
            f"removes-reached-code: deletes the call of {', '.join(sorted(calls))} from "
            f"{function}() in {path}, on the crash stack, and adds nothing in its place"
        )
    return None


# --- warning diffs ----------------------------------------------------------------

_TIMESTAMP = re.compile(r"^\s*\[\s*\d+\.\d+\]\s*")
_HEX = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{8,}\b")
_NUMBER = re.compile(r"\b\d+\b")
WARNING_LEVEL = 4  # KERN_WARNING; emerg..warning are 0..4


def normalise(line: str) -> str:
    """A log line with its timestamp dropped and numbers and addresses made generic."""
    line = _TIMESTAMP.sub("", line)
    line = _HEX.sub("X", line)
    line = _NUMBER.sub("N", line)
    return " ".join(line.split())


# Warnings a kernel prints when the machine under it kept time badly: an emulated guest
# on a loaded host (TCG) prints them on some boots and not others, whatever the patch.
# Normalised text (see normalise), by where 6.1 prints it.
TIMING_WARNINGS = re.compile(
    "|".join(
        (
            r"tsc: Unable to calibrate against PIT",  # arch/x86/kernel/tsc.c
            r"APIC calibration not consistent with PM-Timer",  # arch/x86/kernel/apic/apic.c
            r"TSC synchronization \[CPU#N -> CPU#N\]:$",  # arch/x86/kernel/tsc_sync.c
            r"Measured [NX] cycles TSC warp between CPUs",  # ... check_tsc_sync_source()
            r"TSC warped randomly between CPUs",
            r"TSC found unstable after boot",  # kernel/sched/clock.c
            r"clocksource: timekeeping watchdog on CPU\d+: ",  # kernel/time/clocksource.c,
            r"clocksource: Long readout interval",  # clocksource_watchdog()
            r"clocksource: '[^']*' (?:wd_nsec|cs_nsec|is current|\(not ')",
            r"clocksource: No current clocksource",
            r"hrtimer: interrupt took [NX] ns",  # kernel/time/hrtimer.c, hrtimer_interrupt()
            r"Unstable clock detected, switching default tracing clock",  # kernel/trace/trace.c
            r"If you want to keep using the local clock, then add:$",  # ... its next lines
            r'"trace_clock=local"$',
            r"on the kernel command line$",
            r"sched: RT throttling activated",  # kernel/sched/rt.c, sched_rt_runtime_exceeded()
        )
    )
)


def boot_warnings(dmesg_raw: str) -> list[str]:
    """The warning-or-worse kernel messages of `dmesg -r` output, normalised.

    A raw line is `<P>[ time] text` with P = facility * 8 + level; kernel messages
    have facility 0, so user-space lines (written to /dev/kmsg) are left out, and so are
    the machine's timekeeping complaints (TIMING_WARNINGS): they say nothing of a patch."""
    out = []
    for raw in dmesg_raw.splitlines():
        m = re.match(r"^<(\d+)>(.*)$", raw)
        if not m:
            continue  # a continuation of the previous message
        prio = int(m[1])
        if prio >> 3 == 0 and prio & 7 <= WARNING_LEVEL and m[2].strip():
            line = normalise(m[2])
            if not TIMING_WARNINGS.match(line):
                out.append(line)
    return out


def new_lines(base: list[str], patched: list[str]) -> list[str]:
    """The lines of `patched` that `base` does not have (as multisets, order kept)."""
    left = Counter(base)
    out = []
    for line in patched:
        if left[line] > 0:
            left[line] -= 1
        else:
            out.append(line)
    return out


def warning_key(d: Diagnostic) -> str:
    """A compiler warning without its line and column (a patch shifts those)."""
    return f"{d.file}: {normalise(d.message)}"


def new_compiler_warnings(base: list[Diagnostic], patched: list[Diagnostic]) -> list[str]:
    """The warnings of `patched` that `base` does not have, as 'file: message'."""
    warns = [d for d in patched if d.severity == "warning"]
    keys = [warning_key(d) for d in warns]
    return new_lines([warning_key(d) for d in base if d.severity == "warning"], keys)
