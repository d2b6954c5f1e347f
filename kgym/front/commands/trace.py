"""`kgym trace RUN_ID`: an agent run's trace events as a timeline; `--follow` tails it live."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.markup import escape

from kgym.events import EVENT_KEYS
from kgym.front.commands.common import fail
from kgym.rundir import check_run_id, follow, read_events, summarize
from kgym.settings import settings

WIDTH = 120  # characters shown of each field's value
GOOD = {"resolved", "True"}  # field values shown green; other outcomes red


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_id", metavar="RUN_ID", help="a run under $KGYM_HOME/runs")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    parser.add_argument("--json", action="store_true", help="print the events as JSON lines")


async def run(args: argparse.Namespace) -> int:
    runs_dir = settings().runs_dir
    try:
        run_dir = runs_dir / check_run_id(args.run_id)
    except ValueError as e:
        return fail(str(e), args.json)
    if not (run_dir / "events.jsonl").is_file():
        return fail(f"no run {args.run_id!r} (no trace under {runs_dir})", args.json)
    show = _print_json if args.json else Timeline().show
    events = read_events(run_dir)
    if not args.follow or summarize(run_dir, events)["status"] != "running":
        for event in events:
            show(event)
        return 0
    try:
        async for event in follow(run_dir / "events.jsonl"):
            show(event)
    except KeyboardInterrupt:
        pass
    return 0


def _print_json(event: dict) -> None:
    sys.stdout.write(json.dumps(event, default=str) + "\n")
    sys.stdout.flush()


class Timeline:
    """Prints events one per line: time since the first, node, hypothesis, event, numbers."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False, soft_wrap=True)
        self.t0: float | None = None

    def show(self, event: dict) -> None:
        ts = event.get("ts") or 0.0
        self.t0 = ts if self.t0 is None else self.t0
        duration = event.get("duration_s")
        tokens = (event.get("input_tokens") or 0) + (event.get("output_tokens") or 0)
        name = str(event.get("event"))
        style = "bold" if name in ("run.start", "run.end", "verdict", "result") else ""
        self.console.print(
            f"[dim]{ts - self.t0:>+9.1f}s[/dim] "
            f"[cyan]{escape(str(event.get('node'))):>9}[/cyan] "
            f"[magenta]{escape(event.get('hypothesis') or '-'):<5}[/magenta] "
            f"[{style or 'default'}]{escape(name):<28}[/] "
            f"{f'{duration:.2f}s' if duration is not None else '':>9} "
            f"{f'{tokens} tok' if tokens else '':>9}  " + _fields(event)
        )


def _fields(event: dict) -> str:
    """The event's own fields (beyond the common keys), short, coloured by verdict."""
    parts = []
    for key, value in event.items():
        if key in EVENT_KEYS:
            continue
        if isinstance(value, float):
            value = round(value, 3)
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        text = text.replace("\n", " ⏎ ")
        text = escape(text if len(text) <= WIDTH else text[:WIDTH] + "…")
        if key in ("outcome", "resolved", "ok"):
            text = f"[{'green' if str(value) in GOOD else 'red'}]{text}[/]"
        elif key == "error":
            text = f"[red]{text}[/red]"
        parts.append(f"[dim]{key}=[/dim]{text}")
    return " ".join(parts)
