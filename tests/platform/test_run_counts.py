"""`--runs` of `kgym repro` and `kgym verify`: a count of at least 1, or (verify) "auto"."""

from __future__ import annotations

import pytest

from kgym.front.cli import build_parser


def test_verify_takes_auto_or_a_count():
    parse = build_parser().parse_args
    assert parse(["verify", "b", "--patch", "p", "--runs", "auto"]).runs == "auto"
    assert parse(["verify", "b", "--patch", "p", "--runs", "4"]).runs == 4
    assert parse(["repro", "b", "--runs", "2"]).runs == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "b", "--patch", "p", "--runs", "0"], "'0': at least 1 run"),
        (["verify", "b", "--patch", "p", "--runs", "many"], "a number of runs or 'auto'"),
        (["repro", "b", "--runs", "auto"], "'auto': a number of runs"),
        (["repro", "b", "--runs", "-1"], "'-1': at least 1 run"),
    ],
)
def test_a_bad_count_is_a_usage_error_naming_it(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
