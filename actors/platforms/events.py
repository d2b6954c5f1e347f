"""Platform-level events both platforms log the same way."""

from __future__ import annotations

from kgym.log import get_logger
from kgym.models import CrashReport

log = get_logger("crash_parser")


def log_parsed(report: CrashReport, seconds: float) -> None:
    """One `parse.end` event: what a run's console log was read as, and how long it took."""
    log.info("parse.end", crashed=report.crashed, title=report.title,
             corrupted=report.corrupted, duration_s=round(seconds, 3))  # fmt: skip
