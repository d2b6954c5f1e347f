"""Trace events: one schema for every node and platform call, stored per run.

Each event is one JSON line in `<runs_dir>/<run_id>/events.jsonl` and one
structlog event, with the keys of `EVENT_KEYS` (and any extra fields):
run_id, node, hypothesis, event, ts, duration_s, input_tokens, output_tokens,
cost_usd. Listeners (the CLI's live progress) get each event as a dict.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kgym.log import get_logger

EVENT_KEYS = (
    "run_id",
    "node",
    "hypothesis",
    "event",
    "ts",
    "duration_s",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)

Listener = Callable[[dict[str, Any]], None]


class Tracer:
    """Writes a run's trace events to its JSONL file, structlog and listeners."""

    def __init__(self, run_id: str, run_dir: Path, listeners: list[Listener] | None = None):
        self.run_id = run_id
        self.path = run_dir / "events.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.listeners = list(listeners or [])
        self._lock = threading.Lock()
        self._log = get_logger("agent", run_id=run_id)

    def event(self, node: str, event: str, hypothesis: str | None = None, **fields: Any) -> dict:
        """Record one event; returns it."""
        record = {
            "run_id": self.run_id,
            "node": node,
            "hypothesis": hypothesis,
            "event": event,
            "ts": round(time.time(), 3),
            "duration_s": None,
            "input_tokens": 0,
            "output_tokens": 0,
            "cost_usd": 0.0,
            **fields,
        }
        line = json.dumps(record, default=str)
        with self._lock, self.path.open("a") as f:
            f.write(line + "\n")
        skip = ("run_id", "node", "event")
        self._log.info(f"{node}.{event}", **{k: v for k, v in record.items() if k not in skip})
        for listener in self.listeners:
            listener(record)
        return record

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
            yield extra
        except BaseException as e:
            extra.setdefault("error", f"{type(e).__name__}: {e}")
            raise
        finally:
            duration = round(time.monotonic() - started, 3)
            self.event(node, f"{event}.end", hypothesis, **fields, **extra, duration_s=duration)


def read_events(run_dir: Path) -> list[dict]:
    """The events of a run, in order."""
    path = run_dir / "events.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
