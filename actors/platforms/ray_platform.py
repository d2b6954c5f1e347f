"""The Platform over Ray actor handles: what `ray job submit` and clusters use.

One build cache, one VM pool and one crash parser per cluster, as named,
detached actors in the `kgym` namespace: every job reuses their warm trees,
artifact store and VMs. The VM pool is placed on the build cache's node, so the
kernels it boots are on its disk (DESIGN.md: big blobs travel as paths).
"""

from __future__ import annotations

import os

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from actors.platforms.build_cache_actor import BuildCacheActor
from actors.platforms.crash_parser_actor import CrashParserActor
from actors.platforms.vm_pool_actor import VmPoolActor
from kgym import events
from kgym.models import (
    BuildRequest,
    BuildResult,
    CodeAnswer,
    CodeQuery,
    CrashReport,
    HistoryAnswer,
    HistoryQuery,
    RunRequest,
    RunResult,
    StyleReport,
    Submission,
)
from kgym.settings import Settings

NAMESPACE = "kgym"


def init_ray() -> None:
    """Join the cluster at RAY_ADDRESS (as `ray job submit` sets it), else start a local one."""
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), namespace=NAMESPACE)


def _named(actor_class, name: str, *args, **options):
    """The cluster's actor called `name`, created with `args` if there is none yet."""
    return actor_class.options(
        name=name, namespace=NAMESPACE, get_if_exists=True, lifetime="detached", **options
    ).remote(*args)


class RayPlatform:
    """kgym.platform.Platform through the platform's actors."""

    def __init__(self, builds, vms, parser) -> None:
        self.builds, self.vms, self.parser = builds, vms, parser

    @classmethod
    def connect(cls, settings: Settings | None = None) -> RayPlatform:
        """Find (or start, with `settings`) the platform's actors on the current cluster."""
        init_ray()
        builds = _named(BuildCacheActor, "kgym-build-cache", settings)
        node = ray.get(builds.node_id.remote())
        same_node = NodeAffinitySchedulingStrategy(node_id=node, soft=False)
        vms = _named(VmPoolActor, "kgym-vm-pool", settings, scheduling_strategy=same_node)
        parser = _named(CrashParserActor, "kgym-crash-parser", scheduling_strategy=same_node)
        return cls(builds, vms, parser)

    async def build(self, request: BuildRequest) -> BuildResult:
        return await _call(self.builds.build, request)

    async def checkout(self, request: BuildRequest) -> str:
        return await _call(self.builds.checkout, request)

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        return await _call(self.builds.compile_check, request, files)

    async def run(self, request: RunRequest) -> RunResult:
        result: RunResult = await _call(self.vms.run, request)
        if result.console_log:
            result.report = await _call(self.parser.parse_file, result.console_log, request.vmlinux)
        return result

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        return await _call(self.parser.parse, console_log, vmlinux)

    async def code(self, request: BuildRequest, query: CodeQuery) -> CodeAnswer:
        return await _call(self.builds.code, request, query)

    async def history(self, request: BuildRequest, query: HistoryQuery) -> HistoryAnswer:
        return await _call(self.builds.history, request, query)

    async def checkpatch(self, request: BuildRequest, patch: str) -> StyleReport:
        return await _call(self.builds.checkpatch, request, patch)

    async def maintainers(self, request: BuildRequest, patch: str) -> list[str]:
        return await _call(self.builds.maintainers, request, patch)

    async def format_patch(self, request: BuildRequest, submission: Submission) -> str:
        return await _call(self.builds.format_patch, request, submission)

    async def close(self) -> None:
        """The actors outlive this handle: they keep their caches for the next job."""


async def _call(method, *args):
    """Call an actor method with this task's event context; its events join the run's stream."""
    result, records = await method.remote(*args, events.current_context())
    events.replay(records)
    return result
