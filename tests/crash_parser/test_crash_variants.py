"""Generalisation without the set-aside fifth: every development log, printed another way
the kernel or the console could equally have printed it (actors/crash_parser/variants.py),
keeps its title. A variant that changes a title is a rule fitted to how the logs we
have happen to look."""

from __future__ import annotations

import pytest
from crash_cases import REPORT_CASES
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from actors.crash_parser import parse
from actors.crash_parser.variants import VARIANTS

CRASHES = [c for c in REPORT_CASES if c.title]
# Variants that take away what a reader needs, for these logs: the title may change.
LOSSY = {
    ("report/101", "no-prefixes"): "the header is glued mid-line after other output; "
    "without printk prefixes nothing says where the kernel's line starts",
    ("report/217", "no-prefixes"): "the same: glued mid-line, no blank before it",
    ("report/317", "no-prefixes"): "a reboot counts only after kernel output, which "
    "only printk prefixes tell from the firmware's",
    ("report/231", "with-callers"): "a vmalloc failure's own stack dump ends a report "
    "only when no caller ids say whose lines follow",
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_keeps_the_title(variant):
    make = VARIANTS[variant]
    changed = []
    for case in CRASHES:
        log = make(case.log)
        if log == case.log or (case.name, variant) in LOSSY:
            continue
        title = parse(case.log).title
        got = parse(log).title
        if got != title:
            changed.append(f"{case.name}: {title!r} -> {got!r}")
    assert not changed, "\n".join(changed)


def test_lossy_variants_are_still_lossy():
    # a fix that makes one of them keep its title: the entry must go
    by_name = {c.name: c for c in CRASHES}
    for name, variant in LOSSY:
        if name in by_name:
            log = by_name[name].log
            assert parse(VARIANTS[variant](log)).title != parse(log).title, (name, variant)


# Variants that keep every fact a reader needs, in an order where each keeps what the
# next one reads (other-task lines go in while the caller ids that mark them are there).
KEEPING = [
    "with-callers", "with-other-task", "with-file-lines", "no-file-lines",
    "with-unreliable-frames", "no-addresses", "with-addresses", "with-task-marks",
    "shifted-stamps", "with-program-output", "crlf",
]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CRASHES), st.sets(st.sampled_from(KEEPING), min_size=2))
def test_combined_variants_keep_the_title(case, chosen):
    assume(not any((case.name, name) in LOSSY for name in chosen))
    log = case.log
    for name in KEEPING:
        if name in chosen:
            log = VARIANTS[name](log)
    assert parse(log).title == parse(case.log).title, sorted(chosen)


def test_variants_do_what_they_say():
    log = (
        "[   12.345678][ T123] BUG: KASAN: use-after-free in foo+0x1/0x2 net/x.c:12\n"
        "[   12.345679][ T123] Call Trace:\n"
        "[   12.345680][ T123]  [<ffffffff81000000>] ? bar+0x3/0x4\n"
        "[   12.345681][ T123]  baz+0x5/0x6 net/y.c:34\n"
    )
    assert "[<" not in VARIANTS["no-addresses"](log)
    assert ".c:" not in VARIANTS["no-file-lines"](log).replace("file.c:123", "")
    assert "][ T" not in VARIANTS["no-callers"](log)
    assert VARIANTS["no-prefixes"](log).startswith("BUG: KASAN")
    assert "[12357.345678]" in VARIANTS["shifted-stamps"](log)
    assert VARIANTS["with-unreliable-frames"](log).count("? ") == 3  # one after each
    assert "[ T31337]" in VARIANTS["with-other-task"](log)
    assert "\r\n" in VARIANTS["crlf"](log)
    marked = VARIANTS["with-task-marks"](log).split("\n")
    assert marked[2].endswith("]  <TASK>") and marked[-2].endswith("]  </TASK>"), marked
    assert VARIANTS["with-callers"](log.replace("[ T123]", "")).count("[  T100]") == 4
