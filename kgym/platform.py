"""The one small interface the agent and the benchmark use to reach the platform.

Two implementations, both in `actors/platforms/`: `LocalPlatform` (the domain
objects in this process: tests, single-process runs) and `RayPlatform` (Ray actor
handles: `ray job submit`, clusters). Neither is a fake: both build real kernels
and boot real VMs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from kgym.models import (
    BuildRequest,
    BuildResult,
    CheckpatchResult,
    CrashReport,
    RunRequest,
    RunResult,
)


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

    async def compile_warnings(self, request: BuildRequest, files: list[str]) -> BuildResult:
        """Compile `files` afresh with the patches applied: their diagnostics (warnings too)."""
        ...

    async def checkpatch(self, request: BuildRequest, patch: str) -> CheckpatchResult:
        """The tree's own scripts/checkpatch.pl on `patch`, against the checkout of `request`."""
        ...

    async def run(self, request: RunRequest) -> RunResult:
        """Boot the kernel, run the reproducer, return what happened (report parsed)."""
        ...

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        """Read a console log as syzbot would."""
        ...


CrashDetector = Callable[[str | bytes], bool]
"""Does this console text hold a kernel crash report? Handed to the VM pool, which
must not import the crash parser."""
