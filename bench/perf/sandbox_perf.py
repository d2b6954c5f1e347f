"""What the build sandbox costs on a one-file patch build of the demo kernel, from one run.

    uv run python bench/perf/sandbox_perf.py [--rounds N]

After one warm-up build (the tree's first-use check), alternates sandboxed and
unsandboxed builds of fresh one-file patches (a new global in mm/mempolicy.c:
a real recompile, never a ccache or store hit) and prints each time, the medians
and their ratio. Goal (issue 10): sandboxed / unsandboxed <= 1.10.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from actors.build_cache import BuildCache, tree
from actors.build_cache.proc import run
from bench.suites import resolve_bug
from kgym import judge

DEMO = "kbench-6.1/mpol-parse-str"


def one_file_patch() -> str:
    tag = uuid.uuid4().hex[:12]
    return (
        "--- a/mm/mempolicy.c\n+++ b/mm/mempolicy.c\n"
        "@@ -1,3 +1,4 @@\n"
        " // SPDX-License-Identifier: GPL-2.0-only\n"
        f"+int kgym_perf_{tag};\n"
        " /*\n"
        "  * Simple NUMA memory policy for the Linux kernel.\n"
    )


sandboxed_run = tree.Tree._run


async def unsandboxed_run(self: tree.Tree, cmd: list, log, check: bool):
    """The same command as before the sandbox: as root, the host's environment."""
    return await run(cmd, cwd=self.build, env={**self.env}, log=log, check=check)


async def build_once(cache: BuildCache, bug, sandboxed: bool) -> float:
    tree.Tree._run = sandboxed_run if sandboxed else unsandboxed_run
    start = time.perf_counter()
    result = await cache.build(judge.bug_build_request(bug, one_file_patch()))
    seconds = time.perf_counter() - start
    assert result.ok and not result.cache_hit and result.incremental, result.error_messages()
    return seconds


async def main(rounds: int) -> None:
    bug = resolve_bug(DEMO)
    cache = BuildCache()
    warm = await build_once(cache, bug, True)
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(rounds):
        for sandboxed in (True, False) if i % 2 == 0 else (False, True):
            times[sandboxed].append(await build_once(cache, bug, sandboxed))
    on, off = statistics.median(times[True]), statistics.median(times[False])
    print(f"warm-up build (first use: tree check)  {warm:7.1f} s")
    print(f"sandboxed one-file builds             {' '.join(f'{t:.1f}' for t in times[True])} s")
    print(f"unsandboxed one-file builds           {' '.join(f'{t:.1f}' for t in times[False])} s")
    print(f"median sandboxed / unsandboxed        {on:.1f} / {off:.1f} s")
    print(f"sandbox cost ratio                    {on / off:7.3f} (goal <= 1.10)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="builds of each kind (default 3)")
    asyncio.run(main(parser.parse_args().rounds))
