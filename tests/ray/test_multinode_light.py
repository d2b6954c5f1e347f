"""The scheduler on a real two-node Ray cluster, without kernels: placement, node ids,
the nodes' own settings, the refusal of an actor's other settings, and a node
killed mid-build.

The bugs' buggy trees cannot be made (their inject patch does not apply to their
tiny `dir` source), so each unit is a real build that stops at the patch stage.
The kill test builds the build cache tests' fake kernel, slowed down, whose
patched object does not compile: a real build that takes a while and never
reaches a VM. The kernel-building test is test_multinode.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actors.platforms.local_cluster import LocalCluster

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build_cache"))
from fakekernel import make_source, udiff  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]


def make_suite(root: Path, n: int) -> Path:
    tree = root / "tree"
    tree.mkdir(parents=True)
    (tree / "Makefile").write_text("all:\n")
    (tree / "foo.c").write_text("int x;\n")
    patch = "--- a/foo.c\n+++ b/foo.c\n@@ -1 +1 @@\n-int y;\n+int z;\n"
    for i in range(n):
        bug = root / "suite" / f"bug{i}"
        bug.mkdir(parents=True)
        record = {
            "id": f"bug{i}",
            "title": f"WARNING in foo{i}",
            "source": {"kind": "dir", "path": str(tree)},
            "reproducer": {"type": "c", "file": "repro.c"},
            "fix": {"file": "fix.patch", "modified_files": ["foo.c"]},
        }
        (bug / "bug.json").write_text(json.dumps(record))
        for name in ("inject.patch", "fix.patch"):
            (bug / name).write_text(patch)
        (bug / "repro.c").write_text("int main(void) { return 0; }\n")
    return root / "suite"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("light")
    c = LocalCluster(root, cpus_per_node=1)
    try:
        c.add_node("a", root / "home-a", {"kgym": 1}, env={"KGYM_VM_POOL_SIZE": "1"})
        c.add_node("b", root / "home-b", {"kgym": 1}, env={"KGYM_VM_POOL_SIZE": "1"})
        c.wait_alive(2)
        yield c, c.node_ids()
    finally:
        c.stop()
        time.sleep(1)
        assert not c.leftovers()


def bench(c: LocalCluster, suite: Path, out: Path, home: Path, **env: str):
    cmd = [
        sys.executable, "-m", "kgym.front.cli", "bench", "run", str(suite), "--agent", "oracle",
        "--workers", "4", "--attempts", "2", "--out", str(out), "--no-progress", "--json",
    ]  # fmt: skip
    return subprocess.run(
        cmd, env=c.driver_env(KGYM_HOME=str(home), **env), capture_output=True, text=True,
        timeout=600, cwd=REPO,
    )  # fmt: skip


def test_units_go_to_every_node_each_with_its_own_home(cluster, tmp_path: Path) -> None:
    c, ids = cluster
    suite = make_suite(tmp_path, 4)
    out = tmp_path / "run"
    done = bench(c, suite, out, tmp_path / "driver")
    assert done.returncode == 0, done.stderr[-3000:]
    got = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    keys = [(r["bug"], r["attempt"]) for r in got]
    assert len(keys) == len(set(keys)) == 8
    for r in got:
        assert r["error"] is None, r["error"]
        assert not r["verdict"]["applied"]  # the inject patch does not apply: no kernel
    assert {r["verdict"]["node"] for r in got} == set(ids.values())
    # each node built in its own KGYM_HOME (the patch stage resolves the source there)
    for node in c.nodes:
        assert (node.home / "trees").exists() or (node.home / "store").exists()
    events = out / "runs" / "oracle-bug0-0" / "events.jsonl"  # an attempt's events: its out dir
    placed = [json.loads(x) for x in events.read_text().splitlines() if '"unit.placed"' in x]
    assert placed and all(p["ray_node"] in ids.values() for p in placed)


def test_a_driver_wanting_other_node_settings_is_refused(cluster, tmp_path: Path) -> None:
    c, _ = cluster
    # the nodes' actors run with KGYM_VM_POOL_SIZE=1 (their `ray start` environment);
    # a job whose runtime environment says 2 would get actors it cannot have
    probe = (
        "from actors.platforms.ray_platform import RayPlatform; import ray;"
        "ray.init(runtime_env={'env_vars': {'KGYM_VM_POOL_SIZE': '2'}}); RayPlatform.connect()"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=c.driver_env(), capture_output=True, text=True,
        timeout=300, cwd=REPO,
    )  # fmt: skip
    assert out.returncode != 0
    assert "already runs with other settings" in out.stderr, out.stderr[-3000:]
    assert "vm_pool_size=1 (caller: 2)" in out.stderr


def slow_suite(root: Path, n: int, delay_s: int) -> Path:
    """`n` bugs on the fake kernel whose compile step sleeps `delay_s`; each bug's fix
    breaks the compile (so a unit is one slow build, then no VM)."""
    kernel = make_source(root / "kernel")
    makefile = kernel / "Makefile"
    makefile.write_text(
        makefile.read_text().replace(
            "\t$(CC) -c $(CURDIR)", f"\tsleep {delay_s}; $(CC) -c $(CURDIR)"
        )
    )
    value = (kernel / "value.c").read_text()
    for i in range(n):
        bug = root / "suite" / f"slow{i}"
        bug.mkdir(parents=True)
        buggy = value.replace("return 1;", f"return {i + 2};")
        broken = buggy.replace(f"return {i + 2};", f"return {i + 2} +;")
        record = {
            "id": f"slow{i}",
            "title": f"WARNING in slow{i}",
            "source": {"kind": "dir", "path": str(kernel)},
            "reproducer": {"type": "c", "file": "repro.c"},
            "fix": {"file": "fix.patch", "modified_files": ["value.c"]},
        }
        (bug / "bug.json").write_text(json.dumps(record))
        (bug / "inject.patch").write_text(udiff("value.c", value, buggy))
        (bug / "fix.patch").write_text(udiff("value.c", buggy, broken))
        (bug / "repro.c").write_text("int main(void) { return 0; }\n")
    return root / "suite"


def test_a_node_killed_mid_build_loses_and_duplicates_nothing(cluster, tmp_path: Path) -> None:
    """Runs last: it kills node b."""
    c, ids = cluster
    suite = slow_suite(tmp_path, 3, delay_s=20)
    out, driver_home = tmp_path / "run", tmp_path / "driver"
    cmd = [
        sys.executable, "-m", "kgym.front.cli", "bench", "run", str(suite), "--agent", "oracle",
        "--workers", "2", "--repro-runs", "0", "--out", str(out), "--no-progress", "--json",
    ]  # fmt: skip
    driver = subprocess.Popen(
        cmd, env=c.driver_env(KGYM_HOME=str(driver_home)), cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not placed_on(out, ids["b"]):  # b has just started a build
            assert driver.poll() is None, driver.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no unit was placed on node b"
            time.sleep(0.1)
        time.sleep(2)
        c.kill_node(next(n for n in c.nodes if n.name == "b"))
        _, stderr = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, stderr[-3000:]
    got = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    keys = [(r["bug"], r["attempt"]) for r in got]
    assert len(keys) == len(set(keys)) == 3
    for r in got:
        assert r["error"] is None, r["error"]
        assert r["verdict"]["applied"] and not r["verdict"]["built"]  # the slow build ran
    moved = [r for r in got if r["retries"]]
    assert len(moved) >= 1, got
    for r in moved:
        assert r["node"] == ids["a"] and r["verdict"]["node"] == ids["a"]
        assert r["retries"] == 1 and ids["b"][:12] in r["retry_reasons"][0], r["retry_reasons"]


def placed_on(out: Path, node_id: str) -> bool:
    """Has a unit of one of the run's attempts been placed on `node_id`?"""
    for events in (out / "runs").glob("*/events.jsonl"):
        for line in events.read_text().splitlines():
            if '"unit.placed"' in line and f'"ray_node": "{node_id}"' in line:
                return True
    return False
