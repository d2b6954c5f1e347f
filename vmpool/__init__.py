"""QEMU VMs for kernel runs: a pool that boots, leases, health-checks and recycles them.

`Pool.run(RunRequest) -> RunResult` is the API: boot (or reuse) a VM of the
request's kernel, run the reproducer, say what happened. Plain asyncio, no Ray
(actors/platforms/vm_pool_actor.py is the Ray face).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from kgym.log import get_logger
from kgym.models import RunOutcome, RunRequest, RunResult
from kgym.platform import CrashDetector
from kgym.settings import Settings
from kgym.settings import settings as default_settings
from vmpool import runner
from vmpool.accel import Accel, accelerator
from vmpool.image import GuestImage, ImageError, build_image
from vmpool.qemu import BootError, Vm
from vmpool.reproducer import ReproducerError, prepare

log = get_logger("vmpool")


def _kernel_key(bzimage: str) -> tuple[str, int, int]:
    """Which kernel a VM runs: the same path with the same size and mtime."""
    st = Path(bzimage).stat()
    return (str(Path(bzimage).resolve()), st.st_size, st.st_mtime_ns)


class Pool:
    """At most `settings.vm_pool_size` VMs; idle ones are reused for the same kernel.

    `detector` tells whether console text holds a crash report (the crash parser's
    `contains_crash`, handed in by the platform: the pool does not import the parser).
    """

    def __init__(self, settings: Settings | None, detector: CrashDetector) -> None:
        self.settings = settings or default_settings()
        self.detector = detector
        self.size = self.settings.vm_slots()
        self._vms: set[Vm] = set()  # every live VM, leased or idle
        self._idle: list[Vm] = []
        self._slots = 0  # VMs alive or booting
        self._cond = asyncio.Condition()
        self._image: GuestImage | None = None
        self._accel: Accel | None = None
        self._closed = False

    async def accelerator(self) -> Accel:
        if self._accel is None:
            self._accel = await accelerator(self.settings)
        return self._accel

    async def image(self) -> GuestImage:
        if self._image is None:
            self._image = await asyncio.to_thread(build_image, self.settings.home)
        return self._image

    @contextlib.asynccontextmanager
    async def lease(self, bzimage: str) -> AsyncIterator[Vm]:
        """A booted, healthy VM running `bzimage`; back to the pool afterwards if still
        reusable, else killed. Raises BootError if a new VM would not boot."""
        vm = await self._acquire(bzimage)
        keep = False
        try:
            yield vm
            keep = vm.reusable and not vm.exited and not self._closed
        finally:
            await self._release(vm, keep)

    async def _acquire(self, bzimage: str) -> Vm:
        key = _kernel_key(bzimage)
        while True:
            if self._closed:
                raise RuntimeError("the VM pool is closed")
            idle, evict = None, None
            async with self._cond:
                while True:
                    idle = next((v for v in self._idle if v.kernel_key == key), None)
                    if idle is not None:
                        self._idle.remove(idle)
                        break
                    if self._slots < self.size:
                        self._slots += 1
                        break
                    if self._idle:  # a slot held by an idle VM of another kernel
                        evict = self._idle.pop(0)
                        break
                    await self._cond.wait()
            if evict is not None:
                await self._discard(evict)
                continue
            if idle is not None:
                if await idle.healthy():
                    return idle
                log.info("vm.unhealthy", vm=idle.id)
                await self._discard(idle)
                continue
            return await self._boot(bzimage, key)

    async def _boot(self, bzimage: str, key: tuple[str, int, int]) -> Vm:
        try:
            vm = await Vm.boot(
                bzimage,
                await self.image(),
                await self.accelerator(),
                self.settings.runs_dir / "vms",
                self.detector,
                memory_mb=self.settings.vm_memory_mb,
                cpus=self.settings.vm_cpus,
                timeout_s=self.settings.boot_timeout_s,
            )
        except BaseException:
            await self._free_slot()
            raise
        vm.kernel_key = key
        self._vms.add(vm)
        if self._closed:
            await self._discard(vm)
            raise RuntimeError("the VM pool was closed while a VM booted")
        return vm

    async def _release(self, vm: Vm, keep: bool) -> None:
        if not keep:
            await self._discard(vm)
            return
        async with self._cond:
            self._idle.append(vm)
            self._cond.notify_all()

    async def _discard(self, vm: Vm) -> None:
        self._vms.discard(vm)
        try:
            await vm.close()
        finally:
            await self._free_slot()

    async def _free_slot(self) -> None:
        async with self._cond:
            self._slots -= 1
            self._cond.notify_all()

    async def run(self, request: RunRequest) -> RunResult:
        """Boot (or reuse) a VM of `request.bzimage`, run the reproducer, say what happened.
        The console log is kept under settings.runs_dir; `report` is left for the parser."""
        run_dir = self._run_dir(request.run_id)
        rlog = log.bind(run_id=request.run_id) if request.run_id else log
        try:
            accel = await self.accelerator()
        except OSError as e:
            return RunResult(outcome=RunOutcome.INFRA_ERROR, message=f"accelerator probe: {e}")
        result = RunResult(outcome=RunOutcome.INFRA_ERROR, accelerator=accel)
        if not Path(request.bzimage).is_file():
            result.message = f"{request.bzimage}: bzImage not found"
            return result
        try:
            prepared = await prepare(
                request.reproducer, request.reproducer_dir, self.settings.home / "repros"
            )
            async with self.lease(request.bzimage) as vm:
                vm.runs += 1
                result.boot_s = vm.boot_s if vm.runs == 1 else 0.0
                result.booted = True
                if vm.runs == 1:
                    result.boot_warnings = await runner.boot_warnings(vm, run_dir / "boot.dmesg")
                rlog.info("repro.start", vm=vm.id, reused=vm.runs > 1, accel=accel)
                outcome = await runner.run(
                    vm, prepared, request.reproducer, run_dir / "reproducer.out"
                )
                result.outcome, result.run_s = outcome.outcome, outcome.run_s
                result.message, result.exit_code = outcome.message, outcome.exit_code
                result.console_log = str(vm.console.save(run_dir / "console.log", outcome.note))
        except BootError as e:
            result.outcome, result.message = e.outcome, e.message
            if e.console is not None:
                result.console_log = str(e.console.save(run_dir / "console.log"))
        except (ReproducerError, ImageError) as e:
            result.message = str(e)
        rlog.info("repro.result", outcome=result.outcome.value, boot_s=result.boot_s,
                  run_s=result.run_s, message=result.message)  # fmt: skip
        return result

    def _run_dir(self, run_id: str) -> Path:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", run_id)[:80] or "run"
        return self.settings.runs_dir / name / uuid.uuid4().hex[:8]

    def counts(self) -> dict[str, int]:
        """How many VMs are alive, idle and leased right now."""
        live, idle = len(self._vms), len(self._idle)
        return {"live": live, "idle": idle, "leased": live - idle}

    async def close(self) -> None:
        """Kill every VM (idle or leased); the pool cannot be used afterwards."""
        self._closed = True
        vms = list(self._vms)
        self._vms.clear()
        self._idle.clear()
        await asyncio.gather(*(vm.close() for vm in vms), return_exceptions=True)

    async def __aenter__(self) -> Pool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["BootError", "Pool", "Vm"]
