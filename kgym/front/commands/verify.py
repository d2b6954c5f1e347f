"""`kgym verify BUG --patch FILE`: judge a patch on the buggy tree, R runs."""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

from kgym import judge
from kgym.front.commands.common import (
    add_platform_arguments,
    emit,
    fail,
    load_bug,
    open_platform,
    seconds,
    stderr,
)
from kgym.models import Verdict
from kgym.settings import settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_platform_arguments(parser)
    parser.add_argument("--patch", required=True, type=Path, help="unified diff, buggy tree → fix")
    parser.add_argument("--runs", type=int, default=None, help="reproducer runs (default 3)")


async def run(args: argparse.Namespace) -> int:
    try:
        bug = load_bug(args.bug)
    except ValueError as e:
        return fail(str(e), args.json, bug=args.bug)
    try:
        patch = args.patch.read_text()
    except (OSError, UnicodeDecodeError) as e:
        return fail(f"{args.patch}: cannot read the patch: {e}", args.json, bug=bug.id)
    runs = args.runs or settings().verify_runs
    status = stderr.status(f"verifying {args.patch} on {bug.id} …") if not args.json else None
    with status or nullcontext():
        async with open_platform(args) as platform:
            verdict = await judge.verify(platform, bug, patch, runs=runs)
    result = verify_json(verdict)
    emit(result, args.json)
    if not args.json:
        _summary(result)
    return 0 if verdict.resolved else 1


def verify_json(verdict: Verdict) -> dict:
    """The stable `kgym verify --json` object."""
    return {
        "bug": verdict.bug,
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
    }


def _summary(r: dict) -> None:
    stages = ("applied", "built", "booted")
    stderr.print(" ".join(f"{s}={'yes' if r[s] else 'no'}" for s in stages))
    stderr.print(f"runs: {r['runs']}, crashed: {r['crashed_runs']} ({r['title'] or 'no crash'})")
    for e in r["errors"]:
        stderr.print(f"  [red]{e}[/red]", markup=True, highlight=False)
    word = "[green]RESOLVED[/green]" if r["resolved"] else "[red]NOT RESOLVED[/red]"
    stderr.print(f"{r['bug']}: {word} in {seconds(r['duration_s'])}")
