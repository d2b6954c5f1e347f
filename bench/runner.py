"""`kgym bench run`: every (bug, attempt) once, at most N at once, resumable, on every kgym node.

Each attempt: reproduce the bug once (the agent gets the crash report), ask the
agent for a patch, and judge the patch with `kgym.judge.verify`. Attempts run as
asyncio tasks in this driver; their heavy parts, the units of work (a build plus
its runs), are placed on the cluster's kgym nodes by the scheduler
(actors/platforms/scheduler.py), and move to another node if theirs dies. The
driver appends each finished attempt to `results.jsonl` once; rerunning the same
command skips every (bug, attempt, agent) already there, so a run killed in any
way resumes where it stopped. Attempt events land in this driver's run
directories (the nodes' events come back with each call).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from actors.platforms.ray_platform import RayPlatform
from bench.agents import AgentInput, get_agent
from bench.metrics import fix_overlap
from bench.results import (
    AttemptResult,
    BadLine,
    FixOverlap,
    VerdictSummary,
    append_result,
    load_results,
)
from bench.suites import load_suite
from bench.timing import RUNS, attempt_dir
from kgym import events, judge
from kgym.models import BugSpec, CrashReport, Verdict
from kgym.narrate import describe
from kgym.patchinfo import tree_reader
from kgym.platform import Platform
from kgym.rundir import Tail
from kgym.settings import Settings, settings

RESULTS = "results.jsonl"


async def run_attempt(
    bug: BugSpec,
    attempt: int,
    agent: str,
    platform: Platform,
    config: Settings,
    repro_runs: int = 1,
    out: Path | None = None,
) -> AttemptResult:
    """Reproduce, ask `agent` for a patch, verify it. Errors become the result's `error`.

    With `out`, the attempt's events go to `<out>/runs/<run_id>/events.jsonl`."""
    started = time.monotonic()
    run_id = f"{agent}-{bug.id}-{attempt}"
    result = AttemptResult(
        bug=bug.id, attempt=attempt, agent=agent, run_id=run_id, crash_class=bug.crash_class
    )
    if out is not None:
        events.open_run(run_id, attempt_dir(out, run_id))
        events.emit(run_id, "bench", "run.start", bug=bug.id, attempt=attempt, agent=agent)
    try:
        solve = get_agent(agent)
        report: CrashReport | None = None
        if repro_runs > 0:
            repro = await judge.reproduce(
                platform, bug, runs=repro_runs, run_id=run_id, config=config
            )
            result.reproduction = VerdictSummary.of(repro)
            result.node = repro.node
            result.reproduced = repro.same_crash_runs > 0
            report = next(
                (r.report for r in repro.run_results if r.report and r.report.crashed), None
            )
        patch = await solve(AgentInput(bug, platform, report, attempt, run_id))
        result.patch, result.tokens, result.cost_usd = patch.patch, patch.tokens, patch.cost_usd
        verdict = await judge.verify(
            platform, bug, patch.patch, runs=config.verify_runs, run_id=run_id, config=config
        )
        _take_verdict(result, verdict)
        if bug.fix is not None:  # after the agent is done: it never sees this
            result.fix_overlap = await _overlap(platform, bug, patch.patch)
    except Exception as e:  # an attempt that fails is a result, not the end of the run
        result.error = _describe(e)
        failed = getattr(e, "placement", None)  # a unit whose nodes all died
        if failed is not None:
            result.retries += failed.retries
            result.retry_reasons += failed.retry_reasons
    for unit in (result.reproduction, result.verdict):
        if unit is not None:
            result.retries += unit.retries
            result.retry_reasons += unit.retry_reasons
    result.wall_s = round(time.monotonic() - started, 3)
    if out is not None:
        events.emit(run_id, "bench", "run.end", resolved=result.resolved, error=result.error,
                    duration_s=result.wall_s)  # fmt: skip
    return result


async def _overlap(platform: Platform, bug: BugSpec, patch: str) -> FixOverlap | None:
    """The patch against the upstream fix, on the buggy tree (None if there is no tree)."""
    assert bug.fix is not None
    try:
        tree = await platform.checkout(judge.bug_build_request(bug))
        return fix_overlap(patch, bug.read(bug.fix.file), tree_reader(tree))
    except ValueError:  # the buggy tree cannot be made; the verdict already says why
        return None


def _take_verdict(result: AttemptResult, verdict: Verdict) -> None:
    """The verdict's part of the result: the same fields as `kgym verify --json`."""
    result.verdict = VerdictSummary.of(verdict)
    result.resolved = verdict.resolved
    result.reproduction_rate = verdict.reproduction_rate
    result.confidence = verdict.confidence
    result.node = verdict.node
    result.quality = verdict.quality.contract() if verdict.quality else None


