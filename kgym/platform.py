"""The one small interface the agent and the benchmark use to reach the platform.

Two implementations: `LocalPlatform` (the domain objects in this process: tests,
single-process runs) and `actors.ray_platform.RayPlatform` (Ray actor handles:
`ray job submit`, clusters). Neither is a fake: both build real kernels and
boot real VMs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

import kgym.settings
from kgym.models import BuildRequest, BuildResult, CrashReport, RunRequest, RunResult
from kgym.settings import Settings


class Platform(Protocol):
    async def build(self, request: BuildRequest) -> BuildResult:
        """Build (or fetch from the cache) the kernel of `request`."""
        ...

    async def checkout(self, request: BuildRequest) -> str:
        """A read-only tree of `request.source` with `request.patches` applied; its path."""
        ...

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        """Apply the patches and compile only `files` (fast): do they build?"""
        ...

    async def run(self, request: RunRequest) -> RunResult:
        """Boot the kernel, run the reproducer, return what happened (report parsed)."""
        ...

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        """Read a console log as syzbot would."""
        ...


class LocalPlatform:
    """The platform's domain objects in this process: build cache, VM pool, crash parser."""

    def __init__(self, settings: Settings | None = None) -> None:
        from actors.build_cache import BuildCache
        from actors.crash_parser import CrashParser
        from vmpool import Pool

        self.settings = settings or kgym.settings.settings()
        self.builds = BuildCache(self.settings)
        self.vms = Pool(self.settings)
        self.parser = CrashParser()

    async def build(self, request: BuildRequest) -> BuildResult:
        return await self.builds.build(request)

    async def checkout(self, request: BuildRequest) -> str:
        return await self.builds.checkout(request)

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        return await self.builds.compile_check(request, files)

    async def run(self, request: RunRequest) -> RunResult:
        result = await self.vms.run(request)
        if result.console_log and Path(result.console_log).is_file():
            log = await asyncio.to_thread(Path(result.console_log).read_bytes)
            result.report = await self.parse(log, request.vmlinux)
        return result

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        return await asyncio.to_thread(self.parser.parse, console_log, vmlinux)

    async def close(self) -> None:
        await self.vms.close()

    async def __aenter__(self) -> LocalPlatform:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
