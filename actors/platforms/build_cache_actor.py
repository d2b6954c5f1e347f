"""The Ray face of BuildCache: one actor per kgym node, owning that node's trees and store.

Each call carries the caller's event context (run id, hypothesis) and returns,
with its result, the events it logged, for the caller's run stream. Results
name the node that built them.
"""

from __future__ import annotations

import asyncio

import ray

from actors.build_cache import BuildCache
from actors.build_cache.code_index import CodeIndex
from actors.build_cache.history import History
from actors.build_cache.submit import Submitter
from actors.platforms.node_settings import node_context, platform_view
from kgym.events import remote_call
from kgym.models import (
    BuildRequest,
    BuildResult,
    CheckpatchResult,
    CodeAnswer,
    CodeQuery,
    HistoryAnswer,
    HistoryQuery,
    Submission,
)
from kgym.settings import Settings, load_settings

Records = list[dict]


@ray.remote(num_cpus=0)
class BuildCacheActor:
    """Builds kernels on its node; concurrent calls share warm trees and dedup identical builds.

    Without `settings` it reads the node's own (the environment of its `ray start`).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or load_settings()
        self.cache = BuildCache(self.settings)
        self.index = CodeIndex(self.cache)
        self.git = History(self.cache)
        self.submitter = Submitter(self.cache)
        self.node = ray.get_runtime_context().get_node_id()
        self.busy = 0
        self.slots = asyncio.Semaphore(self.settings.build_slot_count())  # builds at once here

    async def build(
        self, request: BuildRequest, context: dict | None = None
    ) -> tuple[BuildResult, Records]:
        self.busy += 1
        try:
            with remote_call(node_context(context, self.node)) as records:
                async with self.slots:
                    result = await self.cache.build(request)
        finally:
            self.busy -= 1
        return result.model_copy(update={"node": self.node}), records

    async def compile_check(
        self, request: BuildRequest, files: list[str], context: dict | None = None
    ) -> tuple[BuildResult, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.cache.compile_check(request, files)
        return result.model_copy(update={"node": self.node}), records

    async def compile_warnings(
        self, request: BuildRequest, files: list[str], context: dict | None = None
    ) -> tuple[BuildResult, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.cache.compile_warnings(request, files)
        return result, records

    async def checkpatch(
        self, request: BuildRequest, patch: str, context: dict | None = None
    ) -> tuple[CheckpatchResult, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.cache.checkpatch(
                request, patch, self.cache.settings.checkpatch_timeout_s
            )
        return result, records

    async def checkout(
        self, request: BuildRequest, context: dict | None = None
    ) -> tuple[str, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.cache.checkout(request)
        return result, records

    # The agent's tools, on the node that holds the trees.

    async def code(
        self, request: BuildRequest, query: CodeQuery, context: dict | None = None
    ) -> tuple[CodeAnswer, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.index.query(request, query)
        return result, records

    async def history(
        self, request: BuildRequest, query: HistoryQuery, context: dict | None = None
    ) -> tuple[HistoryAnswer, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.git.query(request, query)
        return result, records

    async def maintainers(
        self, request: BuildRequest, patch: str, context: dict | None = None
    ) -> tuple[list[str], Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.submitter.maintainers(request, patch)
        return result, records

    async def format_patch(
        self, request: BuildRequest, submission: Submission, context: dict | None = None
    ) -> tuple[str, Records]:
        with remote_call(node_context(context, self.node)) as records:
            result = await self.submitter.format_patch(request, submission)
        return result, records

    async def status(self, request: BuildRequest | None = None) -> dict:
        """Load and locality for the scheduler: builds running, build slots, and what this
        node holds of `request` ("artifact", "tree" or None)."""
        holds = await self.cache.holds(request) if request is not None else None
        return {
            "builds": self.busy,
            "build_slots": self.settings.build_slot_count(),
            "holds": holds,
        }

    def settings_view(self) -> dict[str, str]:
        """The settings this actor runs with (those that shape the platform)."""
        return platform_view(self.settings)

    def node_id(self) -> str:
        """The node this actor (and so the artifact store) lives on."""
        return self.node
