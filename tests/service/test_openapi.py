"""The OpenAPI description is served, and schemathesis, driven by it against a running
`kgym serve`, finds no server error (no 5xx) on any endpoint, with and without the token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.service.conftest import finished_run

pytestmark = pytest.mark.timeout(900)


async def test_the_description_names_every_api_route(client):
    spec = await (await client.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    routes = {
        (r.method.lower(), r.resource.canonical)
        for r in client.app.router.routes()
        if r.resource.canonical.startswith("/api/") and r.method not in ("HEAD", "*")
    }
    described = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    assert routes - {("get", "/api/openapi.json")} == described
    secured = {
        (m, p) for p, ops in spec["paths"].items() for m, op in ops.items() if "security" in op
    }
    assert secured == {
        ("post", "/api/jobs"),
        ("delete", "/api/jobs/{job_id}"),
        ("post", "/api/runs/{run_id}/reviews/{hypothesis}"),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path):
    home = tmp_path / "home"
    finished_run(home / "runs", "r1", ts=1000.0, resolved=True)
    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    env = {**os.environ, "KGYM_HOME": str(home), "KGYM_LLM_BASE_URL": "http://127.0.0.1:9/v1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgym.front.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not (home / "service-token").is_file() or not _listening(port):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "kgym serve did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", (home / "service-token").read_text().strip(), home
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        log.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("with_token", [True, False])
def test_schemathesis_finds_no_server_error(served, with_token, tmp_path):
    url, token, home = served
    argv = [
        sys.executable, "-m", "schemathesis.cli", "run", f"{url}/api/openapi.json",
        "--checks", "not_a_server_error", "--max-examples", "40", "--seed", "14",
        "--report", "ndjson", "--report-dir", str(tmp_path / "report"),
    ]  # fmt: skip
    if with_token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=800)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-6000:]
    finished = [
        json.loads(line)["ScenarioFinished"]
        for path in (tmp_path / "report").glob("*.ndjson")
        for line in path.read_text().splitlines()
        if line.startswith('{"ScenarioFinished"')
    ]
    assert not [f for f in finished if f["status"] not in ("success", "skip")], finished
    exercised = {f["recorder"]["label"] for f in finished if f["status"] == "success"}
    spec = json.loads(urllib.request.urlopen(f"{url}/api/openapi.json").read())
    operations = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}
    assert exercised - {"Stateful tests"} == operations
