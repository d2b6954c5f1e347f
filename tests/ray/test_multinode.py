"""kgym on a real two-node Ray cluster on this machine, each node with its own KGYM_HOME.

The nodes' homes are seeded from the session's warm home (actors/build_cache/seed.py:
the warm tree and the kernels, copied, the tree's build files moved to the new
path), so no node does a cold build. Each node runs one VM at a time. On it:
`ray job submit -- kgym bench run` with the oracle spreads its units over both
nodes, each build booted by its own node's VMs; a node whose raylet is killed
mid-run loses no attempt and duplicates none; a job whose nodes would get another
KGYM_HOME is refused, naming the difference; nothing of the cluster is left.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actors.build_cache import BuildCache
from actors.build_cache.seed import seed_home
from actors.platforms.local_cluster import RAY, LocalCluster
from bench.suites import SUITES_DIR
from kgym.judge import bug_build_request
from kgym.settings import load_settings

pytestmark = [
    pytest.mark.ray,
    pytest.mark.kernel,
    pytest.mark.vm,
    pytest.mark.timeout(3000),
]

REPO = Path(__file__).resolve().parents[2]
BUGS = ["mpol-parse-str", "tbf-fifo-set-limit-null", "watchq-free-null-page"]
NODE_ENV = {"KGYM_VM_POOL_SIZE": "1", "KGYM_VERIFY_RUNS": "1"}


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("suite") / "multinode"
    for bug in BUGS:
        shutil.copytree(SUITES_DIR / "kbench-6.1" / bug, root / bug)
    return root


@pytest.fixture(scope="module")
async def cluster(tmp_path_factory, demo_bug, demo_kernel):
    """Head `a` and worker `b`, both offering kgym (b also kvm), homes seeded warm."""
    root = tmp_path_factory.mktemp("multinode")
    shared = load_settings().home  # the session's home: demo_kernel made its tree warm
    tree = await BuildCache().tree_key(bug_build_request(demo_bug))
    homes = {"a": root / "home-a", "b": root / "home-b"}
    seeds = {n: seed_home(shared, home, trees=[tree]) for n, home in homes.items()}
    c = LocalCluster(root)
    try:
        c.add_node("a", homes["a"], {"kgym": 1}, env=NODE_ENV)
        c.add_node("b", homes["b"], {"kgym": 1, "kvm": 1}, env=NODE_ENV)
        c.wait_alive(2)
        yield c, c.node_ids(), seeds
    finally:
        c.stop()
        time.sleep(1)
        left = c.leftovers()
        assert not left, f"processes of the test cluster left: {left}"
        assert not _qemus_under(root), "QEMU left"


def _qemus_under(root: Path) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"qemu-system" in argv and str(root).encode() in argv:
            found.append(int(proc.name))
    return found


def submit(c: LocalCluster, args: list[str], timeout_s: float, runtime_env: dict | None = None):
    """`ray job submit -- python -m kgym.front.cli ARGS`, retried while the job agent starts."""
    cmd = [RAY, "job", "submit", "--address", c.dashboard]
    if runtime_env:
        cmd += ["--runtime-env-json", json.dumps(runtime_env)]
    cmd += ["--", sys.executable, "-m", "kgym.front.cli", *args]
    env = c.base_env()
    deadline = time.monotonic() + 120
    while True:
        out = subprocess.run(
            cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout_s
        )
        if "No available agent" not in out.stderr or time.monotonic() > deadline:
            return out
        time.sleep(2)


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_bench_run_job_spreads_over_every_node(cluster, suite, tmp_path: Path) -> None:
    c, ids, _ = cluster
    out = tmp_path / "run"
    args = ["bench", "run", str(suite), "--agent", "oracle", "--workers", "2", "--out", str(out)]
    job = submit(c, [*args, "--no-progress", "--json"], timeout_s=2400)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]
    got = results(out)
    assert sorted(r["bug"] for r in got) == sorted(BUGS)  # each attempt exactly once
    units = []
    for r in got:
        assert r["error"] is None, r["error"]
        assert r["reproduced"] and r["resolved"], r
        for unit in (r["reproduction"], r["verdict"]):
            # the build and the VMs that booted it: one node
            assert unit["node"] in ids.values() and unit["run_nodes"] == [unit["node"]], unit
            units.append(unit["node"])
        assert r["node"] == r["verdict"]["node"]
    assert set(units) == set(ids.values()), f"units per node: {units}, nodes {ids}"
    # the nodes' events reached the attempt's stream (<out>/runs/<run id>/events.jsonl)
    for r in got:
        events = out / "runs" / f"oracle-{r['bug']}-0" / "events.jsonl"
        records = [json.loads(line) for line in events.read_text().splitlines()]
        ran = {e["ray_node"] for e in records if e["event"] == "repro.result"}
        assert ran == {r["reproduction"]["node"], r["verdict"]["node"]}, r["bug"]
        units = [e for e in records if e["event"] == "unit.placed" and e["unit"] == "unit"]
        assert len(units) == 2, units  # the reproduction and the verdict: a build and its runs


def test_killed_node_mid_run_loses_and_duplicates_nothing(cluster, suite, tmp_path: Path) -> None:
    c, ids, _ = cluster
    victim = next(n for n in c.nodes if n.name == "b")
    out, driver_home = tmp_path / "run", tmp_path / "driver"
    cmd = [
        sys.executable, "-m", "kgym.front.cli", "bench", "run", str(suite), "--agent", "oracle",
        "--workers", "2", "--out", str(out), "--no-progress", "--json",
    ]  # fmt: skip
    env = c.driver_env(KGYM_HOME=str(driver_home), **NODE_ENV)
    driver = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 900
        while not _node_worked(out, ids["b"]):  # b's first call came back: it is mid-unit
            assert driver.poll() is None, driver.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "node b never got work"
            time.sleep(0.2)
        c.kill_node(victim)
        stdout, stderr = driver.communicate(timeout=1800)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 0, stderr[-3000:]
    got = results(out)
    keys = [(r["bug"], r["attempt"], r["agent"]) for r in got]
    assert len(keys) == len(set(keys)) == len(BUGS)
    for r in got:
        assert r["error"] is None and r["resolved"], r
    moved = [r for r in got if r["retries"]]
    assert moved, "no unit was moved off the killed node"
    for r in moved:
        assert r["node"] == ids["a"]
        assert any(ids["b"][:12] in reason for reason in r["retry_reasons"]), r["retry_reasons"]


def _node_worked(out: Path, node_id: str) -> bool:
    """Has a call on `node_id` come back into one of the run's attempt streams?"""
    for events in (out / "runs").glob("*/events.jsonl"):
        for line in events.read_text().splitlines():
            if f'"ray_node": "{node_id}"' in line and '"unit.placed"' not in line:
                return True
    return False


def test_a_job_with_another_home_is_refused_naming_it(cluster, tmp_path: Path) -> None:
    c, _, _ = cluster
    other = tmp_path / "other-home"
    job = submit(
        c,
        ["repro", "kbench-6.1/mpol-parse-str", "--ray", "--json"],
        timeout_s=600,
        runtime_env={"env_vars": {"KGYM_HOME": str(other)}},
    )
    assert job.returncode != 0
    text = job.stdout + job.stderr
    assert "already runs with other settings" in text and f"caller: {other}" in text, text[-3000:]
    assert not (other / "store").exists()  # nothing was built there
