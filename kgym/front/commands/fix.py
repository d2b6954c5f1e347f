"""`kgym fix BUG`: run the repair agent (kAgent) on a bug, with live progress.

`--replay RUN_ID` re-runs a run with every LLM answer read from its recording
(no endpoint); `--fork RUN_ID --at STEP [--model M]` goes on from a checkpoint
of it as a new run. With no LLM endpoint configured (no --base-url, no
KGYM_LLM_BASE_URL, no API key) or with --offline, it starts llama.cpp's server with a small packaged
model on 127.0.0.1: that proves the path runs offline, not that the model
fixes kernels.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from graph.agent import fix, fork, new_run_id, replay, resume
from graph.context import FixOptions
from graph.llm import chat_model
from graph.state import FixResult
from kgym import log, rundir
from kgym.front.commands.common import (
    add_platform_arguments,
    checked_bug,
    emit,
    fail,
    open_platform,
    stderr,
)
from kgym.front.offline_llm import CAVEAT, MODEL_NAME, OfflineLLMUnavailable, offline_server
from kgym.front.otel import SpanExporter, otlp_provider
from kgym.log import get_logger
from kgym.narrate import describe
from kgym.rundir import check_run_id
from kgym.settings import Settings, settings

OFFLINE_ANSWER_TOKENS = 512


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_platform_arguments(parser)
    d = FixOptions()
    parser.add_argument(
        "--hypotheses",
        "-k",
        type=int,
        default=d.hypotheses,
        help=f"hypotheses explored in parallel (default {d.hypotheses})",
    )
    parser.add_argument(
        "--max-iterations",
        type=int,
        default=d.max_iterations,
        help=f"planner rounds (default {d.max_iterations})",
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=d.max_tokens,
        help=f"token budget (default {d.max_tokens})",
    )
    parser.add_argument(
        "--max-wall", type=float, default=d.max_wall_s, metavar="SECONDS", help="wall-time budget"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=None,
        help="reproducer runs per verification (default: settings.verify_runs)",
    )
    parser.add_argument(
        "--siblings",
        choices=("finish", "cancel"),
        default=d.siblings,
        help="when one hypothesis resolves, the others still verifying finish (their "
        "verdicts help choose among resolved patches) or are cancelled to save VM time "
        f"(default {d.siblings})",
    )
    parser.add_argument("--model", help="model name (default: settings.llm_model)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (default: settings)")
    parser.add_argument(
        "--offline", action="store_true", help="use the embedded llama.cpp server and small model"
    )
    parser.add_argument(
        "--human",
        action="store_true",
        help="pause before verifying each patch: approve, edit or reject it",
    )
    parser.add_argument(
        "--review",
        choices=("terminal", "rundir"),
        default="terminal",
        help="with --human: ask on this terminal, or leave the question in the run's "
        "directory for `kgym serve`'s page to answer (default terminal)",
    )
    parser.add_argument("--resume", metavar="RUN_ID", help="go on with an earlier run of BUG")
    parser.add_argument(
        "--replay",
        metavar="RUN_ID",
        help="re-run RUN_ID with every LLM answer from its recording (no endpoint)",
    )
    parser.add_argument(
        "--fork", metavar="RUN_ID", help="a new run from RUN_ID's checkpoint at --at STEP"
    )
    parser.add_argument("--at", type=int, metavar="STEP", help="the step --fork starts from")
    parser.add_argument(
        "--run-id", help="the new run's id (default: fix-BUG-TIME-RANDOM); must not exist yet"
    )


async def run(args: argparse.Namespace) -> int:
    try:
        bug = await checked_bug(args.bug)
        options = _options(args, settings())
        if args.run_id:
            _check_new_run_id(args, settings())
    except ValueError as e:
        return fail(str(e), args.json, bug=args.bug)
    run_id = args.resume or args.run_id or new_run_id(bug)
    reviewer = _reviewer(args, settings().runs_dir / run_id) if args.human else None
    listeners = [] if args.json else [_progress]
    log.set_stderr_level(logging.WARNING)  # progress comes from the run's events
    try:
        _check_modes(args)
    except ValueError as e:
        return fail(str(e), args.json, bug=bug.id)
    if args.replay:
        try:
            async with open_platform(args) as platform:
                result = await replay(
                    args.replay, platform, new_run_id=args.run_id, listeners=listeners
                )
        except ValueError as e:  # ReplayDiverged is a RuntimeError: it propagates, named
            return fail(str(e), args.json, bug=bug.id)
        return _report(args, result, "")
    provider = otlp_provider()  # OpenTelemetry export, when OTEL_EXPORTER_OTLP_* asks for it
    if provider is not None:
        listeners.append(SpanExporter(provider))
    try:
        async with _llm(args, settings()) as (llm, note):
            if note:
                stderr.print(f"[yellow]{note}[/yellow]")
            async with open_platform(args) as platform:
                if args.fork:
                    result = await fork(
                        args.fork,
                        args.at,
                        platform,
                        llm,
                        new_run_id=args.run_id,
                        listeners=listeners,
                    )
                elif args.resume:
                    result = await resume(
                        args.resume, platform, llm, listeners=listeners, reviewer=reviewer
                    )
                else:
                    result = await fix(
                        bug,
                        platform,
                        llm,
                        options,
                        run_id=run_id,
                        listeners=listeners,
                        reviewer=reviewer,
                    )
    except (OfflineLLMUnavailable, ValueError) as e:
        return fail(str(e), args.json, bug=bug.id)
    finally:
        if provider is not None:
            provider.shutdown()  # sends what is left
    return _report(args, result, note)


def _report(args: argparse.Namespace, result: FixResult, note: str) -> int:
    out = fix_json(result)
    if note:
        out["note"] = note
    emit(out, args.json)
    if not args.json:
        _summary(result)
    return 0 if result.resolved else 1


def _check_modes(args: argparse.Namespace) -> None:
    modes = [m for m in ("resume", "replay", "fork") if getattr(args, m)]
    if len(modes) > 1:
        raise ValueError(f"give one of --resume, --replay, --fork (got {', '.join(modes)})")
    if args.fork and args.at is None:
        raise ValueError("--fork RUN_ID needs --at STEP (the checkpoint step to go on from)")
    if args.at is not None and not args.fork:
        raise ValueError("--at STEP goes with --fork RUN_ID")


def fix_json(result: FixResult) -> dict:
    """The stable `kgym fix --json` object."""
    keys = (
        "bug",
        "resolved",
        "patch",
        "iterations",
        "hypotheses",
        "tokens",
        "cost_usd",
        "wall_s",
        "run_id",
        "reason",
        "mbox",
        "rule",
        "parent",
    )
    return {k: getattr(result, k) for k in keys}


def _options(args: argparse.Namespace, s: Settings) -> FixOptions:
    for name in ("hypotheses", "max_iterations", "max_tokens"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1")
    return FixOptions(
        hypotheses=args.hypotheses,
        max_iterations=args.max_iterations,
        max_tokens=args.max_tokens,
        max_wall_s=args.max_wall,
        verify_runs=args.runs or s.verify_runs,
        context_tokens=s.llm_context_tokens,
        human=args.human,
        siblings=args.siblings,
    )


def _check_new_run_id(args: argparse.Namespace, s: Settings) -> None:
    check_run_id(args.run_id)
    if args.resume:
        raise ValueError("--run-id names a new run; --resume goes on with an old one: give one")
    if (s.runs_dir / args.run_id).exists():
        raise ValueError(f"run {args.run_id!r} exists already ({s.runs_dir / args.run_id})")


@asynccontextmanager
async def _llm(args: argparse.Namespace, s: Settings) -> AsyncIterator[tuple[object, str]]:
    """The chat model, and a note for the user (the offline caveat)."""
    configured = (
        args.base_url or s.llm_base_url or s.llm_api_key or os.environ.get("OPENAI_API_KEY")
    )
    if configured and not args.offline:
        yield chat_model(s, model=args.model, base_url=args.base_url), ""
        return
    async with offline_server(s.home / "offline-llm.log") as url:
        llm = chat_model(s, model=MODEL_NAME, base_url=url, max_tokens=OFFLINE_ANSWER_TOKENS)
        yield llm, CAVEAT


# --- live progress and review ------------------------------------------------------


def _progress(event: dict) -> None:
    line = describe(event)
    if line:
        stderr.print(f"[dim]{event.get('node', '?'):>12}[/dim] {line}", highlight=False)


REVIEW_POLL_S = 0.5


def _reviewer(args: argparse.Namespace, run_dir: Path):
    return _ask_person if args.review == "terminal" else _RundirReviewer(run_dir)


class _RundirReviewer:
    """Leaves each question in the run's directory and waits for the page's answer."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir

    async def __call__(self, question: dict) -> dict:
        hypothesis = str(question["hypothesis"])
        log = get_logger("review")
        rundir.ask_review(self.run_dir, question)
        log.info("review.waiting", node="review", hypothesis=hypothesis)
        started = time.monotonic()
        while (answer := _read_answer(self.run_dir, hypothesis, log)) is None:
            await asyncio.sleep(REVIEW_POLL_S)
        log.info(
            "review.answered",
            node="review",
            hypothesis=hypothesis,
            action=answer["action"],
            duration_s=round(time.monotonic() - started, 3),
        )
        return answer


