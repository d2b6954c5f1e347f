"""The REST API: the graph, runs (summary, events, timeline, hypotheses, live SSE stream,
console logs, reviews) and jobs (start, watch, cancel).

Requests that start, cancel or answer work (`@protected`) need the service token;
bodies are JSON (`Content-Type: application/json`) of at most MAX_BODY bytes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from aiohttp import web

from graph.agent import read_hypotheses
from kgym import rundir
from kgym.front.service import view
from kgym.front.service.auth import bearer_ok
from kgym.front.service.jobs import JobError, Jobs
from kgym.rundir import check_run_id, follow, list_runs, read_events, summarize
from kgym.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
JOBS = web.AppKey("jobs", Jobs)
STOPPING = web.AppKey("stopping", asyncio.Event)  # set on shutdown: live streams end
TOKEN = web.AppKey("token", str)  # "" when the service runs without one (loopback only)
MAX_BODY = 256 * 1024  # bytes: an edited patch fits, a flood does not
LOG_SUFFIXES = (".log", ".out")  # files of a run the service hands out

routes = web.RouteTableDef()


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def protected(handler):
    """Mark a handler that starts, cancels or answers work: it needs the token."""
    handler.protected = True
    return handler


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
        if e.status == 413:
            return error(413, f"the request body is larger than {MAX_BODY} bytes")
        return error(e.status, f"{e.reason}: {request.method} {request.path}")


@web.middleware
async def guard(request: web.Request, handler) -> web.StreamResponse:
    """The token, and a JSON body, for protected handlers (checked before the body is read:
    a form or text/plain POST from another web page never starts anything)."""
    if getattr(request.match_info.handler, "protected", False):
        token = request.app[TOKEN]
        if token and not bearer_ok(request.headers.get("Authorization"), token):
            return error(
                401,
                "this request needs the service token: send 'Authorization: Bearer TOKEN' "
                "(kgym serve printed it; it is in $KGYM_HOME/service-token)",
            )
        if request.method == "POST" and request.content_type != "application/json":
            return error(
                415, f"the body must be JSON (Content-Type: application/json), "
                f"not {request.content_type!r}"
            )  # fmt: skip
    return await handler(request)


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


@routes.get("/api/graph")
async def get_graph(request: web.Request) -> web.Response:
    """The agent's graph as LangGraph compiles it: nodes (with layers) and edges."""
    return web.json_response(view.graph_shape())


@routes.get("/api/runs/{run_id}")
async def get_run(request: web.Request) -> web.Response:
    run_id, run_dir = _run_dir(request)
    events = await asyncio.to_thread(read_events, run_dir)
    checkpointed = await asyncio.to_thread(read_hypotheses, run_dir, run_id)
    return web.json_response(
        {
            "run": summarize(run_dir, events, request.app[JOBS].running(run_id)),
            "events": events,
            "hypotheses": view.hypotheses(events, checkpointed, run_dir, run_id),
            "bug_runs": view.bug_runs(events, run_dir, run_id),
            "timeline": view.timeline(events),
            "usage": view.usage_by_node(events),
            "active": view.active_nodes(events),
            "reviews": rundir.reviews(run_dir),
        },
        dumps=_dumps,
    )


@routes.get("/api/runs/{run_id}/logs/{path:.+}")
async def get_log(request: web.Request) -> web.FileResponse:
    """A console log (or reproducer output) of one of the run's VM runs, as text."""
    _, run_dir = _run_dir(request)
    rel = request.match_info["path"]
    path = (run_dir / rel).resolve()
    inside = path.is_relative_to(run_dir.resolve()) and ".." not in rel.split("/")
    if not inside or not path.name.endswith(LOG_SUFFIXES) or not path.is_file():
        raise JobError(f"no log {rel!r} in run {run_dir.name!r}", status=404)
    return web.FileResponse(path, headers={"Content-Type": "text/plain; charset=utf-8"})


@routes.post("/api/runs/{run_id}/reviews/{hypothesis}")
@protected
async def post_review(request: web.Request) -> web.Response:
    """Answer a `--human` run's review of one patch: approve, edit (with a patch) or reject."""
    run_id, run_dir = _run_dir(request)
    hypothesis = request.match_info["hypothesis"]
    body = await _json_body(request, '{"action": "approve"}')
    try:
        check_run_id(hypothesis)
        answer = await asyncio.to_thread(rundir.answer_review, run_dir, hypothesis, body)
    except ValueError as e:
        status = 409 if "answered already" in str(e) else 404 if "no review" in str(e) else 400
        raise JobError(str(e), status=status) from None
    return web.json_response({"run_id": run_id, "hypothesis": hypothesis, **answer})


@routes.get("/api/runs/{run_id}/events/stream")
async def stream_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: one `data:` per trace event (its `id:` is its line number),
    then an `end` event after the run's final event or its job's exit.
    A reconnecting client (Last-Event-ID) gets only the events after the last it saw;
    `?after=N` skips the first N (a page that loaded them already)."""
    run_id, run_dir = _run_dir(request)
    skip = max(_last_event_id(request) + 1, _after(request))
    jobs = request.app[JOBS]
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


def _after(request: web.Request) -> int:
    """`?after=N`: the client has the first N events already."""
    try:
        return max(int(request.query.get("after", "0")), 0)
    except ValueError:
        raise JobError("'after' must be a count of events (an integer)") from None


def _last_event_id(request: web.Request) -> int:
    try:
        return int(request.headers.get("Last-Event-ID", "-1"))
    except ValueError:
        return -1


async def _json_body(request: web.Request, example: str) -> object:
    try:
        return await request.json()
    except ValueError:
        raise JobError(f"the body must be JSON, like {example}") from None


@routes.post("/api/jobs")
@protected
async def post_job(request: web.Request) -> web.Response:
    body = await _json_body(request, '{"bug": "SUITE/ID", "hypotheses": 2}')
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
@protected
async def delete_job(request: web.Request) -> web.Response:
    job = await request.app[JOBS].cancel(request.match_info["job_id"])
    return web.json_response(job.to_json())


def _dumps(obj: object) -> str:
    return json.dumps(obj, default=str)
