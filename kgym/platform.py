"""The one small interface the agent and the benchmark use to reach the platform.

Two implementations: `LocalPlatform` (the domain objects in this process: tests,
single-process runs) and `actors.ray_platform.RayPlatform` (Ray actor handles:
`ray job submit`, clusters). Neither is a fake: both build real kernels and
boot real VMs.
"""

from __future__ import annotations

from typing import Protocol

from kgym.models import BuildRequest, BuildResult, CrashReport, RunRequest, RunResult


class Platform(Protocol):
    async def build(self, request: BuildRequest) -> BuildResult:
        """Build (or fetch from the cache) the kernel of `request`."""
        ...

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        """Apply the patches and compile only `files` (fast): do they build?"""
        ...

    async def run(self, request: RunRequest) -> RunResult:
        """Boot the kernel, run the reproducer, return what happened (report parsed)."""
        ...

    async def parse(self, console_log: str, vmlinux: str | None = None) -> CrashReport:
        """Read a console log as syzbot would."""
        ...
