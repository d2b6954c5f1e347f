"""GET /api/runs, /api/runs/{id} and the live SSE stream, over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

from yarl import URL

from tests.service.conftest import append, event, finished_run


async def test_run_list_newest_first_with_status_and_usage(client, settings):
    finished_run(settings.runs_dir, "old", ts=1000.0, resolved=False)
    finished_run(settings.runs_dir, "new", ts=2000.0, resolved=True)
    append(settings.runs_dir / "live", event("live", "agent", "run.start", ts=3000.0, bug="b"))
    (settings.runs_dir / "vm-scratch").mkdir()  # no trace: not a run
    response = await client.get("/api/runs")
    assert response.status == 200
    runs = (await response.json())["runs"]
    assert [r["run_id"] for r in runs] == ["live", "new", "old"]
    live, new, old = runs
    assert (live["status"], live["resolved"], live["bug"]) == ("running", None, "b")
    assert (new["status"], new["resolved"], old["resolved"]) == ("finished", True, False)
    assert (new["tokens"], new["cost_usd"], new["bug"]) == (120, 0.25, "demo-bug")
    assert new["last_event"]["event"] == "run.end"


async def test_run_detail_has_the_summary_and_every_event(client, settings):
    finished_run(settings.runs_dir, "r1", ts=1000.0, resolved=True)
    response = await client.get("/api/runs/r1")
    assert response.status == 200
    body = await response.json()
    assert body["run"]["run_id"] == "r1"
    assert [e["event"] for e in body["events"]] == [
        "run.start",
        "hypothesis",
        "patch.end",
        "verdict",
        "run.end",
    ]
    # no checkpoint file in this run: the hypothesis comes from its events alone
    [h] = body["hypotheses"]
    assert (h["id"], h["root_cause"], h["outcome"], h["patch"]) == (
        "i1h1",
        "off by one",
        "resolved",
        None,
    )
    assert body["usage"] == [
        {"node": "patcher", "input_tokens": 30, "output_tokens": 5, "cost_usd": 0.0, "llm_s": 0.0}
    ]


async def test_a_run_that_died_with_an_error_is_stopped(client, settings):
    append(
        settings.runs_dir / "dead",
        event("dead", "agent", "run.start"),
        event("dead", "reproduce", "platform.checkout.end", error="ValueError: no source"),
    )
    body = await (await client.get("/api/runs/dead")).json()
    assert body["run"]["status"] == "stopped"


async def test_unknown_run_is_a_json_404_naming_it(client):
    response = await client.get("/api/runs/no-such-run")
    assert response.status == 404
    assert "no-such-run" in (await response.json())["error"]
    response = await client.get("/api/runs/no-such-run/events/stream")
    assert response.status == 404


async def test_path_traversal_is_refused(client, settings):
    settings.home.mkdir(parents=True, exist_ok=True)
    append(settings.home / "secret", event("x", "agent", "run.start"))  # $KGYM_HOME/secret
    for bad in ("%2e%2e", "..%2Fsecret", "a%2Fb", ".hidden"):
        url = URL(f"{client.make_url('/api/runs/')}{bad}", encoded=True)  # sent as written
        response = await client.session.get(url)
        assert response.status == 400, bad
        assert "not a run id" in (await response.json())["error"]


async def test_unknown_api_path_is_a_json_404(client):
    response = await client.get("/api/nothing-here")
    assert response.status == 404
    assert "error" in await response.json()


async def read_sse(response, count: int) -> list[tuple[str, dict]]:
    """The next `count` SSE messages as (event type, data)."""
    messages, kind, data = [], "message", None
    while len(messages) < count:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode().rstrip("\n")
        if line.startswith("event: "):
            kind = line[len("event: ") :]
        elif line.startswith("data: "):
            data = json.loads(line[len("data: ") :])
        elif line == "" and data is not None:
            messages.append((kind, data))
            kind, data = "message", None
        elif line == "" and response.content.at_eof():
            raise AssertionError(f"stream ended after {messages}")
    return messages


async def test_sse_sends_existing_events_then_appended_ones_then_ends(client, settings):
    run_dir = settings.runs_dir / "live"
    append(run_dir, event("live", "agent", "run.start"), event("live", "planner", "plan.start"))
    response = await client.get("/api/runs/live/events/stream")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    first = await read_sse(response, 2)
    assert [d["event"] for _, d in first] == ["run.start", "plan.start"]

    append(run_dir, event("live", "planner", "plan.end", duration_s=1.5))
    (more,) = await read_sse(response, 1)
    assert more[1]["event"] == "plan.end"

    append(run_dir, event("live", "agent", "run.end", resolved=False, reason="budget"))
    ended = await read_sse(response, 2)
    assert [k for k, _ in ended] == ["message", "end"]
    assert ended[0][1]["event"] == "run.end"
    assert await asyncio.wait_for(response.content.read(), 10) == b""  # the server closed it


async def test_sse_half_written_line_waits_for_its_end(client, settings):
    run_dir = settings.runs_dir / "live"
    append(run_dir, event("live", "agent", "run.start"))
    line = json.dumps(event("live", "agent", "run.end"))
    with (run_dir / "events.jsonl").open("a") as f:
        f.write(line[:20])
    response = await client.get("/api/runs/live/events/stream")
    (start,) = await read_sse(response, 1)
    assert start[1]["event"] == "run.start"
    with (run_dir / "events.jsonl").open("a") as f:
        f.write(line[20:] + "\n")
    end = await read_sse(response, 2)
    assert end[0][1]["event"] == "run.end" and end[1][0] == "end"


async def test_sse_reconnect_resumes_after_last_event_id(client, settings):
    finished_run(settings.runs_dir, "r1", ts=1000.0, resolved=True)
    response = await client.get("/api/runs/r1/events/stream", headers={"Last-Event-ID": "2"})
    messages = await read_sse(response, 3)
    assert [d.get("event") for _, d in messages] == ["verdict", "run.end", None]
    assert messages[-1][0] == "end"


def test_tail_gives_each_complete_line_once(tmp_path):
    from kgym.rundir import Tail

    tail = Tail(tmp_path)
    assert tail.poll() == []
    a = tmp_path / "a" / "events.jsonl"
    a.parent.mkdir()
    a.write_text(json.dumps({"event": "one"}) + "\n" + '{"event": "tw')
    assert [e["event"] for e in tail.poll()] == ["one"]
    with a.open("a") as f:
        f.write('o"}\n')
    assert [e["event"] for e in tail.poll()] == ["two"]
    assert tail.poll() == []
