"""Shared fixtures: one local Ray cluster for the whole session (tests marked `ray` use it)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray cluster (2 CPUs, small object store), shut down at the end."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def demo_bug():
    from bench.suites import resolve_bug

    return resolve_bug("kbench-6.1/mpol-parse-str")


@pytest.fixture(scope="session")
async def demo_kernel(demo_bug):
    """The demo bug's buggy kernel, built once through the build cache (a hit when warm)."""
    from actors.build_cache import BuildCache
    from kgym.judge import bug_build_request

    result = await BuildCache().build(bug_build_request(demo_bug))
    assert result.ok, result.error_messages()
    return result.artifacts


def _our_qemus() -> list[str]:
    """QEMU processes started from kgym's images, still alive."""
    from kgym.settings import settings

    marker = str(settings().home)
    found = []
    for proc in os.listdir("/proc"):
        if not proc.isdigit():
            continue
        try:
            with open(f"/proc/{proc}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and b"qemu-system" in argv[0] and marker.encode() in b" ".join(argv):
            found.append(f"pid {proc}: {b' '.join(argv)[:200].decode(errors='replace')}")
    return found


@pytest.fixture(scope="session", autouse=True)
def no_qemu_left_behind():
    """After the suite, no QEMU process of ours is left (every path reaps its VMs)."""
    before = set(_our_qemus())
    yield
    left = [p for p in _our_qemus() if p not in before]
    assert not left, f"QEMU processes left after the tests: {left}"
