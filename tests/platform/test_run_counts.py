"""`--runs` of `kgym repro` and `kgym verify`: a count of at least 1, or (verify) "auto"."""

from __future__ import annotations

import json

import pytest

from kgym.front.cli import build_parser, main


def test_verify_takes_auto_or_a_count():
    parse = build_parser().parse_args
    assert parse(["verify", "b", "--patch", "p", "--runs", "auto"]).runs == "auto"
    assert parse(["verify", "b", "--patch", "p", "--runs", "4"]).runs == 4
    assert parse(["repro", "b", "--runs", "2"]).runs == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "b", "--patch", "p", "--runs", "many"], "a number of runs or 'auto'"),
        (["repro", "b", "--runs", "auto"], "'auto': a number of runs"),
    ],
)
def test_a_runs_value_that_is_no_number_is_a_usage_error(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "b", "--patch", "p", "--runs", "0", "--json"],
        ["repro", "b", "--runs", "-1", "--json"],
    ],
)
def test_too_few_runs_is_an_error_in_the_json(argv, capsys):
    """Checked before the bug is even looked up; --json gets it as JSON."""
    assert main(argv) == 2
    error = json.loads(capsys.readouterr().out.splitlines()[-1])["error"]
    assert error.startswith("--runs must be at least 1")
