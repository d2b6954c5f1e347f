"""Background jobs: `kgym fix` runs started by the service, each a subprocess.

A job's stdout is the `kgym fix --json` result; its stderr (logs) goes to
`$KGYM_HOME/jobs/<job_id>.log`. Cancelling sends SIGINT (kgym fix cleans up:
VMs, the offline LLM server), then SIGKILL after a grace period. Jobs are kept
in `$KGYM_HOME/jobs/jobs.sqlite`, so the list survives a restart; a job that was
running when its service stopped without cleaning up is marked `interrupted`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.suites import suite_roots
from graph.agent import new_run_id
from kgym.models import BugSpec
from kgym.settings import Settings

CANCEL_GRACE_S = 10.0
LIMITS = {"hypotheses": (1, 16), "max_iterations": (1, 20), "runs": (1, 10)}  # (min, max)
FLAGS = ("human",)  # boolean fields: `kgym fix --human` (review from the page)
FIELDS = {"bug", *LIMITS, *FLAGS}
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")  # a suite or bug id: no glob, no '..'
STATES = ("running", "finished", "failed", "cancelled", "interrupted")
COLUMNS = ("id", "bug", "run_id", "argv", "log", "started", "state", "exit_code", "ended",
           "result", "pid", "options")  # fmt: skip


@dataclass
class Job:
    """One `kgym fix` subprocess and what became of it."""

    id: str
    bug: str
    run_id: str
    argv: list[str]
    log: str
    started: float = field(default_factory=time.time)
    state: str = "running"  # one of STATES
    exit_code: int | None = None
    ended: float | None = None
    result: dict | None = None  # the `kgym fix --json` object
    pid: int | None = None
    options: dict = field(default_factory=dict)
    proc: asyncio.subprocess.Process | None = field(default=None, repr=False)
    waiter: asyncio.Task | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        keys = ("id", "bug", "run_id", "state", "exit_code", "started", "ended", "result", "log")
        return {"job_id" if k == "id" else k: getattr(self, k) for k in keys} | {
            "pid": self.pid,
            "argv": self.argv,
            "options": self.options,
        }


class JobError(ValueError):
    """A job request that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def check_request(body: object) -> tuple[str, dict[str, Any]]:
    """(bug argument, options) from a POST /api/jobs body; JobError naming what is wrong."""
    if not isinstance(body, dict):
        raise JobError('the body must be a JSON object like {"bug": "SUITE/ID"}')
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        known = ", ".join(sorted(FIELDS))
        raise JobError(f"unknown field(s): {', '.join(unknown)} (known: {known})")
    bug = body.get("bug")
    if not isinstance(bug, str) or not bug.strip():
        raise JobError("'bug' must be a non-empty string: SUITE/ID, a bug id or a bug directory")
    options: dict[str, Any] = {}
    for name, (low, high) in LIMITS.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise JobError(f"{name!r} must be an integer from {low} to {high}, not {value!r}")
        options[name] = value
    for name in FLAGS:
        value = body.get(name)
        if value is None:
            continue
        if not isinstance(value, bool):
            raise JobError(f"{name!r} must be true or false, not {value!r}")
        options[name] = value
    return bug.strip(), options


def resolve_allowed_bug(arg: str, settings: Settings) -> BugSpec:
    """The bug a job may run: `SUITE/ID` or a bare id of an installed suite, or a bug
    directory inside one of `settings.bug_dirs`. Nothing is globbed; JobError otherwise."""
    if arg.startswith(("/", ".", "~")):
        return _bug_in_allowed_dir(Path(arg).expanduser(), settings)
    parts = arg.strip("/").split("/")
    if len(parts) > 2 or not all(NAME.fullmatch(p) and ".." not in p for p in parts):
        raise JobError(
            f"'bug' {arg!r} is not SUITE/ID, a bug id, or an absolute bug directory path"
        )
    roots = [r for r in suite_roots() if r.is_dir()]
    if len(parts) == 2:
        found = [r / parts[0] / parts[1] for r in roots]
    else:
        found = [s / parts[0] for r in roots for s in sorted(r.iterdir()) if s.is_dir()]
    found = [d for d in found if (d / "bug.json").is_file()]
    if not found:
        raise JobError(f"no bug {arg!r} in the installed suites ({_suites(roots)})", status=404)
    if len(found) > 1:
        where = ", ".join(f"{d.parent.name}/{d.name}" for d in found)
        raise JobError(f"bug id {arg!r} is in several suites: {where}; name one as SUITE/ID")
    return _load(found[0])


