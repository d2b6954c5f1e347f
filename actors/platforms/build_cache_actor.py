"""The Ray face of BuildCache: one actor per build host, owning its trees and store."""

from __future__ import annotations

import ray

from actors.build_cache import BuildCache
from kgym.models import BuildRequest, BuildResult
from kgym.settings import Settings


@ray.remote(num_cpus=0)
class BuildCacheActor:
    """Builds kernels on its node; concurrent calls share warm trees and dedup identical builds."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.cache = BuildCache(settings)

    async def build(self, request: BuildRequest) -> BuildResult:
        return await self.cache.build(request)

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        return await self.cache.compile_check(request, files)

    async def checkout(self, request: BuildRequest) -> str:
        return await self.cache.checkout(request)

    def node_id(self) -> str:
        """The node this actor (and so the artifact store) lives on."""
        return ray.get_runtime_context().get_node_id()
