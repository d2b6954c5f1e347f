"""`kgym fix`: arguments, the --json object, live progress lines."""

from __future__ import annotations

import json

import pytest

from graph.state import FixResult
from kgym.front.cli import build_parser, main
from kgym.front.commands import fix as fix_cmd
from kgym.settings import Settings

KEYS = {
    "bug",
    "resolved",
    "patch",
    "iterations",
    "hypotheses",
    "tokens",
    "cost_usd",
    "wall_s",
    "run_id",
    "mbox",
    "rule",
    "parent",
}


def test_json_object_has_the_documented_keys():
    result = FixResult(
        bug="b",
        resolved=True,
        patch="--- a/x\n",
        iterations=1,
        hypotheses=[{"id": "i1h1"}],
        tokens=10,
        cost_usd=0.5,
        wall_s=3.0,
        run_id="r",
        reason="a patch resolved the crash",
    )
    out = fix_cmd.fix_json(result)
    assert set(out) >= KEYS
    assert json.loads(json.dumps(out)) == out


def test_options_from_arguments(tmp_path):
    args = build_parser().parse_args(
        ["fix", "some-bug", "-k", "2", "--max-iterations", "4", "--human"]
    )
    opts = fix_cmd._options(args, Settings(home=tmp_path, verify_runs=5))
    assert (opts.hypotheses, opts.max_iterations, opts.verify_runs, opts.human) == (2, 4, 5, True)
    assert opts.siblings == "finish"
    cancel = build_parser().parse_args(["fix", "some-bug", "--siblings", "cancel"])
    assert fix_cmd._options(cancel, Settings(home=tmp_path)).siblings == "cancel"
    bad = build_parser().parse_args(["fix", "some-bug", "-k", "0"])
    with pytest.raises(ValueError, match="--hypotheses must be at least 1"):
        fix_cmd._options(bad, Settings(home=tmp_path))


def test_unknown_bug_is_a_clear_error(capsys):
    assert main(["fix", "no-such-bug-anywhere", "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert "no-such-bug-anywhere" in out["error"]


def test_progress_lines(capsys):
    fix_cmd._progress(
        {
            "node": "verifier",
            "event": "verdict",
            "hypothesis": "i1h2",
            "outcome": "build_error",
            "feedback": "does not compile",
        }
    )
    fix_cmd._progress({"node": "patcher", "event": "tool", "hypothesis": "i1h2"})  # not shown
    err = capsys.readouterr().err
    assert "i1h2: build_error — does not compile" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--replay", "a", "--resume", "b"], "give one of --resume, --replay, --fork"),
        (["--fork", "a"], "--fork RUN_ID needs --at STEP"),
        (["--at", "3"], "--at STEP goes with --fork RUN_ID"),
    ],
)
def test_replay_fork_resume_arguments(argv, error):
    args = build_parser().parse_args(["fix", "x", *argv])
    with pytest.raises(ValueError, match=error):
        fix_cmd._check_modes(args)
