"""One kgym node's platform: its build cache and VM pool actors, pinned to the node.

Every Ray node offering the `kgym` resource gets its own named, detached actors
(`kgym-build-cache-<node id>`, `kgym-vm-pool-<node id>` in the `kgym`
namespace), created with the node's own settings. An actor that exists already
is used only if it runs with the settings this caller expects; otherwise the
caller gets a SettingsMismatch naming the difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from actors.platforms.build_cache_actor import BuildCacheActor
from actors.platforms.node_settings import differences, platform_view
from actors.platforms.vm_pool_actor import VmPoolActor
from kgym import events
from kgym.models import BuildRequest, BuildResult, CrashReport, RunRequest, RunResult
from kgym.platform import Platform, PlatformUnavailable
from kgym.settings import Settings, load_settings

NAMESPACE = "kgym"
RESOURCE = "kgym"  # the resource a node offers to host a kgym platform
KVM_RESOURCE = "kvm"  # offered by nodes whose VMs can use KVM
# The Platform's calls that read or compile a tree of one BuildRequest (their first
# argument): a node's build cache answers each. build, checkout, run and parse are
# written out in Node, RayPlatform and _Pinned: where each goes differs.
TREE_CALLS = (
    "compile_check",
    "compile_warnings",
    "checkpatch",
    "code",
    "history",
    "maintainers",
    "format_patch",
)
CONNECT_TIMEOUT_S = 120.0  # a node whose actors do not answer by then is skipped
# Errors that mean the node (or its actors) is gone: the work must move.
NODE_LOST: tuple[type[BaseException], ...] = (
    ray.exceptions.RayActorError,  # ActorDiedError, ActorUnavailableError
    ray.exceptions.NodeDiedError,
    ray.exceptions.WorkerCrashedError,
    ray.exceptions.ObjectLostError,
    ray.exceptions.OwnerDiedError,
)


class SettingsMismatch(PlatformUnavailable, ValueError):
    """A node's kgym actor exists with settings other than the caller's."""


def actor_names(node_id: str) -> tuple[str, str]:
    return f"kgym-build-cache-{node_id}", f"kgym-vm-pool-{node_id}"


@ray.remote(num_cpus=0)
def _settings_here() -> dict[str, str]:
    """The platform settings a new actor would read on this node, in this job."""
    return platform_view(load_settings())


def with_tree_calls(make: Callable[[str], Callable]) -> Callable[[type], type]:
    """Class decorator: each name of TREE_CALLS becomes a method, `make(name)`, documented
    as the Platform's call of that name."""

    def add(cls: type) -> type:
        for name in TREE_CALLS:
            method = make(name)
            method.__name__, method.__qualname__ = name, f"{cls.__name__}.{name}"
            method.__doc__ = getattr(Platform, name).__doc__
            setattr(cls, name, method)
        return cls

    return add


def _on_build_cache(name: str) -> Callable:
    async def call(self: Node, request: BuildRequest, *args: Any) -> Any:
        return await _call(getattr(self.builds, name), request, *args)

    return call


@with_tree_calls(_on_build_cache)
class Node:
    """Handles to one node's actors; also a Platform whose every call goes to that node
    (the TREE_CALLS to its build cache actor, the methods of the same names)."""

    def __init__(self, node_id: str, builds, vms, kvm: bool = False) -> None:
        self.id, self.builds, self.vms, self.kvm = node_id, builds, vms, kvm

    @classmethod
    def connect(cls, info: dict, settings: Settings | None = None) -> Node:
        """The actors of the node `info` (an entry of `ray.nodes()`), found or created.

        `settings`: for every actor of the node (tests); None: the node's own. Raises
        SettingsMismatch when an actor exists with other settings."""
        node_id = info["NodeID"]
        kvm = info.get("Resources", {}).get(KVM_RESOURCE, 0) > 0
        pinned = NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)
        if settings is not None:
            want = platform_view(settings)
        else:
            probe = _settings_here.options(scheduling_strategy=pinned).remote()
            want = ray.get(probe, timeout=CONNECT_TIMEOUT_S)
        build_name, vm_name = actor_names(node_id)
        builds = _get_or_create(
            BuildCacheActor, build_name, settings, want, pinned, {RESOURCE: 0.001}
        )
        vm_resources = {RESOURCE: 0.001, **({KVM_RESOURCE: 0.001} if kvm else {})}
        vms = _get_or_create(VmPoolActor, vm_name, settings, want, pinned, vm_resources)
        return cls(node_id, builds, vms, kvm)

    def short(self) -> str:
        return self.id[:12]

    async def status(self, request: BuildRequest | None) -> dict:
        builds, vms = await asyncio.gather(
            self.builds.status.remote(request), self.vms.status.remote()
        )
        return {**builds, **vms}

    # --- the Platform, on this node (and the TREE_CALLS, from @with_tree_calls) ---------

    async def build(self, request: BuildRequest) -> BuildResult:
        return await _call(self.builds.build, request)

    async def checkout(self, request: BuildRequest) -> str:
        return await _call(self.builds.checkout, request)

    async def run(self, request: RunRequest) -> RunResult:
        return await _call(self.vms.run, request)

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        return await _call(self.vms.parse, console_log, vmlinux)

    def kill(self) -> None:
        """Stop this node's actors (their caches stay on the node's disk)."""
        for actor in (self.vms, self.builds):
            with contextlib.suppress(NODE_LOST):
                ray.kill(actor)


def _get_or_create(actor_class, name: str, settings, want: dict, pinned, resources: dict):
    """The detached actor `name`: the existing one if its settings are `want`, else new."""
    for _ in range(20):
        try:
            actor = ray.get_actor(name, namespace=NAMESPACE)
        except ValueError:  # none yet
            try:
                return actor_class.options(
                    name=name,
                    namespace=NAMESPACE,
                    lifetime="detached",
                    scheduling_strategy=pinned,
                    resources=resources,
                    # a killed actor process restarts on its node, and the call it was
                    # serving is retried once (builds and runs are idempotent); a dead
                    # node is the scheduler's to handle
                    max_restarts=1,
                    max_task_retries=1,
                ).remote(settings)
            except ValueError:  # another caller created it meanwhile: check its settings
                continue
        try:
            have = ray.get(actor.settings_view.remote(), timeout=CONNECT_TIMEOUT_S)
        except NODE_LOST:  # a killed actor whose name is not free yet
            time.sleep(0.5)
            continue
        if diff := differences(have, want):
            raise SettingsMismatch(
                f"actor {name} (namespace {NAMESPACE}) already runs with other settings: "
                f"{'; '.join(diff)}. Use the same settings, or stop the node's kgym actors "
                "first (actors.platforms.ray_platform.stop_actors())"
            )
        return actor
    raise RuntimeError(f"actor {name}: neither found nor created")


async def _call(method, *args):
    """Call an actor method with this task's event context; its events join the run's stream."""
    result, records = await method.remote(*args, events.current_context())
    events.replay(records)
    return result
