"""Each node with the scripted model (no platform: nodes that need one are tested end to end)."""

from __future__ import annotations

import time

import pytest
from agent_testkit import SECRET_COMMIT, SECRET_FIX, SECRET_INJECT
from langgraph.runtime import Runtime
from langgraph.types import Send
from bench.scripted import ScriptedChatModel, Turn, call, say

from graph.context import Deps, FixOptions
from graph.nodes.finish import best, changed_lines, finish_node
from graph.nodes.localizer import frame_candidates, localizer_node
from graph.nodes.patcher import write_patch
from graph.nodes.planner import planner_node
from graph.nodes.reproduce import bug_view
from graph.nodes.verifier import classify, verifier_node
from graph.state import Outcome, PatchTask, zero_usage
from graph.tools import Workspace
from graph.trace import Tracer
from kgym.models import Verdict
from kgym.rundir import read_events


def deps_for(script, bug, settings, **options) -> Deps:
    run_dir = settings.runs_dir / "test-run"
    llm = ScriptedChatModel(script=script)
    return Deps(llm, None, bug, Tracer("test-run", run_dir), FixOptions(**options), run_dir)


def state_for(bug, tree, report, **extra) -> dict:
    return {
        "bug": bug_view(bug, str(tree), report),
        "iteration": 0,
        "usage": zero_usage(),
        "started_at": time.time(),
        "hypotheses": [],
        **extra,
    }


def test_bug_view_hides_fix_inject_and_origin(bug, tree, report):
    view = str(bug_view(bug, str(tree), report))
    for secret in (SECRET_FIX, SECRET_INJECT, SECRET_COMMIT, "fix.patch", "inject.patch", bug.dir):
        assert secret not in view
    assert "mount(" in view  # the reproducer is there


def test_frame_candidates_skip_noise_and_find_definitions(bug, tree, report):
    ws = Workspace(tree, tree.parent / "scratch")
    cands = frame_candidates(state_for(bug, tree, report), ws)
    assert [(c["file"], c["function"], c["line"]) for c in cands] == [
        ("mm/opt.c", "parse_opt", 10),
        ("mm/opt.c", "check_mode", 5),
    ]


async def test_localizer_ranks_with_the_model_and_drops_unknown_files(bug, tree, report, settings):
    def script(turn: Turn):
        assert turn.node == "localizer"
        assert "int parse_opt(char *str" in turn.text()  # the code around the frame
        return call(
            "Localization",
            suspects=[
                {"file": "mm/nowhere.c", "function": "ghost", "reason": "made up"},
                {"file": "mm/opt.c", "function": "parse_opt", "reason": "writes past the end"},
            ],
        )

    deps = deps_for(script, bug, settings)
    out = await localizer_node(state_for(bug, tree, report), Runtime(context=deps))
    assert out["candidates"] == [
        {"file": "mm/opt.c", "function": "parse_opt", "line": 10, "reason": "writes past the end"}
    ]
    assert out["usage"]["input_tokens"] == 100


async def test_localizer_falls_back_to_frames_on_a_bad_answer(bug, tree, report, settings):
    deps = deps_for(lambda turn: say("I think it is parse_opt"), bug, settings)
    out = await localizer_node(state_for(bug, tree, report), Runtime(context=deps))
    assert [c["function"] for c in out["candidates"]] == ["parse_opt", "check_mode"]
    events = read_events(deps.run_dir)
    assert any(e["event"] == "localize.end" and "error" in e for e in events)


def _plan(*causes: str, stop: bool = False):
    return call(
        "Plan",
        stop=stop,
        reason="because",
        hypotheses=[
            {"root_cause": c, "location": "mm/opt.c:parse_opt()", "fix_idea": f"fix {c}"}
            for c in causes
        ],
    )


