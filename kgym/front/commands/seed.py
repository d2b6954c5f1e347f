"""`kgym seed FROM_HOME`: give this node its first warm tree by copying another home's.

Copies FROM_HOME's sources, warm trees, artifact store and (unless --no-ccache)
ccache into $KGYM_HOME, rewriting the trees' build files to their new path, so
this node's first build is incremental instead of cold (~8 min on 2 cores).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from kgym.front.commands.common import emit, fail, stderr
from kgym.settings import settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, metavar="FROM_HOME", help="a warm KGYM_HOME")
    parser.add_argument("--tree", action="append", help="only this warm tree (trees/<name>)")
    parser.add_argument("--no-ccache", action="store_true", help="do not copy ccache")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from actors.build_cache.seed import PARTS, seed_home

    parts = tuple(p for p in PARTS if not (args.no_ccache and p == "ccache"))
    home = settings().home
    try:
        report = seed_home(args.source, home, trees=args.tree, parts=parts)
    except (ValueError, OSError) as e:
        return fail(str(e), args.json)
    emit({**asdict(report), "total_s": report.total_s, "home": str(home)}, args.json)
    if not args.json:
        stderr.print(
            f"seeded {home} from {args.source}: trees {', '.join(report.trees)}, "
            f"{len(report.artifacts)} kernels, in {report.total_s} s"
        )
    return 0
