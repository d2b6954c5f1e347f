"""`kgym bench import|validate|run|report`: kBench records, suites, runs, reports."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from kgym.front.commands.common import emit, fail, stderr
from kgym.settings import settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="bench_command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("import", help="turn kBench records into runnable bug directories")
    p.add_argument("ids", nargs="*", metavar="ID", help="record ids or prefixes (default: all)")
    p.add_argument("--records", type=Path, default=None, help="kBench records directory")
    p.add_argument("--set", dest="sets", action="append", choices=["syz", "c"], help="record set")
    p.add_argument(
        "--out", type=Path, default=None, help="suite dir (default $KGYM_HOME/suites/kbench)"
    )
    p.add_argument("--base-url", default=None, help="dashboard URL for the records' links")
    p.add_argument("--git-url", default=None, help="git repository (e.g. a local mirror)")
    p.add_argument("--offline", action="store_true", help="use only the download cache")
    p.set_defaults(_run=_import)

    p = sub.add_parser("validate", help="prove each bug of a suite; write its README table")
    p.add_argument("suite", metavar="SUITE")
    p.add_argument("--runs", type=int, default=10, help="reproduction runs (default 10)")
    p.add_argument("--fix-runs", type=int, default=3, help="runs with the fix (default 3)")
    p.add_argument("--bug", dest="bugs", action="append", help="only these bug ids")
    p.add_argument("--no-write", action="store_true", help="do not touch the suite's README")
    p.set_defaults(_run=_validate)

    p = sub.add_parser("run", help="benchmark an agent on a suite (resumable)")
    p.add_argument("suite", metavar="SUITE")
    p.add_argument("--agent", required=True, help="oracle, noop or kagent")
    p.add_argument("--workers", type=int, default=1, help="attempts at once (default 1)")
    p.add_argument("--attempts", type=int, default=1, help="attempts per bug (default 1)")
    p.add_argument("--out", type=Path, required=True, help="run directory (results.jsonl)")
    p.add_argument("--repro-runs", type=int, default=1, help="reproduction runs per attempt")
    p.add_argument("--retry-errors", action="store_true", help="redo attempts that errored")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(_run=_run_bench)

    p = sub.add_parser("report", help="metrics and plots of a run: DIR/report.md")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.set_defaults(_run=_report)

    for p in sub.choices.values():
        p.add_argument("--json", action="store_true", help="print JSON objects on stdout")


def run(args: argparse.Namespace) -> int:
    try:
        return args._run(args)
    except ValueError as e:
        return fail(str(e), args.json)


def _import(args: argparse.Namespace) -> int:
    from bench import kbench
    from bench.importer import DASHBOARD, Links, import_records

    root = args.records or settings().kbench_dir
    if args.ids:
        records = [kbench.find_record(i, root, args.sets) for i in args.ids]
    else:
        records = list(kbench.iter_records(root, args.sets))
    out = args.out or settings().home / "suites" / "kbench"

    async def go():
        async with Links(args.base_url or DASHBOARD, offline=args.offline) as links:
            return await import_records(records, out, links, args.git_url)

    results = asyncio.run(go())
    for r in results:
        emit(
            {"record": r.record_id, "bug_dir": r.bug.dir if r.bug else None, "error": r.error},
            args.json,
        )
        if not args.json and r.error:
            stderr.print(f"[yellow]skipped[/yellow] {r.error}")
    ok = sum(r.bug is not None for r in results)
    if not args.json:
        stderr.print(f"imported {ok} of {len(results)} records into {out}")
    return 0 if ok == len(results) else 1


def _validate(args: argparse.Namespace) -> int:
    from actors.platforms.local_platform import LocalPlatform
    from bench.suites import load_suite, suite_dir
    from bench.validate import BugValidation, validate_bugs, write_table

    bugs = load_suite(args.suite)
    if args.bugs:
        unknown = set(args.bugs) - {b.id for b in bugs}
        if unknown:
            raise ValueError(f"not in suite {args.suite}: {', '.join(sorted(unknown))}")
        bugs = [b for b in bugs if b.id in args.bugs]

    def show(r: BugValidation) -> None:
        emit({**asdict(r), "passed": r.passed}, args.json)
        if not args.json:
            mark = "[green]pass[/green]" if r.passed else "[red]FAIL[/red]"
            stderr.print(
                f"{mark} {r.bug}: reproduced {r.reproduced}/{r.runs}, "
                f"fix clean {r.fix_clean}/{r.fix_runs}, {r.duration_s:.0f} s"
            )

    async def go():
        async with LocalPlatform() as platform:
            return await validate_bugs(platform, bugs, args.runs, args.fix_runs, show)

    results = asyncio.run(go())
    if not args.no_write:
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        write_table(suite_dir(args.suite) / "README.md", results, when)
    return 0 if all(r.passed for r in results) else 1


def _run_bench(args: argparse.Namespace) -> int:
    from bench.runner import run_benchmark

    try:
        work = run_benchmark(
            args.suite,
            args.agent,
            args.out,
            workers=args.workers,
            attempts=args.attempts,
            repro_runs=args.repro_runs,
            retry_errors=args.retry_errors,
            progress=not (args.no_progress or args.json),
        )
    except KeyboardInterrupt:
        stderr.print("interrupted: rerun the same command to resume")
        return 130
    for bad in work.bad_lines:
        stderr.print(f"[yellow]warning:[/yellow] results.jsonl line {bad.line}: {bad.reason}")
    total = len(work.bugs) * args.attempts
    emit(
        {"out": str(args.out), "attempts": total, "skipped": work.done, "ran": len(work.todo)},
        args.json,
    )
    if not args.json:
        stderr.print(
            f"{total} attempts: {work.done} already done, {len(work.todo)} run now; "
            f"results in {args.out / 'results.jsonl'}"
        )
    return 0


def _report(args: argparse.Namespace) -> int:
    from bench.report import write_report

    report, bad = write_report(args.dir)
    for b in bad:
        stderr.print(f"[yellow]warning:[/yellow] results.jsonl line {b.line}: {b.reason}")
    emit({"report": str(report), "bad_lines": len(bad)}, args.json)
    if not args.json:
        stderr.print(f"wrote {report}")
    return 0
