"""Crash parser accuracy and speed on the labelled development set.

    uv run python bench/perf/parser_perf.py [DATASET_DIR] [-v]

Prints exact-title, exact-or-alt, crash/no-crash, corrupted, type and
guilty-file accuracy, and logs parsed per second on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from actors.crash_parser import CrashParser
from actors.crash_parser.labelled import dataset_root, load

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=dataset_root(REPO))
    ap.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = ap.parse_args()
    reports, guilty = load(args.dataset)
    if not reports:
        print(f"no labelled logs under {args.dataset}", file=sys.stderr)
        return 1
    parser = CrashParser()
    t0 = time.process_time()
    results = [parser.parse(case.log) for case in reports]
    first = len(reports) / (time.process_time() - t0)  # memo caches still cold
    exact = either = alts = crash = corrupted = typed = 0
    for case, got in zip(reports, results, strict=True):
        exact += got.title == case.title
        either += got.title == case.title or bool(
            case.title and got.titles() & {case.title, *case.alt_titles}
        )
        alts += sorted(got.alt_titles) == sorted(case.alt_titles)
        crash += got.crashed == (case.title is not None)
        corrupted += got.corrupted == case.corrupted
        typed += got.type == case.type
        if args.verbose and got.title != case.title:
            print(f"{case.name}: want {case.title!r}\n{' ' * len(case.name)}  got  {got.title!r}")
    guilty_ok = 0
    for case in guilty:
        got = parser.parse(case.log)
        guilty_ok += got.guilty_file == case.guilty_file
        if args.verbose and got.guilty_file != case.guilty_file:
            print(f"{case.name}: want {case.guilty_file!r} got {got.guilty_file!r}")

    logs = [c.log for c in reports]
    rounds = max(1, 2000 // len(logs))
    t0 = time.process_time()
    for _ in range(rounds):
        for text in logs:
            parser.parse(text)
    steady = rounds * len(logs) / (time.process_time() - t0)

    n = len(reports)
    print(f"dataset: {args.dataset} ({n} logs, {len(guilty)} guilty-file reports)")
    print(f"exact title:        {exact / n:7.2%}  ({exact}/{n})")
    print(f"exact or alt title: {either / n:7.2%}  ({either}/{n})")
    print(f"alt titles (all):   {alts / n:7.2%}  ({alts}/{n})")
    print(f"crash / no crash:   {crash / n:7.2%}  ({crash}/{n})")
    print(f"corrupted flag:     {corrupted / n:7.2%}  ({corrupted}/{n})")
    print(f"type:               {typed / n:7.2%}  ({typed}/{n})")
    if guilty:
        print(f"guilty file:        {guilty_ok / len(guilty):7.2%}  ({guilty_ok}/{len(guilty)})")
    print(f"speed:              {steady:7.0f} logs/s (one core, CPU time; first pass {first:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
