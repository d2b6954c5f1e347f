"""The warm tree cannot be poisoned, and what make runs is sandboxed (issue 10).

Real make, gcc, ccache and bwrap on the tiny kbuild-shaped tree (fake_kernel/).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fakekernel import FAKE, VALUE_C, make_source, request, run_kernel, udiff, value_patch
from procs import live_processes

from actors.build_cache import BuildCache
from kgym.models import BuildStage
from kgym.settings import Settings

MAKEFILE = (FAKE / "Makefile").read_text()


@pytest.fixture
def kernel(tmp_path) -> Path:
    return make_source(tmp_path / "kernel")


@pytest.fixture
def cache(tmp_path) -> BuildCache:
    return BuildCache(Settings(home=tmp_path / "home", jobs=2))


def new_file(path: str, body: str = "int evil;\n") -> str:
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+{body}"


def tree_src(cache: BuildCache) -> Path:
    return next(cache.settings.trees_dir.glob("*/src"))


async def test_poisoning_patches_are_clear_errors_and_the_next_build_works(cache, kernel):
    """A path under a file raised NotADirectoryError, and dirty.json then broke every
    later build; a directory target raised IsADirectoryError."""
    assert (await cache.build(request(kernel))).ok
    (kernel / "sub").mkdir()
    (kernel / "sub" / "x.c").write_text("int x;\n")
    (kernel / "link").symlink_to("/etc")
    cases = {
        new_file("value.c/evil.c"): "value.c, which is a file",
        new_file("sub"): "is a directory",
        "--- a/sub\n+++ b/sub\n@@ -1 +1 @@\n-a\n+b\n": "is a directory",
        new_file("link/passwd"): "through a symlink",
        new_file("a.c") + new_file("a.c/b.c"): "a file the patch writes",
    }
    for text, why in cases.items():
        bad = await cache.build(request(kernel, text))
        assert bad.failed_stage == BuildStage.PATCH, (text, bad)
        assert any(why in e.message for e in bad.patch_errors), (why, bad.patch_errors)
        assert all("Error" not in m for m in bad.error_messages())  # no exception names
        good = await cache.build(request(kernel, value_patch(2)))
        assert good.ok and run_kernel(good) == "value=2\n"
    assert not list(cache.settings.trees_dir.glob("*/dirty.json"))


async def test_restore_survives_any_journal(cache, kernel):
    """A journal naming impossible paths, or not even JSON, is repaired, not a crash."""
    assert (await cache.build(request(kernel))).ok
    src = tree_src(cache)
    journal = src.parent / "dirty.json"
    for n, bad in enumerate(
        (
            json.dumps(["value.c/evil.c", "../../etc/passwd", "/etc/passwd", "", "main.c\0"]),
            "{not json",
            json.dumps({"a": 1}),
        ),
        start=3,
    ):
        (src / "value.c").unlink()
        (src / "value.c").write_text(VALUE_C.replace("return 1;", "return 66;"))
        journal.write_text(bad)
        again = await cache.build(request(kernel, value_patch(n)))  # a new key: not a hit
        assert again.ok and not again.cache_hit and run_kernel(again) == f"value={n}\n"
        assert (src / "value.c").read_text() == VALUE_C
    assert (Path("/etc/passwd")).exists()


async def test_a_tree_that_disagrees_with_its_source_is_repaired_and_logged(tmp_path, kernel):
    """A user that died left a journal that does not name all it changed: found and fixed."""
    import structlog

    home = tmp_path / "home"
    first = BuildCache(Settings(home=home, jobs=2))
    assert (await first.build(request(kernel))).ok
    src = tree_src(first)
    (src / "value.c").unlink()
    (src / "value.c").write_text(VALUE_C.replace("return 1;", "return 42;"))
    (src / "extra.c").write_text("int extra;\n")
    (src / "newdir").mkdir()
    (src / "main.c").unlink()
    (src.parent / "dirty.json").write_text(json.dumps(["value.c"]))  # names one of four
    with structlog.testing.capture_logs() as logs:
        second = BuildCache(Settings(home=home, jobs=2))
        result = await second.build(request(kernel, value_patch(5)))
    assert result.ok and run_kernel(result) == "value=5\n"
    [checked] = [e for e in logs if e["event"] == "tree.checked"]
    assert checked["repaired"] == 3  # value.c was put back from the journal
    assert sorted(p.name for p in src.iterdir()) == sorted(p.name for p in kernel.iterdir())
    assert (src / "value.c").read_text() == VALUE_C


async def test_makefile_probe_writes_nothing_outside_the_build_and_is_not_root(
    cache, kernel, tmp_path
):
    """issue 10's probe: a patched Makefile runs `id` through $(shell)."""
    assert (await cache.build(request(kernel))).ok
    build = next(cache.settings.trees_dir.glob("*/build"))
    before = sorted(p.name for p in build.iterdir())
    ccache_before = sorted(str(p) for p in cache.settings.ccache_dir.rglob("*"))
    outside = tmp_path / "pwned"
    store_probe = cache.settings.store_dir / "pwned"
    evil = MAKEFILE.replace(
        "SRCS :=",
        "$(info probe-uid=$(shell id -u))\n"
        f"PROBE := $(shell id > $(O)/left-behind; id > {outside}; id > /tmp/kgym-pwned; "
        f"mkdir -p {store_probe.parent} && id > {store_probe}; "
        f"touch {cache.settings.ccache_dir}/planted; "
        "cat /etc/shadow > $(O)/shadow; ls /root > $(O)/root-listing)\nSRCS :=",
        1,
    )
    result = await cache.build(request(kernel, udiff("Makefile", MAKEFILE, evil)))
    assert result.ok, result.error_messages()
    [uid] = [line.split("=")[1] for line in result.log_tail.splitlines() if "probe-uid=" in line]
    assert int(uid) != 0
    assert not outside.exists() and not Path("/tmp/kgym-pwned").exists()
    assert not store_probe.exists()
    # the patch changed how the tree builds: make worked on a throwaway copy of build/
    # and could not write the ccache, so nothing it left is trusted by later builds
    assert sorted(p.name for p in build.iterdir()) == before
    assert sorted(str(p) for p in cache.settings.ccache_dir.rglob("*")) == ccache_before
    assert run_kernel(result) == "value=1\n"
    again = await cache.build(request(kernel, value_patch(4)))
    assert again.ok and again.incremental and run_kernel(again) == "value=4\n"


