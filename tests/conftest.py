"""Shared fixtures: one local Ray cluster for the whole session (tests marked `ray` use it)."""

from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture(scope="session")
def ray_cluster():
    """A real local Ray cluster (2 CPUs, small object store, one kgym node), shut down at
    the end."""
    import ray

    ray.init(
        num_cpus=2,
        resources={"kgym": 1},
        include_dashboard=False,
        object_store_memory=100 * 1024 * 1024,
    )
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


SESSION_TAG = f"KGYM_TEST_SESSION={uuid.uuid4().hex}"
os.environ["KGYM_TEST_SESSION"] = SESSION_TAG.split("=", 1)[1]  # QEMUs inherit it


def _our_qemus() -> list[str]:
    """QEMU processes started by this test session (they carry its tag), still alive."""
    found = []
    for proc in os.listdir("/proc"):
        if not proc.isdigit():
            continue
        try:
            with open(f"/proc/{proc}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if not argv or b"qemu-system" not in argv[0]:
                continue
            with open(f"/proc/{proc}/environ", "rb") as f:
                if SESSION_TAG.encode() not in f.read().split(b"\0"):
                    continue
        except OSError:
            continue
        found.append(f"pid {proc}: {b' '.join(argv)[:200].decode(errors='replace')}")
    return found


@pytest.fixture(scope="session", autouse=True)
def no_qemu_left_behind():
    """After the suite, no QEMU process of ours is left (every path reaps its VMs)."""
    yield
    left = _our_qemus()
    assert not left, f"QEMU processes left after the tests: {left}"
