"""The Platform over a Ray cluster: a platform on every kgym node, work placed by a scheduler.

Every node that offers the `kgym` resource runs its own build cache and VM pool
(actors/platforms/node.py), with that node's settings and disk. A unit of work
(kgym.judge: a build plus its runs) goes to one node, chosen by
actors/platforms/scheduler.py, and stays there: the kernels a pool boots are on
its own disk (DESIGN.md: big blobs travel as paths). Single calls go where they
fit: `build` and `compile_check` by locality, `run` to the node that built the
kernel, `checkout` to this process's node (the agent reads the tree here).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import ray

from actors.build_cache import BuildCache
from actors.platforms.node import (
    NAMESPACE,
    NODE_LOST,
    RESOURCE,
    Node,
    actor_names,
    with_tree_calls,
)
from actors.platforms.scheduler import Scheduler
from kgym.models import BuildRequest, BuildResult, CrashReport, Placement, RunRequest, RunResult
from kgym.platform import Platform
from kgym.settings import Settings

T = TypeVar("T")


def init_ray() -> None:
    """Join the cluster at RAY_ADDRESS (as `ray job submit` sets it), else start a local
    one whose only node offers the kgym resource."""
    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, namespace=NAMESPACE, configure_logging=False, log_to_driver=False)
    else:
        ray.init(
            namespace=NAMESPACE,
            resources={RESOURCE: 1},
            include_dashboard=False,
            configure_logging=False,
            log_to_driver=False,
        )


def _placed(name: str) -> Callable:
    async def call(self: RayPlatform, request: BuildRequest, *args: Any) -> Any:
        result, _ = await self.scheduler.unit(
            request, lambda node: getattr(node, name)(request, *args), kind=name
        )
        return result

    return call


@with_tree_calls(_placed)
class RayPlatform:
    """kgym.platform.Platform and kgym.platform.Scheduling over every kgym node. The
    TREE_CALLS each go to one node, placed as a unit of work (by locality)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self._kernels: dict[str, str] = {}  # bzimage / vmlinux path -> node id
        self._local: BuildCache | None = None  # checkouts on a driver that is no kgym node

    @classmethod
    def connect(
        cls, settings: Settings | None = None, node_settings: Settings | None = None
    ) -> RayPlatform:
        """Find (or start) the platform's actors on every kgym node of the cluster.

        `settings`: the caller's (retries); `node_settings`: used by every node instead
        of its own (tests on one machine). Raises SettingsMismatch if a node's actors
        exist with other settings, NoNodes if no node offers the kgym resource."""
        init_ray()
        scheduler = Scheduler(settings, node_settings)
        scheduler.refresh()
        return cls(scheduler)

    # --- units of work (kgym.platform.Scheduling) ---------------------------------------

    async def unit(
        self, request: BuildRequest, work: Callable[[Platform], Awaitable[T]], run_id: str = ""
    ) -> tuple[T, Placement]:
        async def on(node: Node) -> T:
            return await work(_Pinned(node, self._kernels))

        return await self.scheduler.unit(request, on, run_id=run_id, kind="unit")

    # --- single calls ---------------------------------------------------------------

    async def build(self, request: BuildRequest) -> BuildResult:
        result, _ = await self.scheduler.unit(
            request, lambda n: _Pinned(n, self._kernels).build(request), kind="build"
        )
        return result

    async def checkout(self, request: BuildRequest) -> str:
        """A tree this process can read: this node's kgym actor if it is a kgym node,
        else a build cache in this process (this process's KGYM_HOME)."""
        node = await asyncio.to_thread(self.scheduler.local)
        if node is not None:
            return await node.checkout(request)
        if self._local is None:
            self._local = BuildCache(self.scheduler.settings)
        return await self._local.checkout(request)

    async def run(self, request: RunRequest) -> RunResult:
        return await self._node_of(request.bzimage).run(request)

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        node = self._node_of(vmlinux) if vmlinux else next(iter(self.scheduler.refresh().values()))
        return await node.parse(console_log, vmlinux)

    def _node_of(self, path: str) -> Node:
        node_id = self._kernels.get(path)
        node = self.scheduler.nodes.get(node_id or "")
        if node is None:
            where = f"on node {node_id[:12]}, which is gone" if node_id else "not by this platform"
            raise ValueError(f"{path}: built {where}; build it again")
        return node

    async def close(self) -> None:
        """The actors outlive this handle: they keep their caches for the next job."""


def _on_node(name: str) -> Callable:
    async def call(self: _Pinned, request: BuildRequest, *args: Any) -> Any:
        return await getattr(self.node, name)(request, *args)

    return call


@with_tree_calls(_on_node)
class _Pinned:
    """The Platform on one node, for one unit of work; remembers where its kernels are."""

    def __init__(self, node: Node, kernels: dict[str, str]) -> None:
        self.node, self.kernels = node, kernels

    async def build(self, request: BuildRequest) -> BuildResult:
        result = await self.node.build(request)
        if result.artifacts:
            self.kernels[result.artifacts.bzimage] = self.node.id
            self.kernels[result.artifacts.vmlinux] = self.node.id
        return result

    async def checkout(self, request: BuildRequest) -> str:
        return await self.node.checkout(request)

    async def run(self, request: RunRequest) -> RunResult:
        return await self.node.run(request)

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        return await self.node.parse(console_log, vmlinux)


def stop_actors() -> list[str]:
    """Kill the kgym actors of every node of the current cluster; returns their names.
    Their caches stay on disk; the next caller starts them again with its settings."""
    init_ray()
    stopped = []
    for info in ray.nodes():
        for name in actor_names(info["NodeID"]):
            try:
                actor = ray.get_actor(name, namespace=NAMESPACE)
            except ValueError:
                continue
            with contextlib.suppress(NODE_LOST):
                ray.kill(actor)
            stopped.append(name)
    return stopped
