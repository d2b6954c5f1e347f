"""BuildCache end to end on a tiny kbuild-shaped tree (fake_kernel/): real make, gcc, ccache.

The real kernel is in test_kernel.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fakekernel import VALUE_C, make_source, request, run_kernel, udiff, value_patch

from actors.build_cache import BuildCache
from kgym.models import BuildRequest, BuildStage, SourceSpec
from kgym.settings import Settings


@pytest.fixture
def kernel(tmp_path) -> Path:
    return make_source(tmp_path / "kernel")


@pytest.fixture
def cache(tmp_path) -> BuildCache:
    return BuildCache(Settings(home=tmp_path / "home", jobs=2))


def links(cache: BuildCache) -> int:
    logs = list(cache.settings.trees_dir.glob("*/build/links.log"))
    return sum(len(p.read_text().splitlines()) for p in logs)


async def test_build_then_cache_hit(cache, kernel):
    first = await cache.build(request(kernel))
    assert first.ok, first.error_messages()
    assert not first.cache_hit and not first.incremental
    assert run_kernel(first) == "value=1\n"
    config = Path(first.artifacts.config).read_text()
    assert "CONFIG_KASAN=y" in config and "CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN" not in config
    assert Path(first.artifacts.bzimage).is_file() and Path(first.artifacts.build_log).is_file()
    second = await cache.build(request(kernel))
    assert second.cache_hit and second.key == first.key
    assert second.artifacts == first.artifacts


async def test_patched_builds_are_incremental_and_do_not_leak(cache, kernel):
    base = await cache.build(request(kernel))
    two = await cache.build(request(kernel, value_patch(2)))
    assert two.ok and two.incremental and two.key != base.key
    assert run_kernel(two) == "value=2\n"
    assert "value.c" in two.log_tail and "main.c" not in two.log_tail  # only value.c recompiled
    three = await cache.build(request(kernel, value_patch(3)))
    assert run_kernel(three) == "value=3\n"
    assert run_kernel(two) == "value=2\n"  # stored artifacts are copies
    # the tree is back to pristine: rebuild the unpatched kernel from it
    shutil.rmtree(cache.store.root / base.key)
    again = await cache.build(request(kernel))
    assert not again.cache_hit and run_kernel(again) == "value=1\n"
    tree_src = next(cache.settings.trees_dir.glob("*/src"))
    assert (tree_src / "value.c").read_text() == VALUE_C
    assert (kernel / "value.c").read_text() == VALUE_C


async def test_two_patches_stack_in_order(cache, kernel):
    result = await cache.build(request(kernel, value_patch(2), value_patch(7, old=2)))
    assert result.ok and run_kernel(result) == "value=7\n"


async def test_identical_concurrent_requests_build_once(cache, kernel):
    results = await asyncio.gather(
        *(cache.build(request(kernel, value_patch(4))) for _ in range(3))
    )
    assert all(r.ok for r in results) and len({r.key for r in results}) == 1
    assert links(cache) == 1
    assert run_kernel(results[0]) == "value=4\n"


async def test_concurrent_different_patches_do_not_mix(cache, kernel):
    await cache.build(request(kernel))
    results = await asyncio.gather(
        *(cache.build(request(kernel, value_patch(n))) for n in (5, 6, 8))
    )
    assert [run_kernel(r) for r in results] == ["value=5\n", "value=6\n", "value=8\n"]


def test_evicting_checkouts_leaves_ones_being_made(cache, monkeypatch):
    """A concurrent checkout's `.tmp-` dir, renamed away mid-listing, broke a build."""
    import actors.build_cache.cache as cache_module

    monkeypatch.setattr(cache_module, "MAX_CHECKOUTS", 1)
    root = cache.checkouts_dir
    for name, mtime in [("old", 1000), ("new", 1001), (".tmp-making", 999)]:
        (root / name).mkdir(parents=True)
        os.utime(root / name, (mtime, mtime))  # the one being made looks the oldest
    cache._evict_checkouts(root / "new")
    assert sorted(p.name for p in root.iterdir()) == [".tmp-making", "new"]


async def test_non_applying_patch(cache, kernel):
    result = await cache.build(request(kernel, value_patch(9, old=3)))
    assert not result.ok and result.failed_stage == BuildStage.PATCH and not result.applied
    [err] = result.patch_errors
    assert (err.file, err.hunk) == ("value.c", 1)
    assert "patch: value.c hunk #1" in result.error_messages()[0]
    assert not cache.settings.trees_dir.exists()  # nothing was written


async def test_patch_leaving_the_tree_is_refused(cache, kernel):
    evil = "--- /dev/null\n+++ b/../evil.c\n@@ -0,0 +1 @@\n+int x;\n"
    result = await cache.build(request(kernel, evil))
    assert result.failed_stage == BuildStage.PATCH
    assert result.patch_errors[0].file == "../evil.c"
    assert not (kernel.parent / "evil.c").exists()


