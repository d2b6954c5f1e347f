"""The Ray face of BuildCache: one actor per build host, owning its trees and store.

Each call carries the caller's event context (run id, hypothesis) and returns,
with its result, the events it logged, for the caller's run stream.
"""

from __future__ import annotations

import ray

from actors.build_cache import BuildCache
from actors.build_cache.code_index import CodeIndex
from actors.build_cache.history import History
from actors.build_cache.submit import Submitter
from kgym.events import remote_call
from kgym.models import (
    BuildRequest,
    BuildResult,
    CodeAnswer,
    CodeQuery,
    HistoryAnswer,
    HistoryQuery,
    StyleReport,
    Submission,
)
from kgym.settings import Settings

Records = list[dict]


@ray.remote(num_cpus=0)
class BuildCacheActor:
    """Builds kernels on its node; concurrent calls share warm trees and dedup identical builds."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.cache = BuildCache(settings)
        self.index = CodeIndex(self.cache)
        self.git = History(self.cache)
        self.submitter = Submitter(self.cache)

    async def build(
        self, request: BuildRequest, context: dict | None = None
    ) -> tuple[BuildResult, Records]:
        with remote_call(context) as records:
            result = await self.cache.build(request)
        return result, records

    async def compile_check(
        self, request: BuildRequest, files: list[str], context: dict | None = None
    ) -> tuple[BuildResult, Records]:
        with remote_call(context) as records:
            result = await self.cache.compile_check(request, files)
        return result, records

    async def checkout(
        self, request: BuildRequest, context: dict | None = None
    ) -> tuple[str, Records]:
        with remote_call(context) as records:
            result = await self.cache.checkout(request)
        return result, records

    # The agent's tools, on the node that holds the trees.

    async def code(
        self, request: BuildRequest, query: CodeQuery, context: dict | None = None
    ) -> tuple[CodeAnswer, Records]:
        with remote_call(context) as records:
            result = await self.index.query(request, query)
        return result, records

    async def history(
        self, request: BuildRequest, query: HistoryQuery, context: dict | None = None
    ) -> tuple[HistoryAnswer, Records]:
        with remote_call(context) as records:
            result = await self.git.query(request, query)
        return result, records

    async def checkpatch(
        self, request: BuildRequest, patch: str, context: dict | None = None
    ) -> tuple[StyleReport, Records]:
        with remote_call(context) as records:
            result = await self.submitter.checkpatch(request, patch)
        return result, records

    async def maintainers(
        self, request: BuildRequest, patch: str, context: dict | None = None
    ) -> tuple[list[str], Records]:
        with remote_call(context) as records:
            result = await self.submitter.maintainers(request, patch)
        return result, records

    async def format_patch(
        self, request: BuildRequest, submission: Submission, context: dict | None = None
    ) -> tuple[str, Records]:
        with remote_call(context) as records:
            result = await self.submitter.format_patch(request, submission)
        return result, records

    def node_id(self) -> str:
        """The node this actor (and so the artifact store) lives on."""
        return ray.get_runtime_context().get_node_id()
