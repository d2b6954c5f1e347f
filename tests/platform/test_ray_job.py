"""The production path: `ray job submit` to a Ray head, the job reaching the platform's
actors (`--ray`). Ray 2.60 turns on token authentication: `ray start` and
`ray job submit` both run with RAY_AUTH_MODE=token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.ray,
    pytest.mark.kernel,
    pytest.mark.vm,
    pytest.mark.timeout(1800),
]

REPO = Path(__file__).resolve().parents[2]
RAY = str(Path(sys.executable).with_name("ray"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_processes_mentioning(text: str) -> None:
    """Stop one Ray cluster: its processes name its temp dir. (`ray stop` would stop
    every Ray cluster on the machine, the test session's own too.)"""
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if text.encode() in (proc / "cmdline").read_bytes():
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


@pytest.fixture(scope="module")
def ray_head(tmp_path_factory):
    """A Ray head with the job server (the dashboard) on 127.0.0.1, stopped afterwards."""
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    temp_dir = str(tmp_path_factory.mktemp("ray"))
    dashboard = free_port()
    start = [
        RAY, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={free_port()}",
        "--include-dashboard=true", "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}", "--num-cpus=2", "--disable-usage-stats",
        '--resources={"kgym": 1}',  # the head is a kgym node: the platform runs there
        f"--temp-dir={temp_dir}",
        # The session's own cluster holds Ray's default agent ports.
        f"--dashboard-agent-listen-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--metrics-export-port={free_port()}",
    ]  # fmt: skip
    try:
        subprocess.run(start, env=env, check=True, capture_output=True, timeout=300)
        yield env, f"http://127.0.0.1:{dashboard}"
    finally:
        kill_processes_mentioning(temp_dir)


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