def _describe(e: BaseException) -> str:
    """`Type: message (at file:line in function)`, naming the innermost frame."""
    frames = traceback.extract_tb(e.__traceback__)
    last = frames[-1] if frames else None
    where = f" (at {last.filename}:{last.lineno} in {last.name})" if last else ""
    return f"{type(e).__name__}: {e}{where}"[:2000]


@dataclass
class Plan:
    """What a run still has to do, given what `results.jsonl` already holds."""

    bugs: list[BugSpec]
    todo: list[tuple[BugSpec, int]]
    done: int
    bad_lines: list[BadLine] = field(default_factory=list)


def plan(
    bugs: list[BugSpec], agent: str, attempts: int, results_path: Path, retry_errors: bool = False
) -> Plan:
    """The (bug, attempt) pairs not yet in the results, attempt-major (spreads the bugs)."""
    results, bad = load_results(results_path)
    done = {r.key for r in results if not (retry_errors and r.error)}
    todo = [(bug, a) for a in range(attempts) for bug in bugs if (bug.id, a, agent) not in done]
    return Plan(bugs, todo, attempts * len(bugs) - len(todo), bad)


def run_benchmark(
    suite: str,
    agent: str,
    out: Path,
    workers: int = 1,
    attempts: int = 1,
    repro_runs: int = 1,
    retry_errors: bool = False,
    progress: bool = True,
    config: Settings | None = None,
) -> Plan:
    """Run what is left of the benchmark; returns the plan it started from.

    `config`: for this driver and, when given, for every node too (tests on one
    machine); None: this process's settings here, each node's own on the nodes."""
    get_agent(agent)  # a bad name fails before anything starts
    if workers < 1 or attempts < 1:
        raise ValueError("--workers and --attempts must be at least 1")
    bugs = load_suite(suite)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / RESULTS
    work = plan(bugs, agent, attempts, results_path, retry_errors)
    _write_meta(out, suite, agent, attempts, bugs)
    if not work.todo:
        return work
    driver = config or settings()
    platform = RayPlatform.connect(driver, node_settings=config)
    with _Progress(len(work.bugs) * attempts, work.done, out / RUNS, enabled=progress) as bar:

        def finished(result: AttemptResult) -> None:
            append_result(results_path, result)
            bar.advance(result)

        asyncio.run(
            _run_all(work, agent, platform, driver, workers, repro_runs, finished, out.resolve())
        )
    return work


async def _run_all(
    work: Plan,
    agent: str,
    platform: Platform,
    config: Settings,
    workers: int,
    repro_runs: int,
    done: Callable[[AttemptResult], None],
    out: Path,
) -> None:
    """At most `workers` attempts at once; `done(result)` as each one finishes."""
    pending = list(work.todo)
    inflight: set[asyncio.Task] = set()
    while pending or inflight:
        while pending and len(inflight) < workers:
            bug, attempt = pending.pop(0)
            inflight.add(
                asyncio.create_task(
                    run_attempt(bug, attempt, agent, platform, config, repro_runs, out)
                )
            )
        finished, inflight = await asyncio.wait(inflight, return_when=asyncio.FIRST_COMPLETED)
        for task in finished:
            done(task.result())


def _write_meta(out: Path, suite: str, agent: str, attempts: int, bugs: list[BugSpec]) -> None:
    meta = {"suite": suite, "agent": agent, "attempts": attempts, "bugs": [b.id for b in bugs]}
    tmp = out / ".run.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2) + "\n")
    os.replace(tmp, out / "run.json")


class _Progress:
    """A rich progress bar with ETA on stderr (silent when disabled); below it, the
    latest shown event of the attempts' streams under `runs_dir`."""

    def __init__(self, total: int, done: int, runs_dir: Path, enabled: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.resolved = 0
        self.errors = 0
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("resolved {task.fields[resolved]}, errors {task.fields[errors]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("[dim]{task.fields[now]}"),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self.task = self.progress.add_task(
            "attempts", total=total, completed=done, resolved=0, errors=0, now=""
        )
        self.enabled = enabled
        self._tail = Tail(runs_dir)
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        """Show the newest event worth a line, as the attempts write them."""
        while not self._stop.wait(1.0):
            lines = [f"{r.get('run_id')}: {line}" for r in self._tail.poll()
                     if (line := describe(r))]  # fmt: skip
            if lines:
                self.progress.update(self.task, now=lines[-1][:100])

    def advance(self, result: AttemptResult) -> None:
        self.resolved += result.resolved
        self.errors += result.error is not None
        self.progress.update(self.task, advance=1, resolved=self.resolved, errors=self.errors)

    def __enter__(self) -> _Progress:
        self.progress.start()
        if self.enabled:
            self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._watcher.is_alive():
            self._watcher.join()
        self.progress.stop()
