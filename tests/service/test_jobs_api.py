"""POST/GET/DELETE /api/jobs with real `kgym fix` subprocesses (on a bug that fails fast)."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from kgym.front.cli import main

JOB_DEADLINE_S = 90.0  # `kgym fix` imports for a few seconds; the machine may be busy


@pytest.fixture(autouse=True)
def no_offline_llm(monkeypatch):
    """An LLM endpoint that is never reached: `kgym fix` fails before asking it."""
    monkeypatch.setenv("KGYM_LLM_BASE_URL", "http://127.0.0.1:9/v1")


async def wait_for_end(client, job_id: str) -> dict:
    deadline = time.monotonic() + JOB_DEADLINE_S
    while time.monotonic() < deadline:
        job = await (await client.get(f"/api/jobs/{job_id}")).json()
        if job["state"] != "running":
            return job
        await asyncio.sleep(0.2)
    raise AssertionError(f"job {job_id} still running after {JOB_DEADLINE_S} s")


async def test_an_unknown_bug_is_404_naming_it(client):
    response = await client.post("/api/jobs", json={"bug": "no-such-bug-anywhere"})
    assert response.status == 404
    assert "no-such-bug-anywhere" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"bug": ""}, "'bug'"),
        ({"hypotheses": 2}, "'bug'"),
        ({"bug": "x", "hypotheses": 0}, "'hypotheses'"),
        ({"bug": "x", "max_iterations": "3"}, "'max_iterations'"),
        ({"bug": "x", "hypotheses": True}, "'hypotheses'"),
        ({"bug": "x", "colour": "red"}, "colour"),
        (["bug"], "JSON object"),
    ],
)
async def test_bad_job_requests_are_400_naming_the_problem(client, body, named):
    response = await client.post("/api/jobs", json=body)
    assert response.status == 400
    assert named in (await response.json())["error"]
    assert (await (await client.get("/api/jobs")).json())["jobs"] == []


async def test_body_that_is_not_json_is_400(client):
    response = await client.post(
        "/api/jobs", data=b"bug=x", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "JSON" in (await response.json())["error"]


async def test_unknown_job_is_404(client):
    for method in ("GET", "DELETE"):
        response = await client.request(method, "/api/jobs/job-nope")
        assert response.status == 404
        assert "job-nope" in (await response.json())["error"]


async def test_a_failing_fix_job_ends_failed_with_its_exit_code_and_error(
    client, settings, broken_bug
):
    response = await client.post(
        "/api/jobs", json={"bug": str(broken_bug), "hypotheses": 2, "max_iterations": 1}
    )
    assert response.status == 201
    started = await response.json()
    job_id, run_id = started["job_id"], started["run_id"]
    assert run_id.startswith("fix-broken-inject-")

    job = await wait_for_end(client, job_id)
    assert (job["state"], job["exit_code"], job["run_id"]) == ("failed", 2, run_id)
    assert "does not apply" in job["result"]["error"]
    assert job["argv"][-4:] == ["--hypotheses", "2", "--max-iterations", "1"]
    listed = (await (await client.get("/api/jobs")).json())["jobs"]
    assert [j["job_id"] for j in listed] == [job_id]

    # the run it made is there, under the id the service chose, and it is stopped
    run = await (await client.get(f"/api/runs/{run_id}")).json()
    assert run["run"]["status"] == "stopped"
    assert run["events"][0]["event"] == "run.start"
    assert "error" in run["events"][-1]
    # its stream ends without a run.end: the job is over
    stream = await client.get(f"/api/runs/{run_id}/events/stream")
    text = (await asyncio.wait_for(stream.content.read(), 10)).decode()
    assert text.rstrip().endswith("event: end\ndata: {}")
    assert "run.start" in text

    response = await client.delete(f"/api/jobs/{job_id}")
    assert response.status == 409
    assert "not running" in (await response.json())["error"]


async def test_cancelling_a_running_job_stops_its_process(client, broken_bug):
    started = await (await client.post("/api/jobs", json={"bug": str(broken_bug)})).json()
    job = await (await client.get(f"/api/jobs/{started['job_id']}")).json()
    assert job["state"] == "running"  # it is still importing: kgym fix takes seconds to start

    response = await client.delete(f"/api/jobs/{started['job_id']}")
    assert response.status == 200
    cancelled = await response.json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["exit_code"] is not None
    with pytest.raises(ProcessLookupError):
        os.kill(job["pid"], 0)


def test_fix_refuses_a_bad_or_taken_run_id(tmp_path, broken_bug, capsys, monkeypatch):
    from kgym.settings import settings

    monkeypatch.setenv("KGYM_HOME", str(tmp_path / "home"))
    settings.cache_clear()
    try:
        assert main(["fix", str(broken_bug), "--json", "--run-id", "../escape"]) == 2
        assert "not a run id" in capsys.readouterr().out
        (tmp_path / "home" / "runs" / "taken").mkdir(parents=True)
        assert main(["fix", str(broken_bug), "--json", "--run-id", "taken"]) == 2
        assert "exists already" in capsys.readouterr().out
    finally:
        settings.cache_clear()


async def test_a_human_job_is_reviewed_through_the_run_dir(client, broken_bug):
    body = {"bug": str(broken_bug), "human": True, "runs": 2}
    started = await (await client.post("/api/jobs", json=body)).json()
    job = await wait_for_end(client, started["job_id"])
    assert job["argv"][-5:] == ["--runs", "2", "--human", "--review", "rundir"]
    assert job["options"] == {"human": True, "runs": 2}
    response = await client.post("/api/jobs", json={"bug": str(broken_bug), "human": "yes"})
    assert response.status == 400
    assert "'human'" in (await response.json())["error"]
