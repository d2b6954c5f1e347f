"""The production path: `ray job submit` to a Ray head, the job reaching the platform's
actors (`--ray`). Ray 2.60 turns on token authentication: `ray start` and
`ray job submit` both run with RAY_AUTH_MODE=token."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from actors.platforms.local_cluster import RAY, LocalCluster
from kgym.settings import load_settings

pytestmark = [
    pytest.mark.ray,
    pytest.mark.kernel,
    pytest.mark.vm,
    pytest.mark.timeout(1800),
]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A Ray head with the job server (the dashboard) on 127.0.0.1, a kgym node (the
    platform runs there) over the session's KGYM_HOME, with its own ports and token.
    Afterwards every process of it is gone, the VMs its actors kept too."""
    cluster = LocalCluster(tmp_path_factory.mktemp("ray"))
    try:
        cluster.add_node("head", load_settings().home, {"kgym": 1})
        yield cluster.base_env(), cluster.dashboard
    finally:
        cluster.stop()
        deadline = time.monotonic() + 15
        while (left := cluster.leftovers()) and time.monotonic() < deadline:
            time.sleep(0.2)  # a SIGKILLed process is gone once the kernel has reaped it
        assert not left, f"processes of the test cluster left: {left}"


def submit(env: dict, command: list[str], timeout_s: float) -> subprocess.CompletedProcess:
    """`ray job submit`, retried while the new head's job agent is still starting."""
    deadline = time.monotonic() + 120
    while True:
        out = subprocess.run(
            command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout_s
        )
        if "No available agent" not in out.stderr or time.monotonic() > deadline:
            return out
        time.sleep(2)


def test_ray_job_submit_reproduces_the_demo_bug(ray_head, demo_kernel) -> None:
    env, address = ray_head
    job = [
        RAY, "job", "submit", "--address", address, "--",
        sys.executable, "-m", "kgym.front.cli",
        "repro", "kbench-6.1/mpol-parse-str", "--ray", "--json",
    ]  # fmt: skip
    out = submit(env, job, timeout_s=1500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    # The job's log interleaves its stderr (JSON log events) with the one result object.
    objects = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    result = next(o for o in objects if "build" in o and "title" in o)
    assert result["build"]["cache_hit"]  # the actors share the cache the session built
    assert result["title"] == "KASAN: slab-out-of-bounds Write in mpol_parse_str"


async def test_ray_job_submit_fix_resolves_the_demo_bug(ray_head, demo_kernel) -> None:
    """`ray job submit -- kgym fix --ray`: the agent's every platform call (code index,
    history, compile checks, builds and runs, quality, checkpatch, maintainers, the mail)
    goes through the node's actors; a scripted model behind a real HTTP endpoint."""
    sys.path.insert(0, str(REPO / "tests" / "browser"))
    from scripted_server import ScriptedServer

    from bench.demo_agent import DEMO, demo_edits, demo_script, hunks_as_edits
    from bench.suites import resolve_bug
    from kgym.rundir import read_events

    env, address = ray_head
    kinds = ["broken", "right"]
    script = demo_script(kinds, demo_edits(hunks_as_edits(resolve_bug(DEMO).read("fix.patch"))))
    run_id = f"rayjob-fix-{uuid.uuid4().hex[:8]}"
    async with ScriptedServer(script) as model:
        job = [
            RAY, "job", "submit", "--address", address, "--",
            sys.executable, "-m", "kgym.front.cli", "fix", DEMO, "--ray", "--json",
            "--base-url", model.base_url, "--model", "scripted", "--hypotheses", "2",
            "--max-iterations", "1", "--run-id", run_id,
        ]  # fmt: skip
        # the model answers in this event loop: the job waits in a thread
        out = await asyncio.to_thread(submit, env, job, 1500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    objects = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    result = next(o for o in objects if "hypotheses" in o and "resolved" in o)
    by_id = {h["id"]: h for h in result["hypotheses"]}
    assert result["resolved"] and result["patch"] == by_id["i1h2"]["patch"], result["reason"]
    assert by_id["i1h1"]["outcome"] == "build_error"
    assert "Subject: [PATCH] mm/mempolicy:" in result["mbox"]
    assert any(t.node == "planner" for t in model.turns)

    events = read_events(load_settings().runs_dir / run_id)
    placed = [e for e in events if e["event"] == "unit.placed"]
    kinds_placed = {e["unit"] for e in placed}
    calls = {"unit", "build", "compile_check", "compile_warnings", "checkpatch", "code",
             "history", "maintainers", "format_patch"}  # fmt: skip
    assert calls <= kinds_placed, f"not through the actors: {calls - kinds_placed}"
    nodes = {e["ray_node"] for e in placed}
    assert len(nodes) == 1 and by_id["i1h2"]["node"] in nodes  # the head, a kgym node
