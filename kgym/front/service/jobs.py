"""Background jobs: `kgym fix` runs started by the service, each a subprocess.

A job's stdout is the `kgym fix --json` result; its stderr (logs) goes to
`$KGYM_HOME/jobs/<job_id>.log`. Cancelling sends SIGINT (kgym fix cleans up:
VMs, the offline LLM server), then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.suites import resolve_bug
from graph.agent import new_run_id
from kgym.settings import Settings

CANCEL_GRACE_S = 10.0
LIMITS = {"hypotheses": (1, 16), "max_iterations": (1, 20)}  # field: (min, max)
FIELDS = {"bug", *LIMITS}


@dataclass
class Job:
    """One `kgym fix` subprocess and what became of it."""

    id: str
    bug: str
    run_id: str
    argv: list[str]
    log: str
    started: float = field(default_factory=time.time)
    state: str = "running"  # running | finished | failed | cancelled
    exit_code: int | None = None
    ended: float | None = None
    result: dict | None = None  # the `kgym fix --json` object
    proc: asyncio.subprocess.Process | None = field(default=None, repr=False)
    waiter: asyncio.Task | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        keys = ("id", "bug", "run_id", "state", "exit_code", "started", "ended", "result", "log")
        return {"job_id" if k == "id" else k: getattr(self, k) for k in keys} | {
            "pid": self.proc.pid if self.proc else None,
            "argv": self.argv,
        }


class JobError(ValueError):
    """A job request that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def check_request(body: object) -> tuple[str, dict[str, int]]:
    """(bug argument, options) from a POST /api/jobs body; JobError naming what is wrong."""
    if not isinstance(body, dict):
        raise JobError('the body must be a JSON object like {"bug": "SUITE/ID"}')
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        known = ", ".join(sorted(FIELDS))
        raise JobError(f"unknown field(s): {', '.join(unknown)} (known: {known})")
    bug = body.get("bug")
    if not isinstance(bug, str) or not bug.strip():
        raise JobError("'bug' must be a non-empty string: a bug directory, SUITE/ID or a bug id")
    options = {}
    for name, (low, high) in LIMITS.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise JobError(f"{name!r} must be an integer from {low} to {high}, not {value!r}")
        options[name] = value
    return bug.strip(), options


class Jobs:
    """The service's jobs, by id."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs: dict[str, Job] = {}

    async def start(self, body: object) -> Job:
        """Validate `body` and start `kgym fix` for it."""
        bug_arg, options = check_request(body)
        try:
            bug = await asyncio.to_thread(resolve_bug, bug_arg)
        except ValueError as e:
            raise JobError(str(e)) from None
        job_id = f"job-{uuid.uuid4().hex[:8]}"
        run_id = new_run_id(bug)
        argv = [
            sys.executable,
            "-m",
            "kgym.front.cli",
            "fix",
            bug.dir,
            "--json",
            "--run-id",
            run_id,
        ]
        for name, value in options.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        log_path = self.settings.home / "jobs" / f"{job_id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        job = Job(id=job_id, bug=bug.id, run_id=run_id, argv=argv, log=str(log_path))
        with log_path.open("wb") as log:
            job.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env={**os.environ, "KGYM_HOME": str(self.settings.home)},
            )
        job.waiter = asyncio.create_task(self._wait(job))
        self.jobs[job_id] = job
        return job

    async def _wait(self, job: Job) -> None:
        assert job.proc is not None
        out, _ = await job.proc.communicate()
        job.exit_code = job.proc.returncode
        job.ended = time.time()
        job.result = _last_json(out)
        if job.state == "running":
            ok = job.exit_code in (0, 1) and job.result is not None and "error" not in job.result
            job.state = "finished" if ok else "failed"

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobError(f"no job {job_id!r}", status=404)
        return job

    def running(self, run_id: str) -> bool | None:
        """Whether the job behind `run_id` is running; None when no job of ours made it."""
        states = [j.state == "running" for j in self.jobs.values() if j.run_id == run_id]
        return any(states) if states else None

    async def cancel(self, job_id: str) -> Job:
        """Stop a running job: SIGINT, then SIGKILL after the grace period."""
        job = self.get(job_id)
        assert job.proc is not None and job.waiter is not None
        if job.proc.returncode is not None:
            await job.waiter  # it ended on its own: its state says how
        if job.state != "running":
            raise JobError(f"job {job_id!r} is not running (it is {job.state})", status=409)
        job.state = "cancelled"
        job.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(asyncio.shield(job.waiter), CANCEL_GRACE_S)
        except TimeoutError:
            job.proc.kill()
            await job.waiter
        return job

    async def close(self) -> None:
        """Cancel every running job (the service is shutting down)."""
        running = [j.id for j in self.jobs.values() if j.state == "running"]
        await asyncio.gather(*(self.cancel(job_id) for job_id in running))


def _last_json(out: bytes) -> dict | None:
    """The last JSON object printed on stdout, if any."""
    for line in reversed(out.decode(errors="replace").splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
