"""`kgym serve`: the REST API, the live trace viewer and the job runner, over HTTP."""

from __future__ import annotations

import argparse

from aiohttp import web

from kgym.front.commands.common import stderr
from kgym.front.service.app import make_app
from kgym.settings import settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")


def run(args: argparse.Namespace) -> int:
    s = settings()
    stderr.print(f"kgym serve: http://{args.host}:{args.port}/ (runs in {s.runs_dir})")
    try:
        web.run_app(make_app(s), host=args.host, port=args.port, print=None)
    except OSError as e:
        stderr.print(f"[red]error:[/red] cannot listen on {args.host}:{args.port}: {e}")
        return 2
    return 0
