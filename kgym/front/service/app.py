"""The aiohttp application: the API under /api/, the static UI at / and /static/."""

from __future__ import annotations

import asyncio

from aiohttp import web

from kgym.front.service.api import (
    JOBS,
    MAX_BODY,
    SETTINGS,
    STOPPING,
    TOKEN,
    guard,
    json_errors,
    routes,
)
from kgym.front.service.jobs import Jobs
from kgym.front.service.openapi import openapi
from kgym.resources import package_path
from kgym.settings import Settings

STATIC_DIR = package_path("kgym.front.service", "static")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(openapi(str(request.url.origin())))


async def _end_streams(app: web.Application) -> None:
    app[STOPPING].set()


async def _stop_jobs(app: web.Application) -> None:
    await app[JOBS].close()


def make_app(settings: Settings, token: str) -> web.Application:
    """The service for the runs and jobs under `settings.home`; `token` guards the requests
    that start, cancel or answer work ("" turns that off: only for a loopback address)."""
    app = web.Application(middlewares=[json_errors, guard], client_max_size=MAX_BODY)
    app[SETTINGS] = settings
    app[JOBS] = Jobs(settings)
    app[STOPPING] = asyncio.Event()
    app[TOKEN] = token
    app.add_routes(routes)
    app.router.add_get("/", index)
    app.router.add_get("/api/openapi.json", openapi_json)
    app.router.add_static("/static/", STATIC_DIR)
    app.on_shutdown.append(_end_streams)
    app.on_cleanup.append(_stop_jobs)
    return app
