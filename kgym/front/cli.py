"""The `kgym` command: one subcommand per module in `kgym.front.commands`.

Each command module has `add_arguments(parser)` and `run(args) -> int`
(or `async def run`). With `--json` a command prints exactly one JSON
object per result on stdout; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys

from kgym import log
from kgym.platform import PlatformUnavailable

COMMANDS = {
    "repro": "reproduce a bug's crash on its buggy kernel",
    "verify": "judge a patch: apply, build, boot, run the reproducer R times",
    "parse": "turn console logs into syzbot-style crash reports",
    "fix": "run the repair agent on a bug",
    "bench": "kBench records, suites, benchmark runs and reports",
    "serve": "REST API and live trace viewer",
    "trace": "show an agent run's trace events",
    "seed": "give this node its first warm tree: copy another KGYM_HOME's",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgym", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = _command_module(name)
        if module is None:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(p)
        p.set_defaults(_module=module)
    return parser


def _command_module(name: str):
    try:
        return importlib.import_module(f"kgym.front.commands.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"kgym.front.commands.{name}":
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    log.configure(json=getattr(args, "json", False) or None)
    try:
        result = args._module.run(args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)  # Ctrl-C cancels it: builds and VMs are reaped
    except KeyboardInterrupt:
        sys.stderr.write("\nkgym: interrupted\n")
        return 130
    except PlatformUnavailable as e:  # e.g. --ray with no kgym node, or other settings
        from kgym.front.commands.common import fail

        return fail(str(e), getattr(args, "json", False))
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
