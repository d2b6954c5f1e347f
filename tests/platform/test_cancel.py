"""A verification the caller cancels: the run in progress is abandoned, no other starts."""

from __future__ import annotations

import asyncio

import pytest

from kgym.judge import _Stop


async def test_a_run_in_progress_is_cancelled_when_the_event_is_set():
    cancel = asyncio.Event()
    started, finished = asyncio.Event(), []

    async def run():
        started.set()
        await asyncio.sleep(30)
        finished.append(True)

    task = asyncio.create_task(_Stop(cancel=cancel).unless_cancelled(run))
    await started.wait()
    cancel.set()
    assert await asyncio.wait_for(task, 5) is None
    assert not finished


async def test_no_run_starts_once_cancelled():
    cancel = asyncio.Event()
    cancel.set()
    starts = []

    async def run():
        starts.append(True)

    assert await _Stop(cancel=cancel).unless_cancelled(run) is None
    assert not starts


async def test_without_cancel_the_run_gives_its_result_and_errors():
    async def run():
        return "result"

    async def broken():
        raise RuntimeError("qemu died")

    assert await _Stop().unless_cancelled(run) == "result"
    assert await _Stop(cancel=asyncio.Event()).unless_cancelled(run) == "result"
    with pytest.raises(RuntimeError, match="qemu died"):
        await _Stop(cancel=asyncio.Event()).unless_cancelled(broken)


async def test_the_caller_being_cancelled_cancels_the_run():
    cancel = asyncio.Event()
    started, cancelled = asyncio.Event(), []

    async def run():
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    task = asyncio.create_task(_Stop(cancel=cancel).unless_cancelled(run))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled


async def test_an_abandoned_or_failed_run_still_ends_its_span():
    """The viewer draws a `vm.run.start` without its `.end` as still running."""
    import structlog

    from kgym.judge import _started_run

    class Platform:
        def __init__(self, fail: bool):
            self.fail = fail

        async def run(self, request):
            if self.fail:
                raise RuntimeError("vm pool gone")
            await asyncio.sleep(30)

    log = structlog.get_logger("judge")
    cancel = asyncio.Event()
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(
            _Stop(cancel=cancel).unless_cancelled(
                lambda: _started_run(Platform(False), None, 0, log)
            )
        )
        await asyncio.sleep(0.05)
        cancel.set()
        assert await asyncio.wait_for(task, 5) is None
        with pytest.raises(RuntimeError):
            await _started_run(Platform(True), None, 1, log)
    spans = [(e["event"], e["index"], e.get("outcome") or e.get("error")) for e in logs]
    assert spans == [
        ("vm.run.start", 0, None),
        ("vm.run.end", 0, "cancelled"),
        ("vm.run.start", 1, None),
        ("vm.run.end", 1, "RuntimeError: vm pool gone"),
    ]
