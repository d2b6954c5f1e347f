"""`kgym parse LOG...`: console logs to syzbot-style crash reports.

With --json: one object per input file, one per line, in input order.
"""

from __future__ import annotations

import argparse
import json
import sys

from actors.crash_parser import CrashParser
from kgym.front.commands.common import stderr
from kgym.models import CrashReport

FIELDS = (
    "crashed", "title", "alt_titles", "type", "frames", "guilty_file", "corrupted",
    "corrupted_reason", "suppressed", "report",
)  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logs", nargs="+", metavar="LOG", help="console log files")
    parser.add_argument("--vmlinux", metavar="V", help="symbolise frames with this vmlinux")
    parser.add_argument("--json", action="store_true", help="one JSON object per log on stdout")


def report_json(file: str, report: CrashReport) -> dict:
    """The stable `kgym parse --json` object."""
    return {"file": file} | report.model_dump(mode="json", include=set(FIELDS))


def run(args: argparse.Namespace) -> int:
    parser = CrashParser()
    status = 0
    try:
        for file in args.logs:
            try:
                report = parser.parse_file(file, args.vmlinux)
            except ValueError as e:
                stderr.print(f"[red]error:[/red] {e}")
                if args.json:
                    sys.stdout.write(json.dumps({"file": file, "error": str(e)}) + "\n")
                status = 2
                continue
            if args.json:
                sys.stdout.write(json.dumps(report_json(file, report)) + "\n")
            else:
                _print(file, report)
    finally:
        parser.close()
    sys.stdout.flush()
    return status


def _print(file: str, report: CrashReport) -> None:
    if not report.crashed:
        print(f"{file}: no crash")
        return
    flags = [
        f"corrupted ({report.corrupted_reason})" if report.corrupted else "",
        "suppressed" if report.suppressed else "",
    ]
    print(f"{file}: {report.title}")
    for alt in report.alt_titles:
        print(f"    alt: {alt}")
    print(f"    type: {report.type or '-'}   guilty: {report.guilty_file or '-'}")
    if any(flags):
        print("    " + ", ".join(f for f in flags if f))
