"""The platform's verdicts (DESIGN.md, 'Verdicts'), on top of the Platform interface.

`reproduce`: does the buggy kernel crash under the reproducer with the bug's title?
Its runs are added to the bug's measured reproduction rate (kgym.rates).
`verify`: does a patch apply, build, boot, and stop every crash in R runs? With the
rate, the confidence that it is fixed (kgym.confidence); beside it, its quality.

A guest that goes silent or stops answering after the reproducer started has
crashed (syzkaller's "no output from test machine", "lost connection to test
machine"). A kernel that does not come up is an infrastructure error when it is
the unpatched one, and a boot failure of the patch otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal, TypeVar

from kgym import confidence as conf
from kgym.assess import assess
from kgym.events import run_context
from kgym.log import get_logger
from kgym.models import (
    BugSpec,
    BuildRequest,
    BuildResult,
    BuildStage,
    CrashReport,
    ReproductionRecord,
    RunOutcome,
    RunRequest,
    RunResult,
    Verdict,
)
from kgym.platform import Platform, Scheduling, counting_moves
from kgym.rates import RateStore
from kgym.settings import Settings
from kgym.settings import settings as default_settings

T = TypeVar("T")

NO_OUTPUT_TITLE = "no output from test machine"
LOST_CONNECTION_TITLE = "lost connection to test machine"
NO_SSH_TITLE = "can't ssh into the instance"
BOOT_FAILURE_TITLE = "boot failure"

# Outcomes that say nothing about the kernel: the platform failed.
INFRA_OUTCOMES = {RunOutcome.INFRA_ERROR}
EMPTY_PATCH = "patch: the patch is empty (it would judge the unpatched kernel)"
# Outcomes of a run whose reproducer had started: the guest died, hung or went silent.
GUEST_DOWN_TITLES = {
    RunOutcome.NO_OUTPUT: NO_OUTPUT_TITLE,
    RunOutcome.LOST_CONNECTION: LOST_CONNECTION_TITLE,
}

Runs = int | Literal["auto"]


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


async def reproduce(
    platform: Platform,
    bug: BugSpec,
    runs: int = 1,
    run_id: str = "",
    config: Settings | None = None,
) -> Verdict:
    """Build the buggy kernel and run the reproducer `runs` times; record the rate.

    `same_crash_runs` counts runs whose report names the bug (title sets intersect);
    `reproduction_rate` is over every run recorded for this bug and build so far;
    `resolved` is always False here."""
    config = config or default_settings()
    verdict = await _judge(platform, bug, None, runs, run_id)
    if verdict.build is not None and verdict.build.ok:
        record = _record_rate(config, bug, verdict)
        verdict.reproduction_rate, verdict.reproduction_runs = record.rate, record.runs
    return verdict


async def verify(
    platform: Platform,
    bug: BugSpec,
    patch: str,
    runs: Runs = 3,
    run_id: str = "",
    config: Settings | None = None,
    *,
    stop_at_crash: bool = True,
    cancel: asyncio.Event | None = None,
    on_settled: Callable[[Verdict], None] | None = None,
) -> Verdict:
    """Judge `patch` (relative to the buggy tree): resolved iff no crash of any kind in R
    runs. `runs="auto"` picks R for `config.target_confidence` from the bug's rate.
    An empty patch is an error (it would judge the unpatched kernel). The first crash
    settles the verdict, so by default no VM time is spent after it. A caller that no
    longer needs the verdict sets `cancel`: the run waiting for or using a VM is
    abandoned and no other starts. `on_settled` gets the verdict as soon as its runs
    decide it, before the slower quality checks."""
    if not patch.strip():
        return Verdict(bug=bug.id, applied=False, built=False, booted=False, runs=0,
                       crashed_runs=0, resolved=False, errors=[EMPTY_PATCH])  # fmt: skip
    config = config or default_settings()
    started = time.monotonic()
    # the base build, the rate measurement and the quality calls join the run's stream,
    # and their moves off dead nodes count in the verdict's retries with the unit's own
    with run_context(run_id), counting_moves() as moves:
        stop = _Stop(stop_at_crash, cancel)
        verdict = await _verify(platform, bug, patch, runs, run_id, config, stop, on_settled)
    verdict.retries, verdict.retry_reasons = len(moves), moves
    verdict.duration_s = time.monotonic() - started
    return verdict


async def _verify(
    platform: Platform,
    bug: BugSpec,
    patch: str,
    runs: Runs,
    run_id: str,
    config: Settings,
    stop: _Stop,
    on_settled: Callable[[Verdict], None] | None,
) -> Verdict:
    record, notes = await _base_rate(platform, bug, runs == "auto", run_id, config)
    p = record.rate if record else None
    chosen = config.verify_runs if runs == "auto" else runs
    if runs == "auto":
        try:
            if p is None:
                raise ValueError("the buggy kernel's reproduction rate is unknown")
            chosen = conf.runs_for(p, config.target_confidence, config.max_verify_runs)
        except ValueError as e:
            notes.append(f"--runs auto: {e}; using {chosen} runs")
    verdict = await _judge(platform, bug, patch, chosen, run_id, stop)
    if on_settled is not None:
        on_settled(verdict)
    verdict.notes += notes
    verdict.reproduction_rate = p
    verdict.reproduction_runs = record.runs if record else 0
    if p is not None and verdict.built and not verdict.infra_error:
        # a patch that is not resolved (crashes, boot failure) is surely not a fix
        verdict.confidence = conf.confidence(p, verdict.runs) if verdict.resolved else 0.0
    if config.quality_checks and verdict.applied:
        verdict.quality = await assess(platform, patch, bug_build_request(bug), verdict, record)
    return verdict


async def _base_rate(
    platform: Platform, bug: BugSpec, auto: bool, run_id: str, config: Settings
) -> tuple[ReproductionRecord | None, list[str]]:
    """The buggy kernel's recorded reproduction, measured now (config.rate_runs runs)
    when there is none, or fewer runs than `--runs auto` needs."""
    base = await platform.build(bug_build_request(bug))
    if not base.ok:
        return None, ["no reproduction rate: the buggy kernel does not build"]
    store = RateStore(config.home)
    record = store.get(bug.id, base.key)
    if record is None and bug.reproduction is not None and not auto:
        figures = bug.reproduction  # the suite's own measurement, until we have ours
        prior = ReproductionRecord(bug=bug.id, build_key=base.key, runs=figures.runs,
                                   same_crash_runs=figures.reproduced)  # fmt: skip
        return prior, [f"reproduction rate from the suite's figures ({figures.reproduced}/"
                       f"{figures.runs}); not measured here"]  # fmt: skip
    have = record.runs if record else 0
    want = config.rate_runs if (auto or record is None) else 0
    if want > have:
        get_logger("judge", run_id=run_id, bug=bug.id).info("rate.measure", runs=want - have)
        await reproduce(platform, bug, runs=want - have, run_id=run_id, config=config)
        record = store.get(bug.id, base.key)
    return record, []


def _record_rate(config: Settings, bug: BugSpec, verdict: Verdict) -> ReproductionRecord:
    assert verdict.build is not None
    boots = [r.boot_warnings for r in verdict.run_results if r.boot_warnings is not None]
    return RateStore(config.home).add(
        bug.id,
        verdict.build.key,
        verdict.runs,
        verdict.same_crash_runs,
        boots,
        stack_functions=_stack_functions(verdict, bug),
    )


def _stack_functions(verdict: Verdict, bug: BugSpec) -> list[str]:
    """The functions of the first report that names the bug (for the silencing rule)."""
    for r in verdict.run_results:
        if r.report and r.report.crashed and r.report.same_bug(bug.title):
            return list(dict.fromkeys(f.function for f in r.report.frames))
    return []


async def _judge(
    platform: Platform,
    bug: BugSpec,
    patch: str | None,
    runs: int,
    run_id: str,
    stop: _Stop | None = None,
) -> Verdict:
    """One unit of work: on a platform of several nodes, the build and its runs go to
    one node, and move together to another if that node dies. The run id is bound for
    the calls inside, so the platform's events (also from Ray actors) join its stream."""
    stop = stop or _Stop()
    with run_context(run_id):
        return await _judge_unit(platform, bug, patch, runs, run_id, stop)


