"""`kgym trace RUN_ID`: the timeline, --json lines, --follow, and clear errors."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from kgym.front.cli import main
from kgym.settings import Settings, settings
from tests.service.conftest import append, event, finished_run


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    """KGYM_HOME for commands run in this process."""
    monkeypatch.setenv("KGYM_HOME", str(tmp_path / "home"))
    settings.cache_clear()
    yield Settings(home=tmp_path / "home")
    settings.cache_clear()


def test_timeline_shows_nodes_hypotheses_durations_and_fields(home, capsys):
    finished_run(home.runs_dir, "r1", ts=1000.0, resolved=True)
    assert main(["trace", "r1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    assert "run.start" in lines[0] and "bug=demo-bug" in lines[0]
    assert "+3.0s" in lines[3] and "i1h1" in lines[3] and "outcome=resolved" in lines[3]
    assert "run.end" in lines[4] and "4.00s" in lines[4] and "120 tok" in lines[4]


def test_json_prints_the_events_as_they_are(home, capsys):
    run_dir = finished_run(home.runs_dir, "r1", ts=1000.0, resolved=True)
    assert main(["trace", "r1", "--json"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    on_disk = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    assert printed == on_disk


def test_unknown_or_bad_run_id_is_a_clear_error(home, capsys):
    assert main(["trace", "no-such-run", "--json"]) == 2
    assert "no-such-run" in json.loads(capsys.readouterr().out)["error"]
    assert main(["trace", "../etc", "--json"]) == 2
    assert "not a run id" in json.loads(capsys.readouterr().out)["error"]


async def test_follow_prints_new_events_until_the_run_ends(home):
    run_dir = home.runs_dir / "live"
    append(run_dir, event("live", "agent", "run.start"))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kgym.front.cli",
        "trace",
        "live",
        "--follow",
        "--json",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert json.loads(first)["event"] == "run.start"
        append(run_dir, event("live", "planner", "plan.start"))
        second = await asyncio.wait_for(proc.stdout.readline(), 10)
        assert json.loads(second)["event"] == "plan.start"
        append(run_dir, event("live", "agent", "run.end", resolved=True))
        rest = await asyncio.wait_for(proc.stdout.read(), 10)
        assert [json.loads(line)["event"] for line in rest.splitlines()] == ["run.end"]
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