def _read_answer(run_dir: Path, hypothesis: str, log) -> dict | None:
    try:
        return rundir.read_answer(run_dir, hypothesis)
    except (ValueError, OSError) as e:  # written by hand and malformed: say so, keep waiting
        log.warning("review.bad_answer", node="review", hypothesis=hypothesis, error=str(e))
        return None


async def _ask_person(question: dict) -> dict:
    stderr.rule(f"review {question['hypothesis']}: {question['root_cause']}")
    stderr.print(question["patch"], markup=False, highlight=False)
    while True:
        answer = stderr.input("[a]pprove, [e]dit (give a patch file), [r]eject? ").strip().lower()
        if answer in ("a", "approve"):
            return {"action": "approve"}
        if answer in ("r", "reject"):
            return {"action": "reject"}
        if answer in ("e", "edit"):
            path = Path(stderr.input("edited patch file: ").strip())
            if path.is_file():
                return {"action": "edit", "patch": path.read_text()}
            stderr.print(f"[red]{path}: no such file[/red]")


def _summary(result: FixResult) -> None:
    verdicts = ", ".join(f"{h['id']}={h['outcome']}" for h in result.hypotheses)
    stderr.print(
        f"{'[green]resolved' if result.resolved else '[red]not resolved'}[/] after "
        f"{result.iterations} iteration(s) ({verdicts}); {result.tokens} tokens, "
        f"${result.cost_usd:.4f}, {result.wall_s:.0f} s; run {result.run_id}"
    )
    if result.mbox:
        stderr.print(result.mbox, markup=False, highlight=False)
    elif result.patch:
        stderr.print(result.patch, markup=False, highlight=False)