@dataclass(frozen=True)
class _Stop:
    """When a judgement may end before its last run."""

    at_crash: bool = False  # the first crash settles a verify verdict
    cancel: asyncio.Event | None = None  # set: the caller no longer needs the verdict

    async def unless_cancelled(self, start: Callable[[], Awaitable[T]]) -> T | None:
        """What `start()` returns, or None if `cancel` is set before it ends (the work is
        then cancelled) or was set already (the work never starts)."""
        if self.cancel is None:
            return await start()
        if self.cancel.is_set():
            return None
        task = asyncio.ensure_future(start())
        waiter = asyncio.ensure_future(self.cancel.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        return None if task.cancelled() else task.result()


async def _judge_unit(
    platform: Platform, bug: BugSpec, patch: str | None, runs: int, run_id: str, stop: _Stop
) -> Verdict:
    request = bug_build_request(bug, patch)
    if not isinstance(platform, Scheduling):
        return await _judge_on(platform, bug, request, patch, runs, run_id, stop)

    async def work(node: Platform) -> Verdict:
        return await _judge_on(node, bug, request, patch, runs, run_id, stop)

    started = time.monotonic()
    verdict, placed = await platform.unit(request, work, run_id=run_id)
    verdict.retries, verdict.retry_reasons = placed.retries, placed.retry_reasons
    verdict.duration_s = time.monotonic() - started
    return verdict


async def _judge_on(
    platform: Platform,
    bug: BugSpec,
    request: BuildRequest,
    patch: str | None,
    runs: int,
    run_id: str,
    stop: _Stop,
) -> Verdict:
    log = get_logger("judge", bug=bug.id)
    started = time.monotonic()
    log.info("build.start", patched=patch is not None)
    build = await platform.build(request)
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
        node=build.node,
    )
    if not build.ok:
        verdict.infra_error = build.failed_stage == BuildStage.HOST  # not the patch's fault
        verdict.duration_s = time.monotonic() - started
        return verdict
    for i in range(runs):
        run = run_request(bug, build, run_id)
        result = await stop.unless_cancelled(partial(_started_run, platform, run, i, log))
        if result is None:
            log.info("verify.stop", reason="cancelled by the caller", runs=i)
            break
        log.info("vm.run.end", index=i, outcome=result.outcome, **run_fields(result))
        record_run(verdict, bug, result, patched=patch is not None)
        if verdict.boot_failure or verdict.infra_error:
            break
        if stop.at_crash and verdict.crashed_runs:
            log.info("verify.stop", reason="crashed: the verdict cannot change", runs=i + 1)
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


