"""Platform performance, from one run: prints times and ratios (never asserted).

    uv run python bench/perf/platform_perf.py [--cold]

- cold build: the base kernel of the demo bug in a fresh KGYM_HOME with an empty
  ccache (only with --cold: ~8 min on 2 cores); without --cold, the time of the
  first build of this run is reported as "first build" (warm ccache or cache hit);
- warm one-file patch build (a fresh patch every run, so never a cache hit);
- cache hit of the same request;
- boot-to-SSH and reproducer-to-verdict of one VM run, and the accelerator;
- patch -> verdict (verify, 3 runs) with a warm tree.
Goals (issue 2): patch -> verdict <= 60 s on 2 cores; warm patch build >= 8x faster than cold.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid

from actors.platforms.local_platform import LocalPlatform
from bench.suites import resolve_bug
from kgym import judge
from kgym.settings import Settings, settings

DEMO = "kbench-6.1/mpol-parse-str"


def one_line_patch() -> str:
    """A new comment in mm/mempolicy.c: a real one-file rebuild, never cached."""
    tag = uuid.uuid4().hex[:12]
    return (
        "--- a/mm/mempolicy.c\n+++ b/mm/mempolicy.c\n"
        "@@ -1,3 +1,4 @@\n"
        f"+// kgym perf {tag}\n"
        " // SPDX-License-Identifier: GPL-2.0-only\n"
        " /*\n"
        "  * Simple NUMA memory policy for the Linux kernel.\n"
    )


async def timed(coro):
    start = time.perf_counter()
    result = await coro
    return result, time.perf_counter() - start


async def cold_build_seconds(bug) -> float:
    with tempfile.TemporaryDirectory(prefix="kgym-cold-") as home:
        cold = Settings(home=home, jobs=settings().jobs)
        os.environ["CCACHE_DISABLE"] = "1"
        try:
            async with LocalPlatform(cold) as platform:
                result, seconds = await timed(platform.build(judge.bug_build_request(bug)))
        finally:
            del os.environ["CCACHE_DISABLE"]
        assert result.ok, result.error_messages()
        return seconds


async def main(cold: bool) -> None:
    bug = resolve_bug(DEMO)
    rows: list[tuple[str, str]] = []
    cold_s = await cold_build_seconds(bug) if cold else None
    async with LocalPlatform() as platform:
        first, first_s = await timed(platform.build(judge.bug_build_request(bug)))
        assert first.ok, first.error_messages()
        patched, patch_s = await timed(
            platform.build(judge.bug_build_request(bug, one_line_patch()))
        )
        assert patched.ok and not patched.cache_hit, patched.error_messages()
        _, hit_s = await timed(platform.build(judge.bug_build_request(bug)))
        run = await platform.run(judge.run_request(bug, first, "perf"))
        # The fix plus a fresh comment: a new build key, so the timing includes the build.
        fix = one_line_patch() + bug.read("fix.patch")
        verdict, verify_s = await timed(judge.verify(platform, bug, fix))
    if cold_s is not None:
        rows += [
            ("cold build", f"{cold_s:8.1f} s"),
            ("cold / warm patch build", f"{cold_s / patch_s:8.1f} x"),
        ]
    rows += [
        ("first build of this run", f"{first_s:8.1f} s (cache_hit={first.cache_hit})"),
        ("warm one-file patch build", f"{patch_s:8.1f} s"),
        ("cache hit", f"{hit_s:8.3f} s"),
        ("boot to SSH", f"{run.boot_s or float('nan'):8.1f} s"),
        ("reproducer to verdict (1 run)", f"{run.run_s or float('nan'):8.1f} s"),
        ("run outcome", f"{run.outcome} {run.report.title if run.report else ''}"),
        (
            "patch -> verdict (3 runs)",
            f"{verify_s:8.1f} s (resolved={verdict.resolved}, "
            f"build cache_hit={verdict.build.cache_hit})",
        ),
        ("accelerator", f"{run.accelerator}"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a cold build (~8 min)")
    asyncio.run(main(parser.parse_args().cold))
