"""Rewrite known_misses.txt from what the parser makes of the development part now.

    uv run python tests/crash_parser/update_known_misses.py

Run it after an improvement (strict xfails that now pass fail the suite) and review
the diff: a line that appears is a regression.
"""

from __future__ import annotations

from pathlib import Path

from crash_cases import GUILTY_CASES, REPORT_CASES

from actors.crash_parser import parse

HEAD = """\
# Development-set files the parser does not yet read as syzbot does: `NAME ASPECT`.
# Their tests are strict xfails: a fix makes them pass, and then the line must go
# (update_known_misses.py rewrites this file).
"""


def misses() -> list[str]:
    out = []
    for case in REPORT_CASES:
        got = parse(case.log)
        if got.crashed != (case.title is not None):
            out.append(f"{case.name} crashed")
        if got.title != case.title:
            out.append(f"{case.name} title")
        if got.corrupted != case.corrupted:
            out.append(f"{case.name} corrupted")
        if got.type != case.type:
            out.append(f"{case.name} type")
        if sorted(got.alt_titles) != sorted(case.alt_titles):
            out.append(f"{case.name} alts")
    for case in GUILTY_CASES:
        if parse(case.log).guilty_file != case.guilty_file:
            out.append(f"{case.name} guilty")
    return out


if __name__ == "__main__":
    path = Path(__file__).parent / "known_misses.txt"
    path.write_text(HEAD + "".join(line + "\n" for line in misses()))
    print(f"{path}: {len(misses())} known misses")
