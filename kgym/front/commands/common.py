"""What the platform commands share: the BUG argument, the platform, output."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from rich.console import Console

from actors.platforms.local_platform import LocalPlatform
from kgym import events, log, rundir
from kgym.front.commands.progress import progress
from kgym.models import BugSpec
from kgym.platform import Platform
from kgym.rundir import new_run_id
from kgym.settings import settings

stderr = Console(stderr=True, soft_wrap=True)  # messages are never wrapped mid-sentence
T = TypeVar("T")


def add_platform_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bug", metavar="BUG", help="a bug directory, SUITE/ID, or a bug id")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--ray",
        action="store_true",
        help="use the platform on every kgym node of the Ray cluster at RAY_ADDRESS "
        "(else a local one-node cluster)",
    )


def run_count(text: str, auto: bool = False) -> int | str:
    """An argparse type: a number of reproducer runs, or "auto" if allowed (the range is
    checked by `runs_error`, so that `--json` gets its error as JSON)."""
    if auto and text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        what = "a number of runs or 'auto'" if auto else "a number of runs"
        raise argparse.ArgumentTypeError(f"{text!r}: {what}") from None


def runs_error(args: argparse.Namespace) -> str | None:
    """What is wrong with `--runs`, if anything."""
    if isinstance(args.runs, int) and args.runs < 1:
        return f"--runs must be at least 1 (got {args.runs})"
    return None


async def run_on_platform(
    kind: str,
    bug: BugSpec,
    args: argparse.Namespace,
    work: Callable[[Platform, str], Awaitable[T]],
) -> tuple[str, T]:
    """`work(platform, run_id)` as a new run of command `kind`, with the progress
    display on stderr (unless --json): the run's id and what the work returned."""
    run_id = start_run(kind, bug, args)
    with progress(run_id, stderr, enabled=not args.json):
        async with open_platform(args) as platform:
            return run_id, await work(platform, run_id)


def start_run(kind: str, bug: BugSpec, args: argparse.Namespace) -> str:
    """A new run of command `kind` on `bug`: its id, its run.json written, and the raw
    log lines on stderr quietened (the progress display reads the run's events)."""
    run_id = new_run_id(kind, bug.id)
    asked = {k: v for k, v in vars(args).items() if k not in ("func", "command")}
    rundir.write_meta(settings().runs_dir / run_id, {"run_id": run_id, "command": kind,
                                                     "bug": bug.id, "bug_dir": bug.dir,
                                                     "options": asked})  # fmt: skip
    log.set_stderr_level(logging.WARNING)
    events.emit(run_id, kind, "run.start", bug=bug.id)
    return run_id


def end_run(run_id: str, kind: str, **fields: object) -> None:
    """The run's last event: what it came to."""
    events.emit(run_id, kind, "run.end", **fields)


def load_bug(arg: str) -> BugSpec:
    """The bug named by `arg`, its files checked; ValueError naming what is wrong."""
    from bench.suites import resolve_bug

    return resolve_bug(arg).check()


async def preflight(bug: BugSpec) -> None:
    """Before any build: the reproducer must compile (in the sandbox); ValueError if not."""
    from vmpool.reproducer import ReproducerError, prepare

    try:
        await prepare(bug.reproducer, bug.dir, settings().home / "repros")
    except ReproducerError as e:
        raise ValueError(str(e)) from None


async def checked_bug(arg: str) -> BugSpec:
    """`load_bug` + `preflight`: a bug that can run; ValueError otherwise."""
    bug = load_bug(arg)
    await preflight(bug)
    return bug


@asynccontextmanager
async def open_platform(args: argparse.Namespace) -> AsyncIterator[Platform]:
    """The platform: in this process, or with `--ray` every kgym node's actors (each
    node with its own settings), the work placed by the scheduler."""
    if args.ray:
        from actors.platforms.ray_platform import RayPlatform

        yield RayPlatform.connect()
        return
    async with LocalPlatform() as platform:
        yield platform


def seconds(value: float | None) -> str:
    """A duration for people: 6.97 s, 42.1 s, 3 m 05 s ("?" when unknown)."""
    if value is None:
        return "?"
    if value < 10:
        return f"{value:.2f} s"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} m {rest:02d} s"


def emit(obj: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(obj, default=str) + "\n")
        sys.stdout.flush()


def fail(message: str, as_json: bool, **fields: object) -> int:
    """Report a usage error (bad BUG, unreadable patch): exit status 2."""
    if as_json:
        emit({"error": message, **fields}, True)
    stderr.print(f"[red]error:[/red] {message}")
    return 2