async def test_planner_sends_k_distinct_hypotheses(bug, tree, report, settings):
    earlier = {
        "id": "i1h1",
        "iteration": 1,
        "root_cause": "Old idea",
        "location": "mm/opt.c:parse_opt()",
        "fix_idea": "x",
        "outcome": "same_crash",
        "feedback": "the same crash in 3 of 3 runs",
        "patch": "--- a/mm/opt.c\n",
    }
    seen = []

    def script(turn: Turn):
        seen.append(turn.text())
        return _plan("old  idea", "A", "a", "B", "C", "D")

    deps = deps_for(script, bug, settings, hypotheses=3)
    state = state_for(bug, tree, report, iteration=1, hypotheses=[earlier])
    cmd = await planner_node(state, Runtime(context=deps))
    assert all(isinstance(s, Send) and s.node == "patcher" for s in cmd.goto)
    new = cmd.update["hypotheses"]
    assert [h["root_cause"] for h in new] == ["A", "B", "C"]  # no repeats, at most K
    assert [h["id"] for h in new] == ["i2h1", "i2h2", "i2h3"]
    assert cmd.update["iteration"] == 2
    assert "the same crash in 3 of 3 runs" in seen[0]  # earlier verdicts reach the planner


async def test_planner_stops_when_the_model_says_so(bug, tree, report, settings):
    deps = deps_for(lambda t: _plan(stop=True), bug, settings)
    cmd = await planner_node(state_for(bug, tree, report), Runtime(context=deps))
    assert cmd.goto == "finish"
    assert cmd.update["stop_reason"].startswith("planner stopped")


@pytest.mark.parametrize(
    ("options", "extra", "why"),
    [
        ({"max_iterations": 2}, {"iteration": 2}, "2 iterations done"),
        (
            {"max_tokens": 50},
            {"usage": {"input_tokens": 40, "output_tokens": 20, "cost_usd": 0}},
            "token budget",
        ),
        ({"max_wall_s": 1}, {"started_at": time.time() - 5}, "wall-time budget"),
    ],
)
async def test_planner_ends_when_the_budget_is_spent(
    bug, tree, report, settings, options, extra, why
):
    deps = deps_for(lambda t: pytest.fail("the model must not be asked"), bug, settings, **options)
    cmd = await planner_node(state_for(bug, tree, report, **extra), Runtime(context=deps))
    assert cmd.goto == "finish"
    assert why in cmd.update["stop_reason"]


async def test_patcher_reads_edits_and_makes_a_diff(bug, tree, report, settings):
    def script(turn: Turn):
        assert turn.node == "patcher" and turn.hypothesis == "i1h1"
        steps = [
            lambda: call("grep", pattern=r"\*flags\+\+", path="mm"),
            lambda: call("read_lines", path="mm/opt.c", start=10, end=20),
            lambda: call("edit_file", path="mm/opt.c", search="nope", replace="x"),
            lambda: call(
                "edit_file",
                path="mm/opt.c",
                search="\tif (list)\n\t\t*list++ = '\\0';\n\tif (flags)\n\t\t*flags++ = '\\0';\n",
                replace="\tif (flags)\n\t\t*flags++ = '\\0';\n\tif (list)\n\t\t*list++ = '\\0';\n",
            ),
            lambda: say("moved the flags split first"),
        ]
        if turn.step == 1:
            assert "mm/opt.c:18:" in turn.last_tool_output
        if turn.step == 3:
            assert turn.last_tool_output.startswith("error: mm/opt.c: search text found 0 times")
        return steps[turn.step]()

    deps = deps_for(script, bug, settings)
    hyp = {
        "id": "i1h1",
        "iteration": 1,
        "root_cause": "order",
        "location": "mm/opt.c",
        "fix_idea": "swap",
    }
    task = PatchTask(bug=bug_view(bug, str(tree), report), candidates=[], hypothesis=hyp)
    ws = Workspace(tree, deps.run_dir / "scratch" / "i1h1")
    _, usage = await write_patch(task, deps, ws)
    diff = ws.diff()
    assert diff.startswith("--- a/mm/opt.c\n+++ b/mm/opt.c\n")
    assert "-\tif (flags)" in diff and "+\tif (flags)" in diff
    assert ws.changed_files() == ["mm/opt.c"]
    assert usage["input_tokens"] == 500  # five answers
    assert (
        "\tif (list)" in (tree / "mm" / "opt.c").read_text().split("if (flags)")[0]
    )  # tree intact
    tools = [e["tool"] for e in read_events(deps.run_dir) if e["event"] == "tool"]
    assert tools == ["grep", "read_lines", "edit_file", "edit_file"]