async def _started_run(platform: Platform, request: RunRequest, index: int, log) -> RunResult:
    """One run as a span: `vm.run.start`, then its `.end` from here only when the run was
    abandoned (cancelled) or raised; the caller ends a run that came back."""
    log.info("vm.run.start", index=index)
    try:
        return await _run_once_more_on_host_fault(platform, request, log)
    except asyncio.CancelledError:
        log.info("vm.run.end", index=index, outcome="cancelled")
        raise
    except Exception as e:
        log.info("vm.run.end", index=index, error=f"{type(e).__name__}: {e}")
        raise


async def _run_once_more_on_host_fault(platform: Platform, request: RunRequest, log) -> RunResult:
    """A run that failed on the host (QEMU killed or failing) says nothing about the kernel:
    retry it once; the retry's result counts, naming the first failure."""
    result = await platform.run(request)
    if result.outcome != RunOutcome.INFRA_ERROR:
        return result
    log.warning("run.retry", outcome=result.outcome, message=result.message)
    retry = await platform.run(request)
    retry.retried_after = result.message
    return retry


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


def _crash_report(result: RunResult) -> CrashReport | None:
    return result.report if result.report and result.report.crashed else None


def boot_failure_title(result: RunResult) -> str:
    """The title of a kernel that did not come up: its crash, else how it failed."""
    if report := _crash_report(result):
        return report.title or BOOT_FAILURE_TITLE
    if result.outcome == RunOutcome.NO_OUTPUT:
        return NO_OUTPUT_TITLE
    if "SSH" in result.message:
        return NO_SSH_TITLE
    return BOOT_FAILURE_TITLE


def record_run(verdict: Verdict, bug: BugSpec, result: RunResult, patched: bool) -> None:
    """Fold one run into the verdict."""
    verdict.run_results.append(result)
    verdict.node = verdict.node or result.node
    if result.outcome in INFRA_OUTCOMES:
        verdict.infra_error = True
        verdict.errors.append(f"infrastructure: {result.outcome}: {result.message}")
        return
    if not result.booted:  # the kernel did not come up
        if not patched:
            verdict.infra_error = True
            verdict.errors.append(
                f"infrastructure: the unpatched kernel did not boot: {result.outcome}: "
                f"{result.message}"
            )
            return
        verdict.boot_failure = True
        verdict.title = verdict.title or boot_failure_title(result)
        verdict.errors.append(f"boot failure: {boot_failure_title(result)}: {result.message}")
        return
    verdict.booted = True
    verdict.runs += 1
    report = _crash_report(result)
    crashed = report is not None or result.outcome == RunOutcome.CRASHED
    crashed = crashed or result.outcome in GUEST_DOWN_TITLES
    if result.outcome == RunOutcome.TIMEOUT and not crashed:
        verdict.errors.append("reproducer timed out without a crash")
    if not crashed:
        return
    title = (report.title if report else None) or GUEST_DOWN_TITLES.get(
        result.outcome, LOST_CONNECTION_TITLE
    )
    verdict.title = verdict.title or title
    if (report or CrashReport(crashed=True, title=title)).same_bug(bug.title):
        verdict.same_crash_runs += 1
    verdict.crashed_runs += 1