async def test_malformed_patch_is_an_error(cache, kernel):
    result = await cache.build(request(kernel, "this is not a diff\n"))
    assert result.failed_stage == BuildStage.PATCH
    assert "no file changes" in result.patch_errors[0].message


async def test_patch_that_does_not_compile(cache, kernel):
    broken = udiff("value.c", VALUE_C, VALUE_C.replace("return 1;", "return undeclared_thing;"))
    result = await cache.build(request(kernel, broken))
    assert not result.ok and result.failed_stage == BuildStage.BUILD and result.applied
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert errors[0].file == "value.c" and errors[0].line == 5 and errors[0].column
    assert "undeclared_thing" in errors[0].message
    ok = await cache.build(request(kernel))  # the broken file did not stay in the tree
    assert ok.ok and run_kernel(ok) == "value=1\n"


async def test_compile_check(cache, kernel):
    good = await cache.compile_check(request(kernel, value_patch(2)), ["value.c"])
    assert good.ok and good.artifacts is None
    broken = udiff("value.c", VALUE_C, VALUE_C.replace("return 1;", "return nope;"))
    bad = await cache.compile_check(request(kernel, broken), ["value.c"])
    assert not bad.ok and bad.diagnostics[0].file == "value.c" and bad.diagnostics[0].line == 5
    names = await cache.compile_check(request(kernel), ["value.h", "../x.c", "missing.c"])
    assert not names.ok and [d.file for d in names.diagnostics] == [
        "value.h",
        "../x.c",
        "missing.c",
    ]
    assert links(cache) == 0  # nothing was linked


async def test_dropped_config_option_is_named(cache, kernel):
    result = await cache.build(request(kernel, fragment="CONFIG_FAKE_EXTRA=y\nCONFIG_NO_SUCH=y\n"))
    assert not result.ok and result.failed_stage == BuildStage.CONFIG
    assert len(result.config_errors) == 1 and "CONFIG_NO_SUCH=y" in result.config_errors[0]
    bad_line = await cache.build(request(kernel, fragment="KASAN=y\n"))
    assert bad_line.failed_stage == BuildStage.CONFIG and "KASAN=y" in bad_line.config_errors[0]


async def test_checkout(cache, kernel):
    assert await cache.checkout(request(kernel)) == str(kernel)
    path = Path(await cache.checkout(request(kernel, value_patch(2))))
    assert "return 2;" in (path / "value.c").read_text()
    assert (kernel / "value.c").read_text() == VALUE_C
    assert await cache.checkout(request(kernel, value_patch(2))) == str(path)
    with pytest.raises(ValueError, match="value.c hunk #1"):
        await cache.checkout(request(kernel, value_patch(9, old=3)))


async def test_missing_source(cache, tmp_path):
    result = await cache.build(request(tmp_path / "nowhere"))
    assert result.failed_stage == BuildStage.SOURCE and "nowhere" in result.log_tail


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        ["git", "-C", repo, *args], check=True, capture_output=True, text=True, env=env
    )
    return out.stdout.strip()


async def test_git_source_at_commits(cache, tmp_path):
    repo = make_source(tmp_path / "repo")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "value.c").write_text(VALUE_C.replace("return 1;", "return 5;"))
    _git(repo, "commit", "-q", "-am", "five")

    def git_request(commit: str, url: str = str(repo)) -> BuildRequest:
        return BuildRequest(source=SourceSpec(kind="git", url=url, commit=commit))

    old = await cache.build(git_request(first[:10]))
    new = await cache.build(git_request("HEAD"))
    assert run_kernel(old) == "value=1\n" and run_kernel(new) == "value=5\n"
    assert (cache.settings.sources_dir / f"git-{first}").is_dir()
    # a URL (not a local path) goes through a mirror
    via_url = await cache.build(git_request(first, url=f"file://{repo}"))
    assert via_url.cache_hit and via_url.key == old.key
    missing = await cache.build(git_request("0123456789abcdef"))
    assert missing.failed_stage == BuildStage.SOURCE and "not found" in missing.log_tail


def test_one_cache_across_event_loops(cache, kernel):
    """A BuildCache may outlive an event loop (e.g. a session fixture): locks are per loop."""

    async def contend(*values: int) -> list[str]:
        results = await asyncio.gather(
            *(cache.build(request(kernel, value_patch(n))) for n in values)
        )
        return [run_kernel(r) for r in results]

    assert asyncio.run(contend(2, 3)) == ["value=2\n", "value=3\n"]
    assert asyncio.run(contend(4, 5)) == ["value=4\n", "value=5\n"]
