"""The chaos suite (issue 10): inject each fault, check the verdict, that no process leaks,
and that the store and the warm tree still build correctly. Prints a table at the end.

The kernel faults reuse the demo bug's warm tree (the session fixture `demo_kernel`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from chaoskit import live_processes, our_qemus

from actors.build_cache import BuildCache
from kgym import judge
from kgym.models import BugSpec, BuildStage, RunOutcome
from kgym.settings import Settings

pytestmark = pytest.mark.chaos
CLI = [sys.executable, "-m", "kgym.front.cli"]
FAKE_KERNEL_TESTS = Path(__file__).parent.parent / "build_cache"


def kgym(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env or os.environ.copy()
    )


def one_file_patch() -> str:
    """A new global in mm/mempolicy.c: a real one-file recompile, never a cache hit."""
    return (
        "--- a/mm/mempolicy.c\n+++ b/mm/mempolicy.c\n@@ -1,3 +1,4 @@\n"
        " // SPDX-License-Identifier: GPL-2.0-only\n"
        f"+int kgym_chaos_{uuid.uuid4().hex[:12]};\n"
        " /*\n  * Simple NUMA memory policy for the Linux kernel.\n"
    )


def copy_bug(src: BugSpec, dest: Path, **fields) -> Path:
    shutil.copytree(src.dir, dest)
    record = json.loads((dest / "bug.json").read_text())
    for key, value in fields.items():
        if key.startswith("reproducer."):
            record["reproducer"][key.split(".", 1)[1]] = value
        else:
            record[key] = value
    (dest / "bug.json").write_text(json.dumps(record))
    return dest


async def tree_of(cache: BuildCache, bug: BugSpec) -> Path:
    plan = await cache._plan(judge.bug_build_request(bug))
    return cache.settings.trees_dir / plan.tree_key


async def builds_again(cache: BuildCache, bug: BugSpec) -> bool:
    """The store and the warm tree still build correctly: a fresh one-file patch, incrementally."""
    result = await cache.build(judge.bug_build_request(bug, one_file_patch()))
    tree = await tree_of(cache, bug)
    return result.ok and result.incremental and not (tree / "dirty.json").exists()


def wait_until(what, timeout_s: float, message: str, poll_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while not (value := what()):
        assert time.monotonic() < deadline, message
        time.sleep(poll_s)
    return value


# --- bad records and reproducers: errors before any build ------------------------------------


def _mutations(tmp_path: Path, bug: BugSpec) -> dict[str, tuple[list[str], str, dict | None]]:
    """case -> (kgym arguments, what the message must say, environment)."""
    d = tmp_path

    def variant(name: str, **fields) -> str:
        return str(copy_bug(bug, d / name, **fields))

    missing = variant("missing-repro")
    os.unlink(f"{missing}/repro.c")
    empty = variant("empty-repro")
    Path(empty, "repro.c").write_text("")
    broken = variant("broken-repro")
    Path(broken, "repro.c").write_text("int main(void) { return nope; }\n")
    shadow = variant("shadow-repro")
    Path(shadow, "repro.c").write_text('#include "/etc/shadow"\nint main(void) { return 0; }\n')
    home = d / "home"
    for suite in ("s1", "s2"):
        copy_bug(bug, home / "suites" / suite / "dup")
    env = {**os.environ, "KGYM_HOME": str(home)}
    (d / "empty.patch").write_text("\n")
    return {
        "reproducer file missing": (["repro", missing], "no such file", None),
        "reproducer file empty": (["repro", empty], "empty", None),
        "reproducer does not compile": (["repro", broken], "nope", None),
        'reproducer #include "/etc/shadow"': (["repro", shadow], "/etc/shadow", None),
        "inject = /etc/passwd": (["repro", variant("inj", inject="/etc/passwd")], "outside", None),
        "inject file missing": (["repro", variant("noinj", inject="x.patch")], "no such", None),
        "config file missing": (["repro", variant("nocfg", config="x.config")], "no such", None),
        "repeats = 0": (["repro", variant("rep", **{"reproducer.repeats": 0})], "repeats", None),
        "timeout_s = -5": (
            ["repro", variant("tmo", **{"reproducer.timeout_s": -5})],
            "timeout_s",
            None,
        ),
        "bug id in two suites": (["repro", "dup"], "ambiguous", env),
        "bug id glob m*": (["repro", "m*"], "not a plain bug id", None),
        "empty patch to verify": (
            ["verify", bug.dir, "--patch", str(d / "empty.patch")],
            "empty",
            None,
        ),
        "--runs 0": (["repro", bug.dir, "--runs", "0"], "at least 1", None),
    }


def test_bad_records_are_errors_before_any_build(demo_bug, tmp_path, record):
    cases = _mutations(tmp_path, demo_bug)

    def one(case: str) -> tuple[subprocess.CompletedProcess, float]:
        args, _, env = cases[case]
        t0 = time.monotonic()
        return kgym(*args, "--json", env=env), time.monotonic() - t0

    with ThreadPoolExecutor(4) as pool:  # independent CLI runs, a few at a time
        done_all = dict(zip(cases, pool.map(one, cases), strict=True))
    for case, (done, took) in done_all.items():
        says = cases[case][1]
        assert done.returncode == 2, (case, done.returncode, done.stderr[-2000:])
        assert "Traceback" not in done.stderr, (case, done.stderr[-3000:])
        error = json.loads(done.stdout.splitlines()[-1])["error"]
        assert says in error, (case, error)
        assert "root:" not in error and "root:" not in done.stderr  # nothing of /etc/shadow
        assert "build.stage" not in done.stderr, case  # nothing was built
        shown = " ".join(error.replace(str(tmp_path) + "/", "").split())
        at = max(0, shown.find(says) - 30)
        record(case, f"exit 2 in {took:.1f} s: {shown[at : at + 60]}", True)


# --- the warm tree: sandboxed make, poisoning patches, a killed kgym -------------------------


@pytest.mark.kernel
async def test_makefile_probe_is_contained(demo_bug, demo_kernel, tmp_path, record):
    """issue 10: an inject patch adding $(shell id > FILE) to mm/Makefile ran `id` as root."""
    cache = BuildCache()
    source = await cache.sources.resolve(demo_bug.source)
    makefile = (source.root / "mm/Makefile").read_text().splitlines(keepends=True)
    outside = [Path("/tmp/kgym-chaos-probe"), Path.home() / "kgym-chaos-probe", tmp_path / "p"]
    probe = (
        "$(info kgym-probe-uid=$(shell id -u))\nKGYM_PROBE := $(shell "
        + "; ".join(f"id > {p}" for p in outside)
        + f"; id > $(srctree)/kgym-probe; id > {cache.settings.store_dir}/kgym-probe)\n"
    )
    patch = "--- a/mm/Makefile\n+++ b/mm/Makefile\n@@ -1,2 +1,4 @@\n"
    patch += "".join(" " + line for line in makefile[:2])
    patch += "".join("+" + line for line in probe.splitlines(keepends=True))
    result = await cache.build(judge.bug_build_request(demo_bug, patch))
    assert result.ok, result.error_messages()
    tree = await tree_of(cache, demo_bug)
    output = (tree / "build.log").read_text(errors="replace")  # all of make's output
    uids = {line.split("=")[1] for line in output.splitlines() if "kgym-probe-uid=" in line}
    assert uids and "0" not in uids, output[-2000:]
    uid = uids.pop()
    assert not any(p.exists() for p in outside)
    assert not (tree / "src/kgym-probe").exists()
    assert not (cache.settings.store_dir / "kgym-probe").exists()
    assert not (tree / "scratch").exists()  # make worked on a throwaway copy of build/
    ok = await builds_again(cache, demo_bug)
    assert ok
    record("Makefile $(shell id) probe", f"built; ran as uid {uid}, wrote only its build dir", ok)


@pytest.mark.kernel
async def test_poisoning_patches_are_refused(demo_bug, demo_kernel, record):
    """A path under a file poisoned dirty.json; a directory target raised IsADirectoryError."""
    cache = BuildCache()
    refused = {}
    for path, says in (("mm/shmem.c/evil.c", "mm/shmem.c, which is a file"), ("mm", "directory")):
        evil = f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+int evil;\n"
        result = await cache.build(judge.bug_build_request(demo_bug, evil))
        assert result.failed_stage == BuildStage.PATCH, result
        assert any(says in e.message for e in result.patch_errors), result.patch_errors
        refused[path] = result.patch_errors[0].message
    ok = await builds_again(cache, demo_bug)
    assert ok
    for path, message in refused.items():
        record(f"patch creating {path}", f"patch error: {message}", ok)


@pytest.mark.kernel
async def test_kill_9_of_kgym_mid_build_leaves_no_make(demo_bug, demo_kernel, tmp_path, record):
    cache = BuildCache()
    tree = await tree_of(cache, demo_bug)
    patch = tmp_path / "one.patch"
    patch.write_text(one_file_patch())
    kg = subprocess.Popen([*CLI, "verify", demo_bug.dir, "--patch", str(patch), "--json"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: live_processes(f"make -C {tree}/src"), 120, "make never started")
        time.sleep(2.0)  # compiling
        kg.send_signal(signal.SIGKILL)
        kg.wait()
        t0 = time.monotonic()
        wait_until(lambda: not live_processes(str(tree)), 15, f"left: {live_processes(str(tree))}")
        reaped = time.monotonic() - t0
    finally:
        kg.kill()
    again = await cache.build(judge.bug_build_request(demo_bug, patch.read_text()))
    ok = again.ok and not again.cache_hit and not (tree / "dirty.json").exists()
    assert ok, again.error_messages()
    record("kill -9 of kgym mid-build", f"make reaped in {reaped:.1f} s; same build then ok", ok)


@pytest.mark.kernel
@pytest.mark.ray
async def test_killed_ray_build_actor_mid_build(demo_bug, demo_kernel, ray_cluster, record):
    from actors.platforms.ray_platform import RayPlatform

    platform = RayPlatform.connect()
    cache = BuildCache()
    tree = await tree_of(cache, demo_bug)
    build = asyncio.ensure_future(
        platform.build(judge.bug_build_request(demo_bug, one_file_patch()))
    )
    makes = await asyncio.to_thread(
        wait_until, lambda: live_processes(f"make -C {tree}/src"), 180, "make never started"
    )
    actor = _ancestor(int(makes[0].split(":")[0]), "BuildCacheActor")
    os.kill(actor, signal.SIGKILL)
    result = await asyncio.wait_for(build, 900)
    assert result.ok and not result.cache_hit, result.error_messages()
    assert not live_processes(f"make -C {tree}/src")
    ok = await builds_again(cache, demo_bug)
    assert ok
    record("Ray build actor SIGKILLed mid-build", "actor restarted, build retried: ok", ok)


def _ancestor(pid: int, name: str) -> int:
    while pid > 1:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if name.encode() in f.read():
                return pid
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    raise AssertionError(f"no ancestor process named {name}")


# --- the host: a full disk ----------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_full_disk_is_a_host_failure(tmp_path, record):
    sys.path.insert(0, str(FAKE_KERNEL_TESTS))
    from fakekernel import make_source, request, run_kernel

    kernel = make_source(tmp_path / "kernel")
    home = tmp_path / "home"
    home.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "kgym-chaos", home], check=True)
    try:
        filler = home / "filler"
        with filler.open("wb") as f, pytest.raises(OSError):
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        cache = BuildCache(Settings(home=home, jobs=2))
        result = asyncio.run(cache.build(request(kernel)))
        assert result.failed_stage == BuildStage.HOST, result
        assert "No space left on device" in result.log_tail
        assert not live_processes(str(home))
        filler.unlink()
        again = asyncio.run(cache.build(request(kernel)))
        ok = again.ok and run_kernel(again) == "value=1\n"
        assert ok, again.error_messages()
        assert not list(cache.store.root.glob(".tmp-*"))
    finally:
        subprocess.run(["umount", "-l", home], check=False)
    record("full disk (2 MB tmpfs KGYM_HOME)", "host failure: No space left on device", ok)


# --- VMs: QEMU killed on the host, Ctrl-C ---------------------------------------------------------


def delayed(bug: BugSpec, dest: Path, seconds: int) -> BugSpec:
    """The bug with a reproducer that waits `seconds` before doing what it did."""
    copy_bug(bug, dest)
    text = (dest / "repro.c").read_text()
    (dest / "repro.c").write_text(
        "#include <unistd.h>\n#define main kgym_real_main\n" + text
        + f"\n#undef main\nint main(void) {{ sleep({seconds}); return kgym_real_main(); }}\n"
    )  # fmt: skip
    return BugSpec.load(dest)


@pytest.mark.kernel
@pytest.mark.vm
async def test_qemu_killed_mid_run_is_infra_and_retried(demo_bug, demo_kernel, tmp_path, record):
    from actors.platforms.local_platform import LocalPlatform

    bug = delayed(demo_bug, tmp_path / "bug", 8)
    killed: list[int] = []

    async def kill_first_running_qemu(platform) -> None:
        while True:
            vms = [vm for vm in platform.vms._vms if vm.runs >= 1 and not vm.exited]
            if vms:
                await asyncio.sleep(3.0)  # the reproducer is sleeping in the guest
                killed.append(vms[0].proc.pid)
                os.kill(vms[0].proc.pid, signal.SIGKILL)
                return
            await asyncio.sleep(0.2)

    async with LocalPlatform() as platform:
        killer = asyncio.create_task(kill_first_running_qemu(platform))
        verdict = await judge.reproduce(platform, bug)
        killer.cancel()
    assert killed, "QEMU was never killed"
    [run] = verdict.run_results
    assert "killed on the host" in run.retried_after, run
    assert run.outcome == RunOutcome.CRASHED and verdict.same_crash_runs == 1, verdict
    assert not verdict.infra_error and verdict.title == demo_bug.title
    assert not our_qemus()
    record(
        "kill -9 of QEMU mid-run", f"infra_error, retried: {run.outcome} ({verdict.title})", True
    )


def _interruptible() -> None:
    """A terminal's Ctrl-C, even when this test runs as a background job (which inherits
    SIGINT ignored, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.kernel
@pytest.mark.vm
def test_ctrl_c_ends_with_one_line_and_reaps(demo_bug, demo_kernel, tmp_path, record):
    bug = delayed(demo_bug, tmp_path / "bug", 30)
    kg = subprocess.Popen(
        [*CLI, "repro", bug.dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_interruptible,
    )  # fmt: skip
    try:
        wait_until(our_qemus, 120, "no VM started")
        time.sleep(1.0)
        kg.send_signal(signal.SIGINT)
        out, err = kg.communicate(timeout=60)
    finally:
        kg.kill()
    assert kg.returncode == 130, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert err.rstrip().splitlines()[-1] == "kgym: interrupted"
    wait_until(lambda: not our_qemus(), 10, f"QEMU left: {our_qemus()}")
    record("Ctrl-C during a run", "exit 130, one line, VMs reaped", True)
