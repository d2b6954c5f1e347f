"""The Ray face of CrashParser, for callers that want a parser without VMs.

A threaded actor: parses and symbolisations run concurrently (the parser's
work is subprocesses and regexes). RayPlatform does not need it: each node's
VmPoolActor holds that node's parser, beside the console logs.
"""

from __future__ import annotations

import ray

from actors.crash_parser import CrashParser
from kgym.events import remote_call
from kgym.models import CrashReport

CONCURRENCY = 8


@ray.remote(num_cpus=0, max_concurrency=CONCURRENCY)
class CrashParserActor:
    """Parses console logs on its node (logs and vmlinux paths are that node's)."""

    def __init__(self) -> None:
        self.parser = CrashParser()

    def parse(
        self, console_log: str | bytes, vmlinux: str | None = None, context: dict | None = None
    ) -> tuple[CrashReport, list[dict]]:
        with remote_call(context) as records:
            report = self.parser.parse(console_log, vmlinux)
        return report, records

    def parse_file(
        self, path: str, vmlinux: str | None = None, context: dict | None = None
    ) -> tuple[CrashReport, list[dict]]:
        with remote_call(context) as records:
            report = self.parser.parse_file(path, vmlinux)
        return report, records

    def node_id(self) -> str:
        return ray.get_runtime_context().get_node_id()
