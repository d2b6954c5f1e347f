"""Run a reproducer on a booted VM while watching its console; say what happened."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import asyncssh

from kgym import quality
from kgym.log import get_logger
from kgym.models import ReproducerSpec, RunOutcome
from vmpool.qemu import Vm
from vmpool.reproducer import GUEST_PATH, Prepared

CRASH_SILENCE_S = 5.0  # a crash report is complete after this much console silence
CRASH_MAX_WAIT_S = 60.0
LOST_GRACE_S = 10.0  # after SSH breaks, how long a crash report may take to appear
SETTLE_S = 3.0  # after the last run, how long a late report may take to start
SILENT_HANG_S = 10.0
COPY_TIMEOUT_S = 120.0
KMEMLEAK = "/sys/kernel/debug/kmemleak"
KMEMLEAK_TIMEOUT_S = 600.0
OUTPUT_CAP = 1 << 20
DMESG_TIMEOUT_S = 30.0
_POLL_S = 0.25

log = get_logger("vmpool.runner")


class Event(Enum):
    DONE = "done"
    CRASH = "crash"
    LOST = "lost"
    TIMEOUT = "timeout"


@dataclass
class Result:
    outcome: RunOutcome
    run_s: float
    message: str = ""
    note: bytes = b""  # appended to the saved console log (a kmemleak report)
    exit_code: int | None = None  # the reproducer's, in its last completed repeat


class _Watch:
    """Console watcher: has a crash report started since `offset`?"""

    def __init__(self, vm: Vm) -> None:
        self.vm = vm
        self.offset = len(vm.console.data)
        self._seen = self.offset
        self._crashed = False

    def crashed(self) -> bool:
        size = len(self.vm.console.data)
        if not self._crashed and size != self._seen:
            self._seen = size
            self._crashed = self.vm.detector(self.vm.console.since(self.offset))
        return self._crashed

    async def until(self, task: asyncio.Task, timeout_s: float) -> Event:
        """Wait for `task` (an SSH command) while watching; cancel it on any other event."""
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                if self.crashed():
                    return Event.CRASH
                if task.done():
                    return Event.LOST if task.exception() else Event.DONE
                if self.vm.exited:
                    return Event.LOST
                if time.monotonic() >= deadline:
                    return Event.TIMEOUT
                await asyncio.wait([task], timeout=_POLL_S)
        finally:
            if not task.done():
                task.cancel()

    async def crash_complete(self) -> None:
        """Wait until QEMU exits (panic) or the console falls silent after the report."""
        deadline = time.monotonic() + CRASH_MAX_WAIT_S
        while time.monotonic() < deadline and self.vm.console.silent_for() < CRASH_SILENCE_S:
            if await self.vm.wait_exit(_POLL_S):
                return

    async def crash_after_loss(self) -> bool:
        """SSH broke or QEMU exited: did a crash report appear (and complete)?"""
        deadline = time.monotonic() + LOST_GRACE_S
        while time.monotonic() < deadline and not self.crashed():
            if self.vm.console.eof:
                break
            await self.vm.wait_exit(_POLL_S)
        if self.crashed():
            await self.crash_complete()
            return True
        return False

    async def settle(self, already_s: float) -> None:
        """Give a late report SETTLE_S to start after the reproducer returned
        (`already_s` of which have passed)."""
        deadline = time.monotonic() + SETTLE_S - already_s
        while time.monotonic() < deadline and not self.crashed() and not self.vm.exited:
            await asyncio.sleep(_POLL_S)


def _output(result: asyncssh.SSHCompletedProcess) -> bytes:
    return ((result.stdout or b"") + (result.stderr or b""))[-OUTPUT_CAP:]


def _why(task: asyncio.Task) -> str:
    exc = task.exception() if task.done() and not task.cancelled() else None
    return f"{type(exc).__name__}: {exc}" if exc else "QEMU exited"


class _Run:
    """One reproducer run on one VM."""

    def __init__(self, vm: Vm, prepared: Prepared, spec: ReproducerSpec, output: Path) -> None:
        self.vm, self.prepared, self.spec, self.output = vm, prepared, spec, output
        self.watch = _Watch(vm)
        self.start = time.monotonic()
        self.exit_code: int | None = None

    def result(self, outcome: RunOutcome, message: str = "", note: bytes = b"") -> Result:
        return Result(outcome, time.monotonic() - self.start, message, note, self.exit_code)

    async def crashed(self) -> Result:
        await self.watch.crash_complete()
        return self.result(RunOutcome.CRASHED)

    async def lost(self, what: str) -> Result:
        if await self.watch.crash_after_loss():
            return self.result(RunOutcome.CRASHED)
        if fault := await self.vm.host_fault():  # QEMU killed or failing: not the kernel's doing
            return self.result(RunOutcome.INFRA_ERROR, f"{fault} ({what})")
        return self.result(RunOutcome.LOST_CONNECTION, what)

    async def command(
        self, command: str, timeout_s: float, **kw: object
    ) -> tuple[asyncio.Task, Event]:
        """Start `command` in the guest and watch until it ends (or something else does)."""
        conn = await self.vm.ssh()
        task = asyncio.create_task(conn.run(command, check=False, encoding=None, **kw))
        return task, await self.watch.until(task, timeout_s)

    async def __call__(self) -> Result:
        try:
            return await self._steps()
        except (ConnectionError, asyncssh.Error, TimeoutError) as e:
            return await self.lost(f"SSH failed: {type(e).__name__}: {e}")

    async def _steps(self) -> Result:
        setup = f"cat > {GUEST_PATH} && chmod +x {GUEST_PATH}"
        if self.spec.leak_check and not self.vm.leak_baseline:  # boot's leaks are not ours
            setup += (
                f"; if [ -e {KMEMLEAK} ]; then echo scan > {KMEMLEAK}; echo clear > {KMEMLEAK}; fi"
            )
        task, event = await self.command(setup, COPY_TIMEOUT_S, input=self.prepared.data)
        if event is Event.CRASH:
            return await self.crashed()
        if event is not Event.DONE or task.result().exit_status != 0:
            return await self.lost(f"copying the reproducer failed ({event.value})")
        self.vm.leak_baseline = self.vm.leak_baseline or self.spec.leak_check

        self.output.parent.mkdir(parents=True, exist_ok=True)
        with self.output.open("ab") as out:
            for i in range(1, self.spec.repeats + 1):
                task, event = await self.command(f"cd /tmp && {self.prepared.command}",
                                                 self.spec.timeout_s)  # fmt: skip
                if event is Event.DONE:
                    self.exit_code = task.result().exit_status
                    out.write(b"=== run %d: exit %r\n" % (i, self.exit_code))
                    out.write(_output(task.result()))
                elif event is Event.CRASH:
                    return await self.crashed()
                elif event is Event.LOST:
                    return await self.lost(f"connection lost during run {i}: {_why(task)}")
                else:
                    return await self.timed_out(i)
        if self.spec.leak_check:
            return await self.leak_check()
        await self.watch.settle(0.0)
        if self.watch.crashed():
            return await self.crashed()
        if self.vm.exited:
            return await self.lost("the guest went down after the reproducer returned")
        return self.result(RunOutcome.NO_CRASH)

    async def timed_out(self, i: int) -> Result:
        """The reproducer outlived its time: a live guest means timeout, a dead one not."""
        healthy = await self.vm.healthy()
        if self.watch.crashed():
            return await self.crashed()
        if healthy:
            return self.result(
                RunOutcome.TIMEOUT, f"run {i} still running after {self.spec.timeout_s:g} s"
            )
        if self.vm.console.silent_for() >= SILENT_HANG_S:
            return self.result(RunOutcome.NO_OUTPUT, "the guest stopped answering, silently")
        return await self.lost("the guest stopped answering")

    async def leak_check(self) -> Result:
        """syzkaller's way: scan twice, a few seconds apart; anything left is a leak."""
        scan = (
            f"if [ -e {KMEMLEAK} ]; then echo scan > {KMEMLEAK}; sleep 5; "
            f"echo scan > {KMEMLEAK}; cat {KMEMLEAK}; fi"
        )
        started = time.monotonic()
        task, event = await self.command(scan, KMEMLEAK_TIMEOUT_S)
        if event is Event.DONE:
            await self.watch.settle(time.monotonic() - started)
        if event is Event.CRASH or self.watch.crashed():
            return await self.crashed()
        if event is Event.LOST:
            return await self.lost(f"connection lost during the kmemleak scan: {_why(task)}")
        if event is Event.TIMEOUT:
            return self.result(RunOutcome.TIMEOUT, "the kmemleak scan did not finish")
        report = (task.result().stdout or b"").strip()
        if report:
            note = b"BUG: memory leak\n" + report + b"\n"
            return self.result(RunOutcome.CRASHED, "kmemleak found a leak", note)
        return self.result(RunOutcome.NO_CRASH)


