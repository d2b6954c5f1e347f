"""The aiohttp application: the API under /api/, the static UI at / and /static/."""

from __future__ import annotations

import asyncio

from aiohttp import web

from kgym.front.service.api import JOBS, SETTINGS, STOPPING, json_errors, routes
from kgym.front.service.jobs import Jobs
from kgym.resources import package_path
from kgym.settings import Settings

STATIC_DIR = package_path("kgym.front.service", "static")


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html")


async def _end_streams(app: web.Application) -> None:
    app[STOPPING].set()


async def _stop_jobs(app: web.Application) -> None:
    await app[JOBS].close()


def make_app(settings: Settings) -> web.Application:
    """The service for the runs and jobs under `settings.home`."""
    app = web.Application(middlewares=[json_errors])
    app[SETTINGS] = settings
    app[JOBS] = Jobs(settings)
    app[STOPPING] = asyncio.Event()
    app.add_routes(routes)
    app.router.add_get("/", index)
    app.router.add_static("/static/", STATIC_DIR)
    app.on_shutdown.append(_end_streams)
    app.on_cleanup.append(_stop_jobs)
    return app
