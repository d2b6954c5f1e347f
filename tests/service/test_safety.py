"""The service's safety: the token, JSON bodies only, a size limit, bugs only from allowed
places, a loopback default, jobs that survive a restart."""

from __future__ import annotations

import json
import stat

import pytest
from aiohttp.test_utils import TestClient, TestServer

from kgym.front.cli import main
from kgym.front.service.api import MAX_BODY
from kgym.front.service.app import make_app
from kgym.front.service.auth import bearer_ok, is_loopback, load_or_create_token
from kgym.front.service.jobs import Job, Jobs, JobStore
from tests.service.conftest import TOKEN


@pytest.fixture(autouse=True)
def no_offline_llm(monkeypatch):
    monkeypatch.setenv("KGYM_LLM_BASE_URL", "http://127.0.0.1:9/v1")


async def no_jobs(client) -> None:
    assert (await (await client.get("/api/jobs")).json())["jobs"] == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/jobs"),
        ("DELETE", "/api/jobs/job-x"),
        ("POST", "/api/runs/r1/reviews/i1h1"),
    ],
)
async def test_requests_that_start_cancel_or_answer_work_need_the_token(anon, client, method, path):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = await anon.request(method, path, json={"bug": "x"}, headers=headers)
        assert response.status == 401, headers
        assert "token" in (await response.json())["error"]
    await no_jobs(client)


async def test_reading_needs_no_token(anon):
    for path in ("/api/runs", "/api/jobs", "/api/graph", "/api/openapi.json", "/"):
        assert (await anon.get(path)).status == 200, path


async def test_a_text_plain_post_never_starts_a_job(client, broken_bug):
    """Issue 10: a web page may POST text/plain anywhere; that must not start a job."""
    body = json.dumps({"bug": str(broken_bug)})
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = await client.post("/api/jobs", data=body, headers={"Content-Type": content_type})
        assert response.status == 415, content_type
        assert "application/json" in (await response.json())["error"]
    await no_jobs(client)


async def test_a_body_over_the_limit_is_413(client):
    big = json.dumps({"bug": "x" * (MAX_BODY + 10)})
    response = await client.post(
        "/api/jobs", data=big, headers={"Content-Type": "application/json"}
    )
    assert response.status == 413
    assert str(MAX_BODY) in (await response.json())["error"]
    await no_jobs(client)


@pytest.mark.parametrize(
    ("bug", "status", "named"),
    [
        ("/etc", 403, "not inside"),
        ("kbench-6.1/*", 400, "not SUITE/ID"),
        ("mpol-*", 400, "not SUITE/ID"),
        ("kbench-6.1/../../etc", 400, "not SUITE/ID"),
        ("a/b/c", 400, "not SUITE/ID"),
        ("relative/../dir", 400, "not SUITE/ID"),
        ("./bug", 400, "absolute"),
    ],
)
async def test_bugs_come_only_from_installed_suites_or_allowed_dirs(client, bug, status, named):
    response = await client.post("/api/jobs", json={"bug": bug})
    assert response.status == status, await response.text()
    assert named in (await response.json())["error"]
    await no_jobs(client)


async def test_a_bug_dir_outside_the_allowed_ones_is_refused(settings, tmp_path, broken_bug):
    settings = settings.model_copy(update={"serve_bug_dirs": str(tmp_path / "elsewhere")})
    server = TestServer(make_app(settings, TOKEN), host="127.0.0.1")
    async with TestClient(server, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        response = await c.post("/api/jobs", json={"bug": str(broken_bug)})
        assert response.status == 403
        assert "KGYM_SERVE_BUG_DIRS" not in (await response.json())["error"]
        assert str(tmp_path / "elsewhere") in (await response.json())["error"]
        # a symlink inside an allowed dir that points outside it is outside
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "link").symlink_to(broken_bug)
        response = await c.post("/api/jobs", json={"bug": str(tmp_path / "elsewhere" / "link")})
        assert response.status == 403


def test_the_token_file_is_private_and_stable(tmp_path):
    token = load_or_create_token(tmp_path)
    path = tmp_path / "service-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 32 and load_or_create_token(tmp_path) == token
    path.chmod(0o644)
    assert load_or_create_token(tmp_path) == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert bearer_ok(f"Bearer {token}", token) and not bearer_ok(f"Bearer {token}x", token)
    assert not bearer_ok(None, token) and not bearer_ok(token, token)
    assert not bearer_ok("Bearer ñ\udcff", token)  # any text a header may hold: no error


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::")


def test_serve_refuses_no_token_on_a_reachable_address(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KGYM_HOME", str(tmp_path))
    assert main(["serve", "--host", "0.0.0.0", "--no-token"]) == 2
    err = capsys.readouterr().err
    assert "refusing to listen on 0.0.0.0 without a token" in err
    assert not (tmp_path / "service-token").exists()


async def test_jobs_survive_a_restart(settings):
    jobs = Jobs(settings)
    done = Job(id="job-1", bug="b", run_id="r1", argv=["kgym"], log="l", state="finished",
               exit_code=0, ended=2.0, result={"resolved": True})  # fmt: skip
    lost = Job(id="job-2", bug="b", run_id="r2", argv=["kgym"], log="l", pid=1)
    for job in (done, lost):
        jobs.store.save(job)
    again = Jobs(settings)  # a new service over the same KGYM_HOME
    assert again.get("job-1").to_json() == done.to_json()
    assert again.get("job-2").state == "interrupted"  # it was running when its service went
    assert JobStore(settings.home / "jobs" / "jobs.sqlite").load()[1].state == "interrupted"
    server = TestServer(make_app(settings, TOKEN), host="127.0.0.1")
    async with TestClient(server, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        listed = (await (await c.get("/api/jobs")).json())["jobs"]
        assert [j["job_id"] for j in listed] == ["job-2", "job-1"]  # newest first
        response = await c.delete("/api/jobs/job-2")
        assert response.status == 409
        assert "interrupted" in (await response.json())["error"]