async def boot_warnings(vm: Vm, save: Path) -> list[str] | None:
    """The warning-or-worse kernel messages of a fresh boot (`dmesg -r`, saved to
    `save`), normalised; None if the guest would not say."""
    try:
        conn = await vm.ssh()
        done = await asyncio.wait_for(
            conn.run("dmesg -r", check=False, encoding=None), DMESG_TIMEOUT_S
        )
    except (OSError, asyncssh.Error, TimeoutError):
        return None
    if done.exit_status != 0:
        return None
    raw = (done.stdout or b"").decode(errors="replace")
    save.parent.mkdir(parents=True, exist_ok=True)
    save.write_text(raw)
    return quality.boot_warnings(raw)


async def run(vm: Vm, prepared: Prepared, spec: ReproducerSpec, output: Path) -> Result:
    """Copy the reproducer in, run it `spec.repeats` times, check for leaks if the spec
    asks (`leak_check`: kmemleak scans take ~20 s under TCG). Guest trouble
    is the outcome, never an exception. `vm.reusable` is left True only after no_crash."""
    vm.reusable = False
    result = await _Run(vm, prepared, spec, output)()
    vm.reusable = result.outcome is RunOutcome.NO_CRASH
    log.info("repro.done", vm=vm.id, outcome=result.outcome.value, run_s=round(result.run_s, 2))
    return result
