"""What people read on stderr: rounded durations, and messages never wrapped by the
terminal's width."""

from __future__ import annotations

import pytest

from kgym.front.commands import common, repro
from kgym.front.commands.common import seconds


@pytest.mark.parametrize(
    ("value", "shown"),
    [(6.967911817000072, "6.97 s"), (42.06, "42.1 s"), (185.4, "3 m 05 s"), (None, "?")],
)
def test_durations_are_rounded(value, shown):
    assert seconds(value) == shown


def test_repro_summary_rounds_and_never_wraps(capsys, monkeypatch):
    monkeypatch.setattr(common.stderr, "_width", 40)  # a narrow terminal
    long_error = "the patch does not apply: " + "hunk #1 FAILED at 3012 of mm/mempolicy.c " * 3
    result = {
        "bug": "demo",
        "build": {"ok": False, "cache_hit": False, "duration_s": 12.345678, "errors": [long_error]},
        "runs": [{"outcome": "crashed", "title": "KASAN: x", "boot_s": 6.967911817000072}],
        "reproduced": True,
        "title": "KASAN: x",
        "report": None,
        "reproduction_rate": None,
    }
    repro._summary(result)
    err = capsys.readouterr().err
    assert "in 12.3 s" in err and "(boot 6.97 s)" in err
    assert "6.9679" not in err
    assert f"  {long_error}\n" in err  # on one line, however narrow the terminal
