"""The REST API: runs (summary, events, live SSE stream) and jobs (start, watch, cancel)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web

from graph.agent import read_hypotheses
from kgym.front.service.jobs import JobError, Jobs
from kgym.rundir import check_run_id, follow, list_runs, read_events, summarize
from kgym.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
JOBS = web.AppKey("jobs", Jobs)
STOPPING = web.AppKey("stopping", asyncio.Event)  # set on shutdown: live streams end

routes = web.RouteTableDef()


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def json_errors(request: web.Request, handler) -> web.StreamResponse:
    """API errors as JSON objects `{"error": ...}` naming what is wrong."""
    try:
        return await handler(request)
    except JobError as e:
        return error(e.status, str(e))
    except web.HTTPException as e:
        if not request.path.startswith("/api/") or e.status < 400:
            raise
        return error(e.status, f"{e.reason}: {request.method} {request.path}")


def _run_dir(request: web.Request) -> tuple[str, Path]:
    """The run named in the URL and its directory; 400 for a bad id, 404 for an unknown run."""
    run_id = request.match_info["run_id"]
    try:
        check_run_id(run_id)
    except ValueError as e:
        raise JobError(str(e)) from None
    run_dir = request.app[SETTINGS].runs_dir / run_id
    if request.app[JOBS].running(run_id) is None and not (run_dir / "events.jsonl").is_file():
        raise JobError(f"no run {run_id!r} (no trace under {run_dir.parent})", status=404)
    return run_id, run_dir


@routes.get("/api/runs")
async def get_runs(request: web.Request) -> web.Response:
    runs = list_runs(request.app[SETTINGS].runs_dir, request.app[JOBS].running)
    return web.json_response({"runs": runs})


@routes.get("/api/runs/{run_id}")
async def get_run(request: web.Request) -> web.Response:
    run_id, run_dir = _run_dir(request)
    events = read_events(run_dir)
    return web.json_response(
        {
            "run": summarize(run_dir, events, request.app[JOBS].running(run_id)),
            "events": events,
            "hypotheses": read_hypotheses(run_dir, run_id),
        },
        dumps=_dumps,
    )


@routes.get("/api/runs/{run_id}/events/stream")
async def stream_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: one `data:` per trace event (its `id:` is its line number),
    then an `end` event after the run's final event or its job's exit.
    A reconnecting client (Last-Event-ID) gets only the events after the last it saw."""
    run_id, run_dir = _run_dir(request)
    jobs = request.app[JOBS]
    skip = _last_event_id(request) + 1
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)

    def done() -> bool:
        gone = request.transport is None or request.transport.is_closing()
        return gone or request.app[STOPPING].is_set() or jobs.running(run_id) is False

    try:
        index = -1
        async for index, event in _numbered(follow(run_dir / "events.jsonl", done)):
            if index >= skip:
                await response.write(f"id: {index}\ndata: {_dumps(event)}\n\n".encode())
        await response.write(f"id: {index}\nevent: end\ndata: {{}}\n\n".encode())
    except ConnectionResetError:
        pass  # the client went away
    return response


async def _numbered(events):
    index = 0
    async for event in events:
        yield index, event
        index += 1


def _last_event_id(request: web.Request) -> int:
    try:
        return int(request.headers.get("Last-Event-ID", "-1"))
    except ValueError:
        return -1


@routes.post("/api/jobs")
async def post_job(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise JobError('the body must be JSON, like {"bug": "SUITE/ID", "hypotheses": 2}') from None
    job = await request.app[JOBS].start(body)
    return web.json_response({"job_id": job.id, "run_id": job.run_id}, status=201)


@routes.get("/api/jobs")
async def get_jobs(request: web.Request) -> web.Response:
    jobs = sorted(request.app[JOBS].jobs.values(), key=lambda j: j.started, reverse=True)
    return web.json_response({"jobs": [j.to_json() for j in jobs]})


@routes.get("/api/jobs/{job_id}")
async def get_job(request: web.Request) -> web.Response:
    return web.json_response(request.app[JOBS].get(request.match_info["job_id"]).to_json())


@routes.delete("/api/jobs/{job_id}")
async def delete_job(request: web.Request) -> web.Response:
    job = await request.app[JOBS].cancel(request.match_info["job_id"])
    return web.json_response(job.to_json())


def _dumps(obj: object) -> str:
    return json.dumps(obj, default=str)