KILL_SCRIPT = """
import asyncio, sys
sys.path.insert(0, {tests!r})
from fakekernel import request
from actors.build_cache import BuildCache
from kgym.settings import Settings
patch = open({patch!r}).read()
asyncio.run(BuildCache(Settings(home={home!r}, jobs=2)).build(request({kernel!r}, patch)))
"""


async def test_kill_9_of_kgym_mid_build_leaves_no_make(cache, kernel, tmp_path):
    """A SIGKILLed kgym left make running, writing the build dir under the next build."""
    home = str(cache.settings.home)
    link = "\techo link >> $(O)/links.log"
    slow = MAKEFILE.replace(link, "\tsleep 271.5\n" + link)
    (tmp_path / "slow.patch").write_text(udiff("Makefile", MAKEFILE, slow))
    script = KILL_SCRIPT.format(
        tests=str(Path(__file__).parent), patch=str(tmp_path / "slow.patch"), home=home,
        kernel=str(kernel),
    )  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)])
    try:
        deadline = time.monotonic() + 120
        while not live_processes("sleep 271.5"):
            assert proc.poll() is None and time.monotonic() < deadline, "the build never started"
            time.sleep(0.2)
        assert live_processes(home)  # make, under bwrap
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while left := live_processes(home) + live_processes("sleep 271.5"):
            assert time.monotonic() < deadline, f"left behind: {left}"
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.kill()
    after = await cache.build(request(kernel, value_patch(6)))  # lock free, tree restored
    assert after.ok and run_kernel(after) == "value=6\n"
    assert (tree_src(cache) / "Makefile").read_text() == MAKEFILE


def test_which_patches_build_in_a_scratch_copy():
    from actors.build_cache.tree import changes_the_build

    assert not changes_the_build(["mm/mempolicy.c", "include/linux/mm.h", "arch/x86/entry/a.S"])
    for machinery in (
        "mm/Makefile",
        "mm/Kconfig",
        "Kbuild",
        "scripts/basic/fixdep.c",
        "arch/x86/tools/relocs.c",
        "usr/gen_init_cpio.c",
        "scripts/ld-version.sh",
    ):
        assert changes_the_build(["mm/mempolicy.c", machinery]), machinery


async def test_a_private_source_directory_still_builds_as_the_build_user(cache, kernel):
    (kernel / "value.h").chmod(0o600)
    (kernel / "scripts").chmod(0o700)
    kernel.chmod(0o700)
    result = await cache.build(request(kernel, value_patch(8)))
    assert result.ok and run_kernel(result) == "value=8\n", result.error_messages()
