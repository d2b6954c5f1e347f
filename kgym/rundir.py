"""The run-directory format (DESIGN.md rule 6), shared by the agent, the CLI and the service.

A run is a directory `<runs_dir>/<run_id>/` holding:
- `events.jsonl`: its one event stream (kgym/events.py writes it);
- `run.json`: what was asked (bug, model, options);
- `checkpoints.sqlite`: the agent's LangGraph checkpoints (graph/ reads and writes it);
- `llm.jsonl`: every LLM request (its fingerprint) and response, in order (graph/record.py),
  what `kgym fix --replay` answers from;
- `patch.mbox`: the chosen patch as a `git format-patch` mail.
Directories without `events.jsonl` (VM scratch dirs) are not runs. Here: name,
find, read, summarise and follow runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from kgym.events import EVENTS_FILE

RUN_JSON = "run.json"
CHECKPOINTS = "checkpoints.sqlite"
# The nodes that start and end a whole run (the agent, and the CLI's platform commands);
# their `run.end` is a run's last event.
RUN_NODES = ("agent", "repro", "verify", "bench")
LLM_RECORDING = "llm.jsonl"
MBOX = "patch.mbox"
STALE_S = 3600.0  # a run with no event for this long, and no end, is not running any more
POLL_S = 0.3
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


def new_run_id(kind: str, name: str) -> str:
    """A fresh run id: `<kind>-<name>-<time>-<random>` (kind: repro, verify, fix, bench)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:80]
    return f"{kind}-{safe}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def check_run_id(run_id: str) -> str:
    """`run_id` if it names a run directory (no `/`, no `..`); ValueError otherwise."""
    if not RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise ValueError(f"{run_id!r} is not a run id (letters, digits, '.', '_', '-'; no '..')")
    return run_id


def is_final(event: dict) -> bool:
    return event.get("event") == "run.end" and event.get("node") in RUN_NODES


def parse_line(line: str) -> dict:
    """One trace line as an event; an unreadable line becomes an `unreadable` event."""
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return {"node": "?", "event": "unreadable", "line": line[:500]}
    return event


def read_events(run_dir: Path) -> list[dict]:
    """The complete lines of a run's trace, in order (a half-written last line is left out)."""
    try:
        text = (run_dir / EVENTS_FILE).read_text(errors="replace")
    except FileNotFoundError:
        return []
    complete, _, _ = text.rpartition("\n")
    return [parse_line(line) for line in complete.splitlines() if line.strip()]


def run_dirs(runs_dir: Path) -> list[Path]:
    """Directories under `runs_dir` that hold a trace."""
    if not runs_dir.is_dir():
        return []
    return [p for p in runs_dir.iterdir() if (p / EVENTS_FILE).is_file()]


def write_meta(run_dir: Path, meta: dict[str, Any]) -> None:
    """Write `run.json` (what was asked)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_JSON).write_text(json.dumps(meta, indent=2, default=str))


def read_meta(run_dir: Path) -> dict:
    """`run.json` (what was asked), or {} when missing or unreadable."""
    try:
        meta = json.loads((run_dir / RUN_JSON).read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def summarize(run_dir: Path, events: list[dict], running: bool | None = None) -> dict[str, Any]:
    """A run at a glance. `running` overrides the status guess (the service knows its jobs)."""
    meta = read_meta(run_dir)
    start = next((e for e in events if e.get("event") in ("run.start", "run.resume")), None)
    end = next((e for e in reversed(events) if is_final(e)), None)
    last = events[-1] if events else None
    counted = [end] if end else events
    input_tokens = sum(int(e.get("input_tokens") or 0) for e in counted)
    output_tokens = sum(int(e.get("output_tokens") or 0) for e in counted)
    return {
        "run_id": run_dir.name,
        "bug": meta.get("bug") or (start or {}).get("bug"),
        "model": meta.get("model") or (start or {}).get("model"),
        "options": meta.get("options"),
        "started": (start or last or {}).get("ts"),
        "last_event": _brief(last),
        "events": len(events),
        "status": _status(run_dir, last, end, running),
        "resolved": end.get("resolved") if end else None,
        "reason": end.get("reason") if end else None,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "tokens": input_tokens + output_tokens,
        "cost_usd": round(sum(float(e.get("cost_usd") or 0.0) for e in counted), 6),
        "duration_s": end.get("duration_s") if end else None,
    }


def _brief(event: dict | None) -> dict | None:
    if event is None:
        return None
    return {k: event.get(k) for k in ("node", "event", "hypothesis", "ts")}


def _status(run_dir: Path, last: dict | None, end: dict | None, running: bool | None) -> str:
    """finished (its end event is there), running, or stopped (died, was cancelled, or stale)."""
    if end:
        return "finished"
    if running is not None:
        return "running" if running else "stopped"
    if last and last.get("error"):
        return "stopped"  # a span raised: the run ended with that exception
    mtime = (run_dir / EVENTS_FILE).stat().st_mtime
    return "stopped" if time.time() - mtime > STALE_S else "running"


def list_runs(runs_dir: Path, running: Callable[[str], bool | None] = lambda _: None) -> list[dict]:
    """Every run's summary, newest first."""
    runs = [summarize(d, read_events(d), running(d.name)) for d in run_dirs(runs_dir)]
    return sorted(runs, key=lambda r: r["started"] or 0.0, reverse=True)


