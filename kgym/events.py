"""One event stream per run (DESIGN.md rule 5).

Every structlog event that carries a `run_id` (bound on the logger, or in the
context with `run_context`) becomes one trace record: a JSON line appended to
the run's `events.jsonl`, and a call to each in-process listener (the CLI's live
progress). Build stages, VM boots, reproducer runs, parsing, agent nodes and LLM
calls all go through here, so the trace viewer, the CLI and the benchmark report
read one stream.

Inside a Ray actor, `capture()` collects the records of one call instead of
writing them on the actor's node; the caller hands them to `replay()`, which
writes them into the run's file on the caller's side.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import structlog

EVENTS_FILE = "events.jsonl"

# The keys every record has (others may follow): which run, which part of it
# (a graph node, or a platform component such as "build_cache"), which
# hypothesis, what happened, when, how long it took, what it cost.
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
Sink = Callable[[dict[str, Any]], None]

_NOT_FIELDS = {"level", "timestamp", "component", "exc_info"}
_run_dirs: dict[str, Path] = {}
_listeners: list[Listener] = []
_lock = threading.Lock()
_sink: ContextVar[Sink | None] = ContextVar("kgym_event_sink", default=None)
_default_runs_dir: Path | None = None


def set_runs_dir(path: Path) -> None:
    """Where runs without an explicit directory keep their events (`settings.runs_dir`)."""
    global _default_runs_dir
    _default_runs_dir = Path(path)


def open_run(run_id: str, run_dir: Path) -> Path:
    """Send the events of `run_id` to `run_dir/events.jsonl` (created); returns that path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    _run_dirs[run_id] = run_dir
    return run_dir / EVENTS_FILE


def run_dir_of(run_id: str) -> Path:
    """The directory of `run_id`'s events: registered with `open_run`, else the default."""
    if run_id in _run_dirs:
        return _run_dirs[run_id]
    if _default_runs_dir is None:
        from kgym.settings import settings

        set_runs_dir(settings().runs_dir)
    assert _default_runs_dir is not None
    return _default_runs_dir / run_id


def add_listener(listener: Listener) -> None:
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """`listener` gets every record of this process while the block runs."""
    add_listener(listener)
    try:
        yield
    finally:
        remove_listener(listener)


@contextmanager
def run_context(run_id: str, **fields: Any) -> Iterator[None]:
    """Every event logged in this block (this task and what it awaits) carries
    `run_id` and `fields` (e.g. `hypothesis`)."""
    if not run_id:
        yield
        return
    with structlog.contextvars.bound_contextvars(run_id=run_id, **fields):
        yield


@contextmanager
def capture() -> Iterator[list[dict[str, Any]]]:
    """Collect this block's records in a list instead of writing them (Ray faces)."""
    records: list[dict[str, Any]] = []
    token = _sink.set(records.append)
    try:
        yield records
    finally:
        _sink.reset(token)


def replay(records: list[dict[str, Any]]) -> None:
    """Write records captured elsewhere (another process or node) into their runs."""
    for record in records:
        _deliver(record)


def emit(run_id: str, node: str, event: str, **fields: Any) -> dict[str, Any]:
    """Record one event directly (not through a logger); returns the record."""
    record = make_record({"run_id": run_id, "node": node, "event": event, **fields})
    _deliver(record)
    return record


def make_record(fields: dict[str, Any]) -> dict[str, Any]:
    """A trace record from an event's fields: the EVENT_KEYS first, then the rest."""
    record: dict[str, Any] = {
        "run_id": fields.get("run_id"),
        "node": fields.get("node") or fields.get("component") or "?",
        "hypothesis": fields.get("hypothesis"),
        "event": fields.get("event"),
        "ts": fields.get("ts") or round(time.time(), 3),
        "duration_s": fields.get("duration_s"),
        "input_tokens": fields.get("input_tokens") or 0,
        "output_tokens": fields.get("output_tokens") or 0,
        "cost_usd": fields.get("cost_usd") or 0.0,
    }
    for key, value in fields.items():
        if key not in record and key not in _NOT_FIELDS:
            record[key] = value
    return record


def to_run_stream(_logger: object, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: an event with a run id also goes to that run's stream."""
    if event_dict.get("run_id"):
        _deliver(make_record(event_dict))
    return event_dict


def _deliver(record: dict[str, Any]) -> None:
    sink = _sink.get()
    if sink is not None:
        sink(record)
        return
    _append(record)
    for listener in list(_listeners):
        listener(record)


def _append(record: dict[str, Any]) -> None:
    path = run_dir_of(str(record["run_id"])) / EVENTS_FILE
    line = json.dumps(record, default=str) + "\n"
    with _lock:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(line)


# --- across process boundaries (Ray actors) ----------------------------------

_CARRIED = ("run_id", "hypothesis")


def current_context() -> dict[str, Any]:
    """The run id (and hypothesis) bound here, to send along with a remote call."""
    bound = structlog.contextvars.get_contextvars()
    return {k: bound[k] for k in _CARRIED if bound.get(k)}


@contextmanager
def remote_call(context: dict[str, Any] | None) -> Iterator[list[dict[str, Any]]]:
    """On the remote side of a call: bind the caller's `context` and capture this call's
    records, which go back to the caller with the result (see `replay`)."""
    context = dict(context or {})
    with run_context(context.pop("run_id", ""), **context), capture() as records:
        yield records
