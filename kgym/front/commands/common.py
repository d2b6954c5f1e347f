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
        help="use the platform on every kgym node of the Ray cluster at RAY_ADDRESS "
        "(else a local one-node cluster)",
    )


def load_bug(arg: str) -> BugSpec:
    from bench.suites import resolve_bug

    return resolve_bug(arg)


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
