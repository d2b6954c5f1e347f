"""`kgym repro BUG`: build the buggy kernel, run the reproducer, report the crash."""

from __future__ import annotations

import argparse

from kgym import judge
from kgym.front.commands.common import (
    add_platform_arguments,
    checked_bug,
    emit,
    end_run,
    fail,
    run_count,
    run_on_platform,
    runs_error,
    seconds,
    stderr,
)
from kgym.models import Verdict


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_platform_arguments(parser)
    parser.add_argument("--runs", type=run_count, default=1, help="VM runs (default 1)")


async def run(args: argparse.Namespace) -> int:
    if problem := runs_error(args):
        return fail(problem, args.json, bug=args.bug)
    try:
        bug = await checked_bug(args.bug)
    except ValueError as e:
        return fail(str(e), args.json, bug=args.bug)

    async def work(platform, run_id: str) -> Verdict:
        return await judge.reproduce(platform, bug, runs=args.runs, run_id=run_id)

    run_id, verdict = await run_on_platform("repro", bug, args, work)
    result = repro_json(verdict, run_id)
    end_run(
        run_id,
        "repro",
        crashed=result["crashed"],
        reproduced=result["reproduced"],
        title=result["title"],
    )
    emit(result, args.json)
    if not args.json:
        _summary(result)
    return 0 if verdict.built else 1


def repro_json(verdict: Verdict, run_id: str | None = None) -> dict:
    """The stable `kgym repro --json` object."""
    build = verdict.build
    report = next((r.report for r in verdict.run_results if r.report and r.report.crashed), None)
    return {
        "bug": verdict.bug,
        "run_id": run_id,
        "build": {
            "ok": verdict.built,
            "key": build.key if build else None,
            "cache_hit": build.cache_hit if build else False,
            "incremental": build.incremental if build else False,
            "duration_s": round(build.duration_s, 2) if build else None,
            "errors": verdict.errors if not verdict.built else [],
        },
        "accelerator": verdict.accelerator,
        "runs": [
            {
                "outcome": r.outcome,
                "title": r.report.title if r.report else None,
                "boot_s": r.boot_s,
                "run_s": r.run_s,
                "console_log": r.console_log,
                "message": r.message,
                "exit_code": r.exit_code,
                "retried_after": r.retried_after,
            }
            for r in verdict.run_results
        ],
        "crashed": verdict.crashed_runs > 0,
        "reproduced": verdict.same_crash_runs > 0,
        "same_crash_runs": verdict.same_crash_runs,
        "reproduction_rate": verdict.reproduction_rate,  # over every run recorded so far
        "reproduction_runs": verdict.reproduction_runs,
        "infra_error": verdict.infra_error,
        "node": verdict.node,
        "title": verdict.title,
        "report": report.model_dump() if report else None,
    }


def _summary(result: dict) -> None:
    b = result["build"]
    stderr.print(
        f"build: {'ok' if b['ok'] else 'FAILED'}"
        f"{' (cache hit)' if b['cache_hit'] else ''} in {seconds(b['duration_s'])}"
    )
    for e in b["errors"]:
        stderr.print(f"  [red]{e}[/red]")
    for i, r in enumerate(result["runs"], 1):
        stderr.print(f"run {i}: {r['outcome']} {r['title'] or ''} (boot {seconds(r['boot_s'])})")
    verdict = "[green]reproduced[/green]" if result["reproduced"] else "[yellow]not reproduced"
    stderr.print(f"{result['bug']}: {verdict} — {result['title'] or 'no crash'}")
    if result["reproduction_rate"] is not None:
        stderr.print(
            f"reproduction rate: {result['reproduction_rate']:.0%} "
            f"of {result['reproduction_runs']} recorded runs"
        )
    if result["report"]:
        stderr.print(result["report"]["report"][:3000], markup=False, highlight=False)
