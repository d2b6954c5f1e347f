"""What a kgym node runs with: the settings that shape its platform, read on that node.

A node's settings come from the environment its workers see there (that of its
`ray start`, plus the job's runtime environment), never from the driver's.
"""

from __future__ import annotations

from kgym.settings import Settings

# The fields that change what a node's actors do (the LLM's do not).
PLATFORM_FIELDS = (
    "home",
    "ccache",
    "jobs",
    "build_slots",
    "store_max_gb",
    "ccache_max_gb",
    "vm_pool_size",
    "vm_memory_mb",
    "vm_cpus",
    "accelerator",
    "boot_timeout_s",
)


def platform_view(settings: Settings) -> dict[str, str]:
    """The platform fields of `settings`, as text (comparable across processes)."""
    return {name: str(getattr(settings, name)) for name in PLATFORM_FIELDS}


def differences(have: dict[str, str], want: dict[str, str]) -> list[str]:
    """`name: have -> want` for each field that differs."""
    return [
        f"{name}={have.get(name)!s} (caller: {want.get(name)!s})"
        for name in PLATFORM_FIELDS
        if have.get(name) != want.get(name)
    ]


def node_context(context: dict | None, node: str) -> dict:
    """The caller's event context plus the Ray node id (`ray_node` in each event)."""
    return {**(context or {}), "ray_node": node}
