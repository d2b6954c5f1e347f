"""Live progress on stderr, drawn from a run's event stream (kgym/events.py), one
line per shown event (kgym/narrate.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console

from kgym import events
from kgym.narrate import describe


@contextmanager
def progress(run_id: str, console: Console, enabled: bool = True) -> Iterator[None]:
    """While the block runs, print a line for each shown event of `run_id`."""
    if not enabled:
        yield
        return

    def show(record: dict[str, Any]) -> None:
        if record.get("run_id") != run_id:
            return
        line = describe(record)
        if line:
            console.print(f"[dim]{record.get('node', '?'):>12}[/dim] {line}", highlight=False)

    with events.listening(show):
        yield
