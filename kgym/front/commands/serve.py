"""`kgym serve`: the REST API, the live trace viewer and the job runner, over HTTP.

Requests that start, cancel or answer work need the token in
`$KGYM_HOME/service-token` (created with mode 0600, printed once here). The
service listens on 127.0.0.1 unless told otherwise; `--no-token` is refused on
any address other machines can reach.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from kgym.front.commands.common import stderr
from kgym.front.service.app import make_app
from kgym.front.service.auth import is_loopback, load_or_create_token, token_path
from kgym.settings import settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")
    parser.add_argument(
        "--no-token",
        action="store_true",
        help="let anyone who reaches the port start and cancel jobs (loopback addresses only)",
    )


def run(args: argparse.Namespace) -> int:
    s = settings()
    if args.no_token and not is_loopback(args.host):
        stderr.print(
            f"[red]error:[/red] refusing to listen on {args.host} without a token: anyone "
            "who reaches it could start jobs; drop --no-token or listen on 127.0.0.1"
        )
        return 2
    token = "" if args.no_token else load_or_create_token(s.home)
    stderr.print(f"kgym serve: http://{args.host}:{args.port}/ (runs in {s.runs_dir})")
    if token:
        stderr.print(f"token (in {token_path(s.home)}): {token}")
    try:
        web.run_app(make_app(s, token), host=args.host, port=args.port, print=None)
    except OSError as e:
        stderr.print(f"[red]error:[/red] cannot listen on {args.host}:{args.port}: {e}")
        return 2
    return 0
