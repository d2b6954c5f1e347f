"""The platform's verdicts (DESIGN.md, 'Verdicts'), on top of the Platform interface.

`reproduce`: does the buggy kernel crash under the reproducer with the bug's title?
`verify`: does a patch apply, build, boot, and stop every crash in R runs?
"""

from __future__ import annotations

import time

from kgym.log import get_logger
from kgym.models import (
    BugSpec,
    BuildRequest,
    BuildResult,
    CrashReport,
    RunOutcome,
    RunRequest,
    RunResult,
    Verdict,
)
from kgym.platform import Platform

# Outcomes that say nothing about the patch: the platform failed, not the kernel.
INFRA_OUTCOMES = {RunOutcome.INFRA_ERROR, RunOutcome.NO_OUTPUT}


def bug_build_request(bug: BugSpec, patch: str | None = None) -> BuildRequest:
    """The buggy tree of `bug` (source + inject patch), plus `patch` if given."""
    patches = bug.inject_patches() + ([patch] if patch and patch.strip() else [])
    return BuildRequest(source=bug.source, config_fragment=bug.config_fragment(), patches=patches)


def run_request(bug: BugSpec, build: BuildResult, run_id: str) -> RunRequest:
    assert build.artifacts is not None
    return RunRequest(
        bzimage=build.artifacts.bzimage,
        reproducer=bug.reproducer,
        reproducer_dir=bug.dir,
        vmlinux=build.artifacts.vmlinux,
        run_id=run_id,
    )


async def reproduce(platform: Platform, bug: BugSpec, runs: int = 1, run_id: str = "") -> Verdict:
    """Build the buggy kernel and run the reproducer `runs` times.

    `same_crash_runs` counts runs whose report names the bug (title sets intersect);
    `resolved` is always False here.
    """
    return await _judge(platform, bug, None, runs, run_id)


async def verify(
    platform: Platform, bug: BugSpec, patch: str, runs: int = 3, run_id: str = ""
) -> Verdict:
    """Judge `patch` (relative to the buggy tree): resolved iff no crash of any kind in `runs`."""
    return await _judge(platform, bug, patch, runs, run_id)


async def _judge(
    platform: Platform, bug: BugSpec, patch: str | None, runs: int, run_id: str
) -> Verdict:
    log = get_logger("judge", run_id=run_id, bug=bug.id)
    started = time.monotonic()
    log.info("build.start", patched=patch is not None)
    build = await platform.build(bug_build_request(bug, patch))
    log.info("build.end", ok=build.ok, cache_hit=build.cache_hit, duration_s=build.duration_s)
    verdict = Verdict(
        bug=bug.id,
        applied=build.applied,
        built=build.ok,
        booted=False,
        runs=0,
        crashed_runs=0,
        resolved=False,
        errors=build.error_messages(),
        build=build,
    )
    if not build.ok:
        verdict.duration_s = time.monotonic() - started
        return verdict
    for i in range(runs):
        log.info("run.start", index=i)
        result = await platform.run(run_request(bug, build, run_id))
        log.info("run.end", index=i, outcome=result.outcome, **run_fields(result))
        _record(verdict, bug, result)
        if result.outcome == RunOutcome.BOOT_FAILURE or verdict.infra_error:
            break
    verdict.resolved = (
        patch is not None
        and verdict.booted
        and not verdict.infra_error
        and verdict.runs == runs
        and verdict.crashed_runs == 0
    )
    verdict.duration_s = time.monotonic() - started
    log.info("verdict", resolved=verdict.resolved, crashed_runs=verdict.crashed_runs)
    return verdict


REPORT_FRAMES = 24  # frames of a crash report kept in its run.end event
REPORT_CHARS = 8000  # characters of its text kept


def run_fields(result: RunResult) -> dict:
    """What a `run.end` event says about one VM run: its crash report (bounded), console log."""
    report = result.report
    fields: dict = {
        "title": _title(result),
        "console_log": result.console_log,
        "boot_s": result.boot_s,
        "run_s": result.run_s,
        "message": result.message[:500],
    }
    if report is not None and report.crashed:
        fields["report"] = {
            "title": report.title,
            "type": report.type,
            "guilty_file": report.guilty_file,
            "frames": [
                {"function": f.function, "file": f.file, "line": f.line, "offset": f.offset}
                for f in report.frames[:REPORT_FRAMES]
            ],
            "text": report.report[:REPORT_CHARS],
        }
    return fields


def _title(result: RunResult) -> str | None:
    return result.report.title if result.report else None


def _record(verdict: Verdict, bug: BugSpec, result: RunResult) -> None:
    """Fold one run into the verdict."""
    verdict.run_results.append(result)
    if result.outcome in INFRA_OUTCOMES:
        verdict.infra_error = True
        verdict.errors.append(f"infrastructure: {result.outcome}: {result.message}")
        return
    if result.outcome == RunOutcome.BOOT_FAILURE:
        verdict.errors.append(f"boot failure: {result.message}")
        if result.report and result.report.crashed:
            verdict.title = verdict.title or result.report.title
        return
    verdict.booted = True
    verdict.runs += 1
    crashed = result.outcome in (RunOutcome.CRASHED, RunOutcome.LOST_CONNECTION)
    crashed = crashed or (result.report is not None and result.report.crashed)
    if result.outcome == RunOutcome.TIMEOUT and not crashed:
        verdict.errors.append("reproducer timed out without a crash")
    if not crashed:
        return
    title = _title(result) or ("lost connection to test machine")
    verdict.title = verdict.title or title
    report = result.report or CrashReport(crashed=True, title=title)
    if report.same_bug(bug.title):
        verdict.same_crash_runs += 1
    verdict.crashed_runs += 1