def _bug_in_allowed_dir(path: Path, settings: Settings) -> BugSpec:
    allowed = [d.resolve() for d in settings.bug_dirs]
    if not path.is_absolute():
        raise JobError(f"a bug directory must be an absolute path, not {str(path)!r}")
    real = path.resolve()
    if not any(real.is_relative_to(d) for d in allowed):
        where = ", ".join(map(str, allowed)) or "none: set KGYM_SERVE_BUG_DIRS"
        raise JobError(
            f"{path}: not inside a directory the service may run bugs from ({where})",
            status=403,
        )
    if not (real / "bug.json").is_file():
        raise JobError(f"{path}: not a bug directory (no bug.json)", status=404)
    return _load(real)


def _load(bug_dir: Path) -> BugSpec:
    try:
        return BugSpec.load(bug_dir)
    except (OSError, ValueError) as e:
        raise JobError(f"{bug_dir}: unreadable bug record: {e}") from None


def _suites(roots: list[Path]) -> str:
    names = sorted({s.name for r in roots for s in r.iterdir() if s.is_dir()})
    return ", ".join(names) or "none installed"


class JobStore:
    """The jobs table in SQLite (one row per job, JSON fields as text)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, bug TEXT, run_id TEXT,"
                " argv TEXT, log TEXT, started REAL, state TEXT, exit_code INTEGER,"
                " ended REAL, result TEXT, pid INTEGER, options TEXT)"
            )

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def save(self, job: Job) -> None:
        row = [getattr(job, c) for c in COLUMNS]
        for i, c in enumerate(COLUMNS):
            if c in ("argv", "result", "options"):
                row[i] = json.dumps(row[i])
        marks = ", ".join("?" for _ in COLUMNS)
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT OR REPLACE INTO jobs ({', '.join(COLUMNS)}) VALUES ({marks})", row)

    def load(self) -> list[Job]:
        with closing(self._connect()) as db:
            rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM jobs ORDER BY started").fetchall()
        jobs = []
        for row in rows:
            values = dict(zip(COLUMNS, row, strict=True))
            for c in ("argv", "result", "options"):
                values[c] = json.loads(values[c]) if values[c] else None
            values["options"] = values["options"] or {}
            jobs.append(Job(**values))
        return jobs


class Jobs:
    """The service's jobs, by id, kept in `$KGYM_HOME/jobs/jobs.sqlite`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.dir = settings.home / "jobs"
        self.store = JobStore(self.dir / "jobs.sqlite")
        self.jobs: dict[str, Job] = {}
        for job in self.store.load():
            if job.state == "running":  # its service went away without stopping it
                job.state, job.ended = "interrupted", job.ended or time.time()
                self.store.save(job)
            self.jobs[job.id] = job

    async def start(self, body: object) -> Job:
        """Validate `body` and start `kgym fix` for it."""
        bug_arg, options = check_request(body)
        bug = await asyncio.to_thread(resolve_allowed_bug, bug_arg, self.settings)
        job_id = f"job-{uuid.uuid4().hex[:8]}"
        run_id = new_run_id(bug)
        argv = [sys.executable, "-m", "kgym.front.cli", "fix", bug.dir, "--json"]
        argv += ["--run-id", run_id]
        for name, value in options.items():
            if name in FLAGS:
                argv += [f"--{name}"] if value else []
            else:
                argv += [f"--{name.replace('_', '-')}", str(value)]
        if options.get("human"):
            argv += ["--review", "rundir"]  # answered through the service, not a terminal
        log_path = self.dir / f"{job_id}.log"
        job = Job(
            id=job_id, bug=bug.id, run_id=run_id, argv=argv, log=str(log_path), options=options
        )
        with log_path.open("wb") as log:
            job.proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                env={**os.environ, "KGYM_HOME": str(self.settings.home)},
            )
        job.pid = job.proc.pid
        self.jobs[job_id] = job
        self.store.save(job)
        job.waiter = asyncio.create_task(self._wait(job))
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
        self.store.save(job)

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
        if job.proc is None or job.waiter is None:  # from before a restart
            raise JobError(f"job {job_id!r} is not running (it is {job.state})", status=409)
        if job.proc.returncode is not None:
            await job.waiter  # it ended on its own: its state says how
        if job.state != "running":
            raise JobError(f"job {job_id!r} is not running (it is {job.state})", status=409)
        job.state = "cancelled"
        self.store.save(job)
        job.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(asyncio.shield(job.waiter), CANCEL_GRACE_S)
        except TimeoutError:
            job.proc.kill()
            await job.waiter
        return job

    async def close(self) -> None:
        """Cancel every running job (the service is shutting down)."""
        running = [j.id for j in self.jobs.values() if j.state == "running" and j.proc]
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
