"""The service on 127.0.0.1 over a temporary KGYM_HOME, and trace files to show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from kgym.front.service.app import make_app
from kgym.settings import Settings


def event(run_id: str, node: str, name: str, hypothesis: str | None = None, **fields) -> dict:
    """One trace event in graph/trace.py's schema."""
    return {
        "run_id": run_id,
        "node": node,
        "hypothesis": hypothesis,
        "event": name,
        "ts": fields.pop("ts", 1000.0),
        "duration_s": None,
        "input_tokens": 0,
        "output_tokens": 0,
        "cost_usd": 0.0,
        **fields,
    }


def append(run_dir: Path, *events: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "events.jsonl").open("a") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


def finished_run(runs_dir: Path, run_id: str, ts: float, resolved: bool) -> Path:
    """A run that went from start to end, with one hypothesis and its verdict."""
    run_dir = runs_dir / run_id
    (run_dir.mkdir(parents=True))
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_id, "bug": "demo-bug"}))
    append(
        run_dir,
        event(run_id, "agent", "run.start", ts=ts, bug="demo-bug", model="scripted"),
        event(run_id, "planner", "hypothesis", "i1h1", ts=ts + 1, root_cause="off by one"),
        event(run_id, "patcher", "patch.end", "i1h1", ts=ts + 2, input_tokens=30, output_tokens=5),
        event(run_id, "verifier", "verdict", "i1h1", ts=ts + 3, outcome="resolved"),
        event(
            run_id,
            "agent",
            "run.end",
            ts=ts + 4,
            duration_s=4.0,
            resolved=resolved,
            reason="done",
            input_tokens=100,
            output_tokens=20,
            cost_usd=0.25,
        ),
    )
    return run_dir


TOKEN = "test-token-0123456789abcdef0123456789abcdef"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A home of its own; bug directories under the test's tmp dir may be run."""
    return Settings(home=tmp_path / "home", serve_bug_dirs=str(tmp_path))


@pytest.fixture
async def client(settings: Settings):
    """A client that sends the service's token."""
    server = TestServer(make_app(settings, TOKEN), host="127.0.0.1")
    async with TestClient(server, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        yield c


@pytest.fixture
async def anon(client):
    """A client of the same service that sends no token."""
    async with TestClient(client.server) as c:
        yield c


@pytest.fixture
def broken_bug(tmp_path: Path) -> Path:
    """A bug whose inject patch does not apply: `kgym fix` on it fails within seconds."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "Makefile").write_text("all:\n")
    (src / "a.c").write_text("hello\n")
    bug = tmp_path / "bug"
    bug.mkdir()
    (bug / "bug.json").write_text(
        json.dumps(
            {
                "id": "broken-inject",
                "title": "KASAN: nothing",
                "source": {"kind": "dir", "path": str(src)},
                "inject": "inject.patch",
                "reproducer": {"type": "sh", "file": "repro.sh"},
            }
        )
    )
    (bug / "inject.patch").write_text("--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-nothing here\n+x\n")
    (bug / "repro.sh").write_text("true\n")
    return bug
