"""The Ray face of vmpool.Pool: one actor per VM host (on a cluster: per KVM node).

Each call carries the caller's event context and returns its events with the result.
"""

from __future__ import annotations

import ray

from actors.crash_parser import contains_crash
from kgym.events import remote_call
from kgym.models import RunRequest, RunResult
from kgym.settings import Settings
from vmpool import Pool


@ray.remote(num_cpus=0)
class VmPoolActor:
    """Runs reproducers in VMs on its node; concurrent calls share the pool's VMs."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.pool = Pool(settings, contains_crash)

    async def run(
        self, request: RunRequest, context: dict | None = None
    ) -> tuple[RunResult, list[dict]]:
        with remote_call(context) as records:
            result = await self.pool.run(request)
        return result, records

    async def accelerator(self) -> str:
        return await self.pool.accelerator()

    async def close(self) -> None:
        await self.pool.close()