class Tail:
    """The events appended under `runs_dir` (to any run) since the last `poll`."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self._offsets: dict[Path, int] = {}

    def poll(self) -> list[dict]:
        """Complete new lines of every run's stream, file by file."""
        found = []
        for run_dir in run_dirs(self.runs_dir):
            path = run_dir / EVENTS_FILE
            offset = self._offsets.get(path, 0)
            chunk = _read_from(path, offset)
            complete, newline, _ = chunk.rpartition(b"\n")
            self._offsets[path] = offset + len(complete) + len(newline)
            found += [parse_line(raw.decode(errors="replace"))
                      for raw in complete.split(b"\n") if raw.strip()]  # fmt: skip
        return found


async def follow(
    path: Path, done: Callable[[], bool] = lambda: False, poll_s: float = POLL_S
) -> AsyncIterator[dict]:
    """The events of `path`: those already there, then each new line as it is appended.

    Ends after the run's final event, or when `done()` says no more lines will
    come and the file is drained. A missing file is waited for.
    """
    offset, partial = 0, b""
    while True:
        finished = done()  # asked before reading, so lines written meanwhile are not lost
        chunk = await asyncio.to_thread(_read_from, path, offset)
        offset += len(chunk)
        *lines, partial = (partial + chunk).split(b"\n")
        for raw in lines:
            if raw.strip():
                event = parse_line(raw.decode(errors="replace"))
                yield event
                if is_final(event):
                    return
        if finished:
            return
        await asyncio.sleep(poll_s)


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with path.open("rb") as f:
            f.seek(offset)
            return f.read()
    except FileNotFoundError:
        return b""


# --- a person's review of a patch (`kgym fix --human --review rundir`) --------------

REVIEW_DIR = "review"
REVIEW_ACTIONS = ("approve", "edit", "reject")


def _review_path(run_dir: Path, hypothesis: str, suffix: str) -> Path:
    return run_dir / REVIEW_DIR / f"{check_run_id(hypothesis)}.{suffix}.json"


def ask_review(run_dir: Path, question: dict[str, Any]) -> Path:
    """Leave a review question ({hypothesis, root_cause, patch}) for a person; its path."""
    path = _review_path(run_dir, str(question["hypothesis"]), "question")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, question)
    return path


def check_answer(answer: object) -> dict[str, Any]:
    """A review answer {action, patch?}; ValueError naming what is wrong."""
    if not isinstance(answer, dict):
        raise ValueError('a review answer is an object like {"action": "approve"}')
    unknown = sorted(set(answer) - {"action", "patch"})
    if unknown:
        raise ValueError(f"unknown field(s) in the review answer: {', '.join(unknown)}")
    action = answer.get("action")
    if action not in REVIEW_ACTIONS:
        raise ValueError(f"'action' must be one of {', '.join(REVIEW_ACTIONS)}, not {action!r}")
    patch = answer.get("patch")
    if action == "edit" and (not isinstance(patch, str) or not patch.strip()):
        raise ValueError("an 'edit' answer needs 'patch': the edited unified diff")
    if action != "edit" and patch is not None:
        raise ValueError(f"only an 'edit' answer carries a 'patch', not {action!r}")
    return {"action": action, **({"patch": patch} if action == "edit" else {})}


def answer_review(run_dir: Path, hypothesis: str, answer: object) -> dict[str, Any]:
    """Answer the pending question about `hypothesis`; ValueError if there is none or it
    was answered already, or the answer is malformed."""
    answer = check_answer(answer)
    if not _review_path(run_dir, hypothesis, "question").is_file():
        raise ValueError(f"no review of {hypothesis!r} is waiting in run {run_dir.name!r}")
    path = _review_path(run_dir, hypothesis, "answer")
    tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_text(json.dumps(answer, indent=1))
    try:
        os.link(tmp, path)  # atomic, and fails when someone answered first
    except FileExistsError:
        raise ValueError(f"the review of {hypothesis!r} is answered already") from None
    finally:
        tmp.unlink()
    return answer


def read_answer(run_dir: Path, hypothesis: str) -> dict[str, Any] | None:
    """The answer to the question about `hypothesis`, once a person gave it."""
    path = _review_path(run_dir, hypothesis, "answer")
    try:
        return check_answer(json.loads(path.read_text()))
    except FileNotFoundError:
        return None


def reviews(run_dir: Path) -> list[dict[str, Any]]:
    """Every review question of the run, with its answer (None while pending)."""
    out = []
    for path in sorted((run_dir / REVIEW_DIR).glob("*.question.json")):
        try:
            question = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        hypothesis = path.name.removesuffix(".question.json")
        try:
            answer = read_answer(run_dir, hypothesis)
        except ValueError:
            answer = None
        out.append({**question, "hypothesis": hypothesis, "answer": answer})
    return out


def _write_atomic(path: Path, obj: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    tmp.replace(path)
