"""The one small interface the agent and the benchmark use to reach the platform.

Two implementations, both in `actors/platforms/`: `LocalPlatform` (the domain
objects in this process: tests, single-process runs) and `RayPlatform` (Ray actor
handles: `ray job submit`, clusters). Neither is a fake: both build real kernels
and boot real VMs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol, TypeVar, runtime_checkable

from kgym.models import (
    BuildRequest,
    BuildResult,
    CheckpatchResult,
    CodeAnswer,
    CodeQuery,
    CrashReport,
    HistoryAnswer,
    HistoryQuery,
    Placement,
    RunRequest,
    RunResult,
    Submission,
)

T = TypeVar("T")


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

    async def code(self, request: BuildRequest, query: CodeQuery) -> CodeAnswer:
        """Definition, references, callers, struct layout or a bounded grep in the tree."""
        ...

    async def history(self, request: BuildRequest, query: HistoryQuery) -> HistoryAnswer:
        """git log/blame, or a `Fixes:` candidate for a patch; says when there is no history."""
        ...

    async def maintainers(self, request: BuildRequest, patch: str) -> list[str]:
        """The tree's scripts/get_maintainer.pl: who should receive `patch`."""
        ...

    async def format_patch(self, request: BuildRequest, submission: Submission) -> str:
        """`git format-patch` of the submission: one mail, as mbox text."""
        ...

    async def run(self, request: RunRequest) -> RunResult:
        """Boot the kernel, run the reproducer, return what happened (report parsed)."""
        ...

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        """Read a console log as syzbot would."""
        ...


class PlatformUnavailable(RuntimeError):
    """The platform cannot take work: no node offers it, or its actors run with other
    settings than the caller's. The message says which and what to do."""


CrashDetector = Callable[[str | bytes], bool]
"""Does this console text hold a kernel crash report? Handed to the VM pool, which
must not import the crash parser."""


@runtime_checkable
class Scheduling(Protocol):
    """A platform of several nodes (RayPlatform): it places each unit of work."""

    async def unit(
        self, request: BuildRequest, work: Callable[[Platform], Awaitable[T]], run_id: str = ""
    ) -> tuple[T, Placement]:
        """Run `work` (a build of `request` plus its runs) on one node, chosen for
        `request`; if that node dies, again on another (bounded). Returns `work`'s
        result and where it ran."""
        ...


_moves: ContextVar[list[str] | None] = ContextVar("kgym_moves", default=None)


@contextmanager
def counting_moves() -> Iterator[list[str]]:
    """The reasons of every move of work to another node (its node died) by the platform
    calls in this block, single calls too; a nested block's moves count here as well."""
    outer = _moves.get()
    moves: list[str] = []
    token = _moves.set(moves)
    try:
        yield moves
    finally:
        _moves.reset(token)
        if outer is not None:
            outer.extend(moves)


def note_move(reason: str) -> None:
    """A platform of several nodes moved work off a dead node: the enclosing
    counting_moves block (if any) counts it."""
    if (moves := _moves.get()) is not None:
        moves.append(reason)
