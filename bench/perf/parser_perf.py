"""Crash parser accuracy and speed on the labelled set: the development part and the
set-aside fifth (chosen by a hash of the file name, see labelled.held_out).

    uv run python bench/perf/parser_perf.py [DATASET_DIR] [-v]

Prints exact-title, exact-or-alt, crash/no-crash, corrupted, type and guilty-file
accuracy for each part, and logs parsed per second of CPU time on one core. `-v` lists
the mismatches of the development part only: the set-aside fifth is scored, not read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from actors.crash_parser import CrashParser
from actors.crash_parser.kinds import FrameFrom
from actors.crash_parser.labelled import Case, dataset_root, load
from actors.crash_parser.parser import first_header, to_text
from actors.crash_parser.variants import VARIANTS, truncated_after

REPO = Path(__file__).resolve().parents[2]


def score(parser: CrashParser, reports: list[Case], guilty: list[Case], verbose: bool) -> None:
    """Print the accuracy figures of one part."""
    n = len(reports)
    exact = either = alts = crash = corrupted = typed = errors = 0
    for case in reports:
        got = parser.parse(case.log)
        errors += (got.corrupted_reason or "").startswith("parser error")
        exact += got.title == case.title
        either += got.title == case.title or bool(
            case.title and got.titles() & {case.title, *case.alt_titles}
        )
        alts += sorted(got.alt_titles) == sorted(case.alt_titles)
        crash += got.crashed == (case.title is not None)
        corrupted += got.corrupted == case.corrupted
        typed += got.type == case.type
        if verbose and got.title != case.title:
            print(f"{case.name}: want {case.title!r}\n{' ' * len(case.name)}  got  {got.title!r}")
        if verbose and got.corrupted != case.corrupted:
            print(f"{case.name}: corrupted want {case.corrupted} got {got.corrupted_reason!r}")
    guilty_ok = 0
    for case in guilty:
        got = parser.parse(case.log)
        guilty_ok += got.guilty_file == case.guilty_file
        if verbose and got.guilty_file != case.guilty_file:
            print(f"{case.name}: want {case.guilty_file!r} got {got.guilty_file!r}")
    if not n:
        print("  (no logs)")
        return
    print(f"  exact title:        {exact / n:7.2%}  ({exact}/{n})")
    print(f"  exact or alt title: {either / n:7.2%}  ({either}/{n})")
    print(f"  alt titles (all):   {alts / n:7.2%}  ({alts}/{n})")
    print(f"  crash / no crash:   {crash / n:7.2%}  ({crash}/{n})")
    print(f"  corrupted flag:     {corrupted / n:7.2%}  ({corrupted}/{n})")
    print(f"  type:               {typed / n:7.2%}  ({typed}/{n})")
    print(f"  parser errors:      {errors}")
    if guilty:
        print(f"  guilty file:        {guilty_ok / len(guilty):7.2%}  ({guilty_ok}/{len(guilty)})")


def truncated(parser: CrashParser, log: str, title: str) -> str:
    """The log cut soon after the frame its title names (unchanged where that cannot be
    told: no frame in the title, or a stall, whose naming frame is the outermost one)."""
    text = to_text(log)
    found = first_header(text)
    name = title.rsplit(" in ", 1)[-1] if " in " in title else ""
    if found is None or not name.isidentifier():
        return log
    offset, header = found
    if header.kind.frame in (FrameFrom.INTERRUPTED, FrameFrom.OUTERMOST, FrameFrom.NONE):
        return log
    return truncated_after(text, text.find("\n", offset) + 1, name)


def invariance(parser: CrashParser, reports: list[Case], verbose: bool) -> None:
    """How often a variant of a log the kernel could equally have printed
    (actors/crash_parser/variants.py) keeps the log's title."""
    kept = tried = 0
    per: dict[str, list[int]] = {}
    for case in reports:
        base = parser.parse(case.log)
        variants = dict(VARIANTS)
        if base.title:
            variants["truncated"] = lambda log, t=base.title: truncated(parser, log, t)
        for name, make in variants.items():
            log = make(case.log)
            if log == case.log:
                continue
            got = parser.parse(log).title
            ok = got == base.title
            tried += 1
            kept += ok
            per.setdefault(name, [0, 0])[ok] += 1
            if verbose and not ok:
                print(f"{case.name} {name}: {base.title!r} -> {got!r}")
    if tried:
        print(f"  variants keep title: {kept / tried:7.2%}  ({kept}/{tried})")
        bad = ", ".join(f"{n} {v[0]}" for n, v in sorted(per.items()) if v[0])
        print(f"    changed by: {bad or 'none'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", nargs="?", type=Path, default=dataset_root(REPO))
    ap.add_argument("-v", "--verbose", action="store_true", help="list dev-part mismatches")
    ap.add_argument(
        "--dev-only", action="store_true", help="score the development part only (while designing)"
    )
    args = ap.parse_args()
    parser = CrashParser()
    dev = load(args.dataset, "dev")
    held = load(args.dataset, "held-out")
    if not dev[0] and not held[0]:
        print(f"no labelled logs under {args.dataset}", file=sys.stderr)
        return 1
    print(f"dataset: {args.dataset}")
    parts = [("development part", dev, args.verbose), ("set-aside fifth", held, False)]
    for label, (reports, guilty), verbose in parts[: 1 if args.dev_only else 2]:
        print(f"{label}: {len(reports)} logs, {len(guilty)} guilty-file reports")
        score(parser, reports, guilty, verbose)
    print("development part, variants of each log (actors/crash_parser/variants.py):")
    invariance(parser, dev[0], args.verbose)

    logs = [c.log for c in dev[0]]
    t0 = time.process_time()
    for text in logs:
        parser.parse(text)
    first = len(logs) / max(time.process_time() - t0, 1e-9)
    rounds = max(1, 2000 // max(1, len(logs)))
    t0 = time.process_time()
    for _ in range(rounds):
        for text in logs:
            parser.parse(text)
    steady = rounds * len(logs) / max(time.process_time() - t0, 1e-9)
    print(f"speed (dev part): {steady:7.0f} logs/s (one core, CPU time; first pass {first:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
