"""The agent's trace: graph nodes' events in the run's one event stream (kgym/events.py).

Each event is a record with the keys of `EVENT_KEYS` (and any extra fields):
run_id, node, hypothesis, event, ts, duration_s, input_tokens, output_tokens,
cost_usd. A span also binds its run id and hypothesis for everything awaited
inside it, so the platform's build and VM events land in the same stream,
attributed to the hypothesis they serve.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kgym import events
from kgym.events import EVENT_KEYS, Listener
from kgym.log import get_logger

__all__ = ["EVENT_KEYS", "Listener", "Tracer"]


class Tracer:
    """Writes a run's agent events into its stream; `listeners` get this run's records."""

    def __init__(self, run_id: str, run_dir: Path, listeners: list[Listener] | None = None):
        self.run_id = run_id
        self.path = events.open_run(run_id, run_dir)
        self.listeners = list(listeners or [])
        self._log = get_logger("agent", run_id=run_id)
        if self.listeners:
            events.add_listener(self._forward)

    def _forward(self, record: dict[str, Any]) -> None:
        if record.get("run_id") == self.run_id:
            for listener in self.listeners:
                listener(record)

    def close(self) -> None:
        events.remove_listener(self._forward)

    def event(self, node: str, event: str, hypothesis: str | None = None, **fields: Any) -> None:
        """Record one event of graph node `node`."""
        self._log.info(event, node=node, hypothesis=hypothesis, **fields)

    @contextmanager
    def span(
        self, node: str, event: str, hypothesis: str | None = None, **fields: Any
    ) -> Iterator[dict]:
        """Emit `<event>.start`, run the block, emit `<event>.end` with its duration.

        The block may add fields to the yielded dict (tokens, outcome...).
        """
        self.event(node, f"{event}.start", hypothesis, **fields)
        extra: dict[str, Any] = {}
        started = time.monotonic()
        try:
            with events.run_context(self.run_id, hypothesis=hypothesis):
                yield extra
        except BaseException as e:
            extra.setdefault("error", f"{type(e).__name__}: {e}")
            raise
        finally:
            duration = round(time.monotonic() - started, 3)
            self.event(node, f"{event}.end", hypothesis, **fields, **extra, duration_s=duration)
