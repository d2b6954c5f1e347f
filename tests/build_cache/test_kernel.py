"""The real kernel: Debian's linux-source-6.1 with the base config, in the real cache.

Builds go to settings().home (warm trees, ccache, store), never to a tmp dir:
the first run costs a cold build (minutes), later runs an incremental one.
"""

from __future__ import annotations

import asyncio
import difflib
import time
from pathlib import Path

import pytest

from actors.build_cache import BuildCache
from kgym.models import BuildRequest, BuildStage, SourceSpec

pytestmark = [pytest.mark.kernel, pytest.mark.timeout(3600)]

DEBIAN = SourceSpec(kind="debian-linux-source", version="6.1")
PANIC_C = "kernel/panic.c"
PANIC_LINE = '\tpr_emerg("Kernel panic - not syncing: %s\\n", buf);\n'


@pytest.fixture
def cache() -> BuildCache:
    return BuildCache()


@pytest.fixture
async def pristine(cache) -> Path:
    return (await cache.sources.resolve(DEBIAN)).root


def diff(root: Path, name: str, old: str, new: str) -> str:
    """A unified diff of `name` under `root` with `old` replaced by `new` (must occur once)."""
    text = (root / name).read_text()
    assert text.count(old) == 1
    a, b = text.splitlines(keepends=True), text.replace(old, new).splitlines(keepends=True)
    return "".join(difflib.unified_diff(a, b, f"a/{name}", f"b/{name}"))


async def test_base_build_and_cache_hit(cache):
    result = await cache.build(BuildRequest(source=DEBIAN))
    assert result.ok, result.error_messages()
    art = result.artifacts
    assert Path(art.bzimage).stat().st_size > 1_000_000
    config = Path(art.config).read_text()
    assert "CONFIG_KASAN=y" in config and "CONFIG_E1000=y" in config
    assert "# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set" in config
    again = await cache.build(BuildRequest(source=DEBIAN))
    assert again.cache_hit and again.artifacts == art
    print(
        f"base build {result.duration_s:.1f}s (hit: {result.cache_hit}); "
        f"repeat {again.duration_s:.3f}s"
    )


async def test_one_file_patch_is_incremental_and_deduplicated(cache, pristine):
    marker = f"kgym-{time.time_ns()}"  # a new kernel each run: exercise the incremental path
    new = PANIC_LINE.replace("not syncing:", f"not syncing ({marker}):")
    request = BuildRequest(source=DEBIAN, patches=[diff(pristine, PANIC_C, PANIC_LINE, new)])
    one, two = await asyncio.gather(cache.build(request), cache.build(request))
    assert one.ok, one.error_messages()
    assert one.incremental and not one.cache_hit and not two.cache_hit
    assert one.artifacts == two.artifacts  # one build served both
    assert marker.encode() in Path(one.artifacts.vmlinux).read_bytes()
    assert marker in (Path(one.artifacts.source_dir) / PANIC_C).read_text()
    assert marker not in (pristine / PANIC_C).read_text()
    hit = await cache.build(request)
    assert hit.cache_hit and hit.key == one.key
    base = await cache.build(BuildRequest(source=DEBIAN))
    assert marker.encode() not in Path(base.artifacts.vmlinux).read_bytes()
    print(f"incremental {one.duration_s:.1f}s; cache hit {hit.duration_s:.3f}s")


async def test_non_applying_patch(cache, pristine):
    stale = diff(pristine, PANIC_C, PANIC_LINE, PANIC_LINE.replace("panic", "oops"))
    stale = stale.replace("-\tpr_emerg(", "-\tpr_alert(")
    result = await cache.build(BuildRequest(source=DEBIAN, patches=[stale]))
    assert result.failed_stage == BuildStage.PATCH
    [err] = result.patch_errors
    assert (err.file, err.hunk) == (PANIC_C, 1)


async def test_patch_that_does_not_compile(cache, pristine):
    old = "static int pause_on_oops;\n"
    broken = diff(pristine, PANIC_C, old, "static int pause_on_oops = kgym_undeclared;\n")
    line = (pristine / PANIC_C).read_text().splitlines().index(old.rstrip()) + 1
    result = await cache.build(BuildRequest(source=DEBIAN, patches=[broken]))
    assert result.failed_stage == BuildStage.BUILD
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert (errors[0].file, errors[0].line) == (PANIC_C, line), result.diagnostics
    assert "kgym_undeclared" in errors[0].message
    check = await cache.compile_check(BuildRequest(source=DEBIAN, patches=[broken]), [PANIC_C])
    assert not check.ok and check.diagnostics[0].line == line
    fine = await cache.compile_check(BuildRequest(source=DEBIAN), [PANIC_C])
    assert fine.ok, fine.error_messages()
    print(f"failed build {result.duration_s:.1f}s; compile_check {check.duration_s:.1f}s")