@pytest.mark.parametrize(
    ("hyp", "outcome", "feedback"),
    [
        ({"patch": ""}, Outcome.NO_PATCH, "made no edit"),
        (
            {"patch": "--- a/x\n", "compile_errors": ["build: mm/opt.c:3: error: expected ';'"]},
            Outcome.BUILD_ERROR,
            "expected ';'",
        ),
    ],
)
async def test_verifier_judges_without_vm_time_when_it_can(
    bug, tree, report, settings, hyp, outcome, feedback
):
    deps = deps_for(lambda t: pytest.fail("no model here"), bug, settings)
    h = {"id": "i1h1", "root_cause": "r", "location": "l", "fix_idea": "f", **hyp}
    task = PatchTask(bug=bug_view(bug, str(tree), report), candidates=[], hypothesis=h)
    out = await verifier_node(task, Runtime(context=deps))
    (h,) = out["hypotheses"]
    assert h["outcome"] == outcome and feedback in h["feedback"]


def _verdict(**kw) -> Verdict:
    base = dict(
        bug="b", applied=True, built=True, booted=True, runs=3, crashed_runs=0, resolved=False
    )
    return Verdict(**{**base, **kw})


@pytest.mark.parametrize(
    ("verdict", "outcome"),
    [
        (_verdict(resolved=True), Outcome.RESOLVED),
        (
            _verdict(applied=False, built=False, errors=["patch: mm/opt.c hunk #1: fails"]),
            Outcome.BUILD_ERROR,
        ),
        (_verdict(built=False), Outcome.BUILD_ERROR),
        (_verdict(infra_error=True, runs=1), Outcome.INFRA_ERROR),
        (_verdict(crashed_runs=3, same_crash_runs=3, title="KASAN: x"), Outcome.SAME_CRASH),
        (_verdict(crashed_runs=1, title="WARNING in y"), Outcome.OTHER_CRASH),
        (_verdict(booted=False, runs=0, errors=["boot failure: panic"]), Outcome.OTHER_CRASH),
    ],
)
def test_classify(verdict, outcome):
    assert classify(verdict)[0] == outcome


def test_finish_picks_fewest_warnings_then_smallest_patch():
    small = "--- a/f\n+++ b/f\n@@\n-a\n+b\n"
    big = "--- a/f\n+++ b/f\n@@\n-a\n-b\n+c\n+d\n"
    hyps = [
        {"id": "1", "outcome": "resolved", "patch": small, "warnings": 1},
        {"id": "2", "outcome": "resolved", "patch": big, "warnings": 0},
        {"id": "3", "outcome": "resolved", "patch": small, "warnings": 0},
        {"id": "4", "outcome": "same_crash", "patch": "", "warnings": 0},
    ]
    assert changed_lines(small) == 2
    assert best(hyps)["id"] == "3"
    assert best(hyps[3:]) is None


async def test_finish_reports_the_stop_reason(bug, settings):
    deps = deps_for(lambda t: say(""), bug, settings)
    out = await finish_node(
        {"hypotheses": [], "stop_reason": "3 iterations done"}, Runtime(context=deps)
    )
    assert out["result"] == {
        "resolved": False,
        "patch": "",
        "hypothesis": None,
        "reason": "3 iterations done",
    }


def test_every_prompt_renders_from_its_file():
    from graph import prompts

    for node in ("planner", "localizer", "patcher"):
        text = prompts.render(node, "system")
        assert text and "$" not in text
    with pytest.raises(ValueError, match="no value for 'title'"):
        prompts.render("planner", "user")
    with pytest.raises(ValueError, match="no section"):
        prompts.render("planner", "nope")


def test_workspace_diff_applies_with_patch(tree, tmp_path):
    import shutil
    import subprocess

    ws = Workspace(tree, tmp_path / "scratch")
    ws.edit("mm/opt.c", "\treturn 0;\n}", "\treturn -1;\n}")
    ws.edit("mm/opt.h", "\tint mode;", "\tlong mode;")
    copy = tmp_path / "copy"
    shutil.copytree(tree, copy)
    done = subprocess.run(
        ["patch", "-p1", "-F0"], input=ws.diff(), cwd=copy, text=True, capture_output=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "\treturn -1;" in (copy / "mm" / "opt.c").read_text()
    assert ws.changed_files() == ["mm/opt.c", "mm/opt.h"]
    assert (tree / "mm" / "opt.h").read_text().count("int mode") == 1  # tree untouched
