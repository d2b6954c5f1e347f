"""structlog, configured once: pretty on a TTY, JSON lines otherwise, on stderr.

Every long operation logs events with a `run_id` bound; those also go to the
run's event stream (kgym/events.py), which the trace viewer, the CLI progress
display and the benchmark report read. Commands that draw their own progress
from that stream raise `stderr_level` so the raw lines do not repeat it.
"""

from __future__ import annotations

import logging
import sys

import structlog

from kgym import events

_configured = False
_stderr_level = logging.INFO


class _Stderr:
    """Whatever sys.stderr is when a line is written (tests swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def set_stderr_level(level: int) -> None:
    """Print only events at `level` or above on stderr (the run stream still gets all)."""
    global _stderr_level
    _stderr_level = level


def _stderr_filter(_logger: object, method: str, event_dict: dict) -> dict:
    if logging.getLevelNamesMapping().get(method.upper(), logging.INFO) < _stderr_level:
        raise structlog.DropEvent
    return event_dict


def configure(json: bool | None = None, level: int = logging.INFO) -> None:
    """Configure structlog for this process (idempotent). Logs go to stderr."""
    global _configured
    if _configured:
        return
    if json is None:
        json = not sys.stderr.isatty()
    renderer = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=True)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            events.to_run_stream,
            _stderr_filter,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str | None = None, **bound: object) -> structlog.stdlib.BoundLogger:
    configure()
    logger = structlog.get_logger(name)
    return logger.bind(component=name, **bound) if name else logger.bind(**bound)
