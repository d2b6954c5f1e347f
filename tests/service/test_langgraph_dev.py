"""`langgraph dev` (langgraph-cli with the inmem extra) serves kgym's graph from the
repository's langgraph.json on 127.0.0.1, offline: /assistants/search lists it and its
drawn graph has the nodes LangGraph compiles."""

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

from graph.builder import build_graph

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> object:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def test_langgraph_dev_serves_the_graph_offline(tmp_path):
    port = _free_port()
    cli = Path(sys.executable).parent / "langgraph"
    env = {
        **os.environ,
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",  # no usage report home
        "LANGSMITH_TRACING": "false",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    log = (tmp_path / "langgraph-dev.log").open("w")
    proc = subprocess.Popen(
        [str(cli), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
         "--port", str(port), "--config", str(ROOT / "langgraph.json")],
        cwd=ROOT,  # graph paths in langgraph.json are relative to it (.langgraph_api/ is ignored)
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "langgraph-dev.log").read_text()[-3000:]
            try:
                found = _post(f"{url}/assistants/search", {})
                break
            except OSError:
                assert time.monotonic() < deadline, "langgraph dev did not answer"
                time.sleep(0.5)
        [assistant] = [a for a in found if a["graph_id"] == "kgym_fix"]
        with urllib.request.urlopen(f"{url}/assistants/{assistant['assistant_id']}/graph") as r:
            drawn = json.loads(r.read())
        names = {n["id"] for n in drawn["nodes"]}
        assert names == set(build_graph().get_graph().nodes)
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    """SIGINT to its own process group (only what it started), then SIGKILL."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
