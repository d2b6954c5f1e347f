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
- `removes-reached-code`: a hunk in a function on the crash report's stack deletes code
  and adds no condition (no if/while/switch/?:/&&/||) to handle what reached it.
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
    for f in files:
        for i, h in enumerate(f.hunks):
            function = (functions or {}).get((f.path, i)) or heading_function(h.heading)
            if reason := _removes_reached(f.path, h, function, stack_functions or set()):
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


def _removes_reached(path: str, h: HunkInfo, function: str | None, stack: set[str]) -> str | None:
    if function is None or function not in stack:
        return None
    removed = [t for _, t in h.removed if _is_code(t)]
    added = [t for _, t in h.added if _is_code(t)]
    if removed and not any(_CONDITION.search(_code(t)) for t in added):
        return (
            f"removes-reached-code: deletes {len(removed)} line(s) of {function}() in {path}, "
            "which the crash stack runs through, and adds no check"
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


def boot_warnings(dmesg_raw: str) -> list[str]:
    """The warning-or-worse kernel messages of `dmesg -r` output, normalised.

    A raw line is `<P>[ time] text` with P = facility * 8 + level; kernel messages
    have facility 0, so user-space lines (written to /dev/kmsg) are left out."""
    out = []
    for raw in dmesg_raw.splitlines():
        m = re.match(r"^<(\d+)>(.*)$", raw)
        if not m:
            continue  # a continuation of the previous message
        prio = int(m[1])
        if prio >> 3 == 0 and prio & 7 <= WARNING_LEVEL and m[2].strip():
            out.append(normalise(m[2]))
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
