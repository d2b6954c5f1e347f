"""One line for a person per event of a run's stream (the events worth showing).

One table says which events a person wants to see and how; the CLI's live
progress and the benchmark's progress bar both read it, from the same records
the trace viewer and the report read.
"""

from __future__ import annotations

from typing import Any

# (node, event) -> line; node None matches any node. Fields of the record fill the
# braces; floats are rounded for people.
SHOWN: dict[tuple[str | None, str], str] = {
    # the platform
    (None, "build.cache_hit"): "build: cache hit {key}",
    (None, "build.stage"): "build: {stage} {duration_s}s",
    (None, "vm.accel_probed"): "vm: accelerator {accelerator}",
    (None, "vm.start"): "vm: QEMU started ({accel})",
    (None, "vm.booted"): "vm: booted, SSH up in {boot_s}s",
    (None, "repro.start"): "vm: reproducer started",
    (None, "repro.result"): "vm: {outcome} in {run_s}s {message}",
    (None, "parse.end"): "parse: {title} ({duration_s}s)",
    ("judge", "vm.run.end"): "run {index}: {outcome} {title}",
    ("judge", "verdict"): "verdict: resolved={resolved}, crashed runs {crashed_runs}",
    # the agent
    ("reproduce", "platform.reproduce.end"): "reproduced: {title}",
    ("localizer", "localize.end"): "localized: {candidates} suspects",
    ("planner", "hypothesis"): "{hypothesis}: {root_cause} @ {location}",
    ("patcher", "platform.compile_check.end"): "{hypothesis}: compile check ok={ok}",
    ("patcher", "patch.end"): "{hypothesis}: patch touches {files}",
    ("verifier", "platform.verify.start"): "{hypothesis}: verifying on the platform …",
    ("verifier", "verdict"): "{hypothesis}: [bold]{outcome}[/bold] — {feedback}",
    ("planner", "budget.spent"): "budget spent: {reason}",
    ("rootcause", "analyse.end"): "root cause: {crash_class} at {where}",
    ("patcher", "loop.stopped"): "{hypothesis}: {reason}",
    ("patcher", "budget.spent"): "{hypothesis}: {reason}",
    ("submit", "submit.end"): "mbox: {subject} (checkpatch {checkpatch_errors} errors, "
    "{checkpatch_warnings} warnings; Fixes: {fixes})",
    ("finish", "result"): "done: resolved={resolved} ({reason})",
}


def describe(record: dict[str, Any]) -> str | None:
    """The line a person sees for `record`, or None when it is not shown."""
    template = SHOWN.get((record.get("node"), record.get("event"))) or SHOWN.get(
        (None, str(record.get("event")))
    )
    if template is None:
        return None
    fields = _Missing({k: _human(v) for k, v in record.items()})
    return template.format_map(fields).rstrip()


def _human(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return value


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "?"
