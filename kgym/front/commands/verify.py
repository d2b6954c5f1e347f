"""`kgym verify BUG --patch FILE`: judge a patch on the buggy tree, R runs."""

from __future__ import annotations

import argparse
from pathlib import Path

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
from kgym.settings import settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_platform_arguments(parser)
    parser.add_argument("--patch", required=True, type=Path, help="unified diff, buggy tree → fix")
    parser.add_argument(
        "--runs",
        type=lambda text: run_count(text, auto=True),
        default=None,
        help="reproducer runs (default 3), or 'auto': enough for the target confidence "
        "(setting target_confidence, default 0.99) given the bug's reproduction rate",
    )


async def run(args: argparse.Namespace) -> int:
    if problem := runs_error(args):
        return fail(problem, args.json, bug=args.bug)
    try:
        bug = await checked_bug(args.bug)
    except ValueError as e:
        return fail(str(e), args.json, bug=args.bug)
    try:
        patch = args.patch.read_text()
    except (OSError, UnicodeDecodeError) as e:
        return fail(f"{args.patch}: cannot read the patch: {e}", args.json, bug=bug.id)
    if not patch.strip():
        return fail(f"{args.patch}: the patch is empty", args.json, bug=bug.id)
    runs = args.runs or settings().verify_runs

    async def work(platform, run_id: str) -> Verdict:
        return await judge.verify(platform, bug, patch, runs=runs, run_id=run_id)

    run_id, verdict = await run_on_platform("verify", bug, args, work)
    result = verify_json(verdict, run_id)
    end_run(
        run_id,
        "verify",
        resolved=result["resolved"],
        title=result["title"],
        duration_s=result["duration_s"],
    )
    emit(result, args.json)
    if not args.json:
        _summary(result)
    return 0 if verdict.resolved else 1


def verify_json(verdict: Verdict, run_id: str | None = None) -> dict:
    """The stable `kgym verify --json` object."""
    return {
        "bug": verdict.bug,
        "run_id": run_id,
        "applied": verdict.applied,
        "built": verdict.built,
        "booted": verdict.booted,
        "runs": verdict.runs,
        "crashed_runs": verdict.crashed_runs,
        "same_crash_runs": verdict.same_crash_runs,
        "resolved": verdict.resolved,
        "title": verdict.title,
        "infra_error": verdict.infra_error,
        "accelerator": verdict.accelerator,
        "cache_hit": verdict.build.cache_hit if verdict.build else False,
        "duration_s": round(verdict.duration_s, 2),
        "errors": verdict.errors,
        "boot_failure": verdict.boot_failure,
        "reproduction_rate": verdict.reproduction_rate,
        "reproduction_runs": verdict.reproduction_runs,
        "confidence": verdict.confidence,
        "node": verdict.node,
        "quality": verdict.quality.contract() if verdict.quality else None,
        "notes": verdict.notes + (verdict.quality.notes if verdict.quality else []),
        "retries": verdict.retries,
        "retry_reasons": verdict.retry_reasons,
    }


def _summary(r: dict) -> None:
    stages = ("applied", "built", "booted")
    stderr.print(" ".join(f"{s}={'yes' if r[s] else 'no'}" for s in stages))
    stderr.print(f"runs: {r['runs']}, crashed: {r['crashed_runs']} ({r['title'] or 'no crash'})")
    for e in r["errors"]:
        stderr.print(f"  [red]{e}[/red]", markup=True, highlight=False)
    rate, confidence = r["reproduction_rate"], r["confidence"]
    if rate is not None:
        line = f"buggy kernel reproduces {rate:.0%} of {r['reproduction_runs']} runs"
        if confidence is not None:
            line += f"; confidence that the patch fixed it: {confidence:.3f}"
        stderr.print(line)
    if q := r["quality"]:
        stderr.print(
            f"quality: {q['hunks']} hunk(s) in {q['files']} file(s); checkpatch "
            f"{q['checkpatch_errors']} error(s), {q['checkpatch_warnings']} warning(s); "
            f"new compiler warnings {q['new_compiler_warnings']}, "
            f"new boot warnings {q['new_boot_warnings']}"
        )
        if q["silences_symptom"]:
            stderr.print(f"  [yellow]silences the symptom: {q['silencing_reason']}[/yellow]")
    word = "[green]RESOLVED[/green]" if r["resolved"] else "[red]NOT RESOLVED[/red]"
    stderr.print(f"{r['bug']}: {word} in {seconds(r['duration_s'])}")
