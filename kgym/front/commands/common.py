"""What the platform commands share: the BUG argument, the platform, output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rich.console import Console

from actors.platforms.local_platform import LocalPlatform
from kgym.models import BugSpec
from kgym.platform import Platform

stderr = Console(stderr=True, soft_wrap=True)  # messages are never wrapped mid-sentence


def add_platform_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bug", metavar="BUG", help="a bug directory, SUITE/ID, or a bug id")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--ray",
        action="store_true",
        help="use the platform's Ray actors (a running cluster, or a local one)",
    )


def load_bug(arg: str) -> BugSpec:
    from bench.suites import resolve_bug

    return resolve_bug(arg)


@asynccontextmanager
async def open_platform(args: argparse.Namespace) -> AsyncIterator[Platform]:
    """The platform: in this process, or the Ray actors with `--ray`."""
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
