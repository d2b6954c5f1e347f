"""The Ray face of vmpool.Pool: one actor per kgym node, with the node's crash parser.

The parser lives in the pool's process: a run's console log is read where it
was written, in a thread, while other runs go on. Each call carries the
caller's event context and returns its events with the result.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import ray

from actors.crash_parser import CrashParser, contains_crash
from actors.platforms.events import log_parsed
from actors.platforms.node_settings import node_context, platform_view
from kgym.events import remote_call
from kgym.models import CrashReport, RunRequest, RunResult
from kgym.settings import Settings, load_settings
from vmpool import Pool


@ray.remote(num_cpus=0)
class VmPoolActor:
    """Runs reproducers in VMs on its node; concurrent calls share the pool's VMs.

    Without `settings` it reads the node's own (the environment of its `ray start`).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.pool = Pool(self.settings, contains_crash)
        self.parser = CrashParser()
        self.node = ray.get_runtime_context().get_node_id()
        self.busy = 0

    async def run(
        self, request: RunRequest, context: dict | None = None
    ) -> tuple[RunResult, list[dict]]:
        self.busy += 1
        try:
            with remote_call(node_context(context, self.node)) as records:
                result = await self.pool.run(request)
                if result.console_log and Path(result.console_log).is_file():
                    started = time.monotonic()
                    result.report = await asyncio.to_thread(
                        self.parser.parse_file, result.console_log, request.vmlinux
                    )
                    log_parsed(result.report, time.monotonic() - started)
        finally:
            self.busy -= 1
        return result.model_copy(update={"node": self.node}), records

    async def parse(
        self, console_log: str | bytes, vmlinux: str | None = None, context: dict | None = None
    ) -> tuple[CrashReport, list[dict]]:
        with remote_call(node_context(context, self.node)) as records:
            report = await asyncio.to_thread(self.parser.parse, console_log, vmlinux)
        return report, records

    async def status(self) -> dict:
        return {"runs": self.busy, "vm_slots": self.pool.size}

    def settings_view(self) -> dict[str, str]:
        return platform_view(self.settings)

    async def accelerator(self) -> str:
        return await self.pool.accelerator()

    async def close(self) -> None:
        await self.pool.close()
