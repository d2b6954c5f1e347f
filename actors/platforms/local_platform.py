"""The Platform as the domain objects in this process: tests, single-process runs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import kgym.settings
from actors.build_cache import BuildCache
from actors.build_cache.code_index import CodeIndex
from actors.build_cache.history import History
from actors.build_cache.submit import Submitter
from actors.crash_parser import CrashParser, contains_crash
from actors.platforms.events import log_parsed
from kgym.models import (
    BuildRequest,
    BuildResult,
    CheckpatchResult,
    CodeAnswer,
    CodeQuery,
    CrashReport,
    HistoryAnswer,
    HistoryQuery,
    RunRequest,
    RunResult,
    Submission,
)
from kgym.settings import Settings
from vmpool import Pool


class LocalPlatform:
    """The platform's domain objects in this process: build cache, VM pool, crash parser."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or kgym.settings.settings()
        self.builds = BuildCache(self.settings)
        self.vms = Pool(self.settings, contains_crash)
        self.parser = CrashParser()
        self.index = CodeIndex(self.builds)
        self.git = History(self.builds)
        self.submitter = Submitter(self.builds)

    async def build(self, request: BuildRequest) -> BuildResult:
        return await self.builds.build(request)

    async def checkout(self, request: BuildRequest) -> str:
        return await self.builds.checkout(request)

    async def compile_check(self, request: BuildRequest, files: list[str]) -> BuildResult:
        return await self.builds.compile_check(request, files)

    async def compile_warnings(self, request: BuildRequest, files: list[str]) -> BuildResult:
        return await self.builds.compile_warnings(request, files)

    async def checkpatch(self, request: BuildRequest, patch: str) -> CheckpatchResult:
        return await self.builds.checkpatch(request, patch, self.settings.checkpatch_timeout_s)

    async def run(self, request: RunRequest) -> RunResult:
        result = await self.vms.run(request)
        if result.console_log and Path(result.console_log).is_file():
            started = time.monotonic()
            console = await asyncio.to_thread(Path(result.console_log).read_bytes)
            result.report = await self.parse(console, request.vmlinux)
            log_parsed(result.report, time.monotonic() - started)
        return result

    async def parse(self, console_log: str | bytes, vmlinux: str | None = None) -> CrashReport:
        return await asyncio.to_thread(self.parser.parse, console_log, vmlinux)

    async def code(self, request: BuildRequest, query: CodeQuery) -> CodeAnswer:
        return await self.index.query(request, query)

    async def history(self, request: BuildRequest, query: HistoryQuery) -> HistoryAnswer:
        return await self.git.query(request, query)

    async def maintainers(self, request: BuildRequest, patch: str) -> list[str]:
        return await self.submitter.maintainers(request, patch)

    async def format_patch(self, request: BuildRequest, submission: Submission) -> str:
        return await self.submitter.format_patch(request, submission)

    async def close(self) -> None:
        await self.vms.close()

    async def __aenter__(self) -> LocalPlatform:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
