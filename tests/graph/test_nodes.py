"""Each node with the scripted model (no platform: nodes that need one are tested end to end)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from agent_testkit import SECRET_COMMIT, SECRET_FIX, SECRET_INJECT
from langgraph.runtime import Runtime
from langgraph.types import Send

from bench.scripted import ScriptedChatModel, Turn, call, say
from graph.context import Deps, FixOptions
from graph.llm import compact
from graph.nodes.common import located_frames, object_stacks
from graph.nodes.finish import best, changed_lines, finish_node
from graph.nodes.localizer import localizer_node
from graph.nodes.patcher import start_node, tool_node, turn_node, workspace
from graph.nodes.planner import planner_node
from graph.nodes.reproduce import bug_view
from graph.nodes.rootcause import rootcause_node
from graph.nodes.submit import restyle, subject_line, submit_node, wrap_body
from graph.nodes.verifier import after_check, check_node, classify
from graph.state import Outcome, PatchTask, zero_usage
from graph.tools import Workspace
from graph.trace import Tracer
from kgym.judge import bug_build_request
from kgym.models import Verdict
from kgym.rundir import read_events


def deps_for(script, bug, settings, platform=None, **options) -> Deps:
    run_dir = settings.runs_dir / "test-run"
    llm = ScriptedChatModel(script=script)
    return Deps(llm, platform, bug, Tracer("test-run", run_dir), FixOptions(**options), run_dir)


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


async def test_frames_skip_noise_and_are_located_by_the_code_index(
    tree_bug, tree, report, platform
):
    ws = Workspace(tree, tree.parent / "scratch")
    view = bug_view(tree_bug, str(tree), report)
    cands = await located_frames(view, ws, platform, bug_build_request(tree_bug))
    assert [(c["file"], c["function"], c["line"]) for c in cands] == [
        ("mm/opt.c", "parse_opt", 10),
        ("mm/opt.c", "check_mode", 5),
    ]


def test_object_stacks_are_cut_from_a_kasan_report(bug, tree, report):
    text = (
        "BUG: KASAN: slab-use-after-free in foo_read+0x1/0x2\n"
        "[  502.15][ T9186] Allocated by task 2740:\n"
        "[  502.16][ T9186]  kasan_save_stack+0x1b/0x80\n"
        "[  502.16][ T9186]  foo_open+0x242/0x5b0 fs/foo.c:12\n"
        "[  502.17][ T9186] \n"
        "[  502.18][ T9186] Freed by task 2741:\n"
        "[  502.19][ T9186]  kfree+0xe4/0x2f0\n"
        "[  502.19][ T9186]  foo_release+0x45/0x5c fs/foo.c:30\n"
        "[  502.20][ T9186] \n"
        "The buggy address belongs to the object\n"
    )
    view = bug_view(bug, str(tree), report.model_copy(update={"report": text}))
    assert object_stacks(view) == (
        "Allocated by task 2740:\n foo_open+0x242/0x5b0 fs/foo.c:12\n\n"
        "Freed by task 2741:\n foo_release+0x45/0x5c fs/foo.c:30"
    )


async def test_rootcause_reads_frames_and_reproducer_and_writes_an_analysis(
    tree_bug, tree, report, settings, platform
):
    def script(turn: Turn):
        assert turn.node == "rootcause"
        shown = turn.text()
        assert "int parse_opt(char *str" in shown and "return 0; }" in shown
        assert "Out-of-bounds reads and writes are bounds bugs" in shown  # the class's guidance
        return call(
            "RootCause",
            crash_class="out-of-bounds",
            object="str",
            violation="written past its end",
            where="mm/opt.c:parse_opt()",
            explanation="the flags split runs after the list split",
            fix_direction="split flags first",
        )

    deps = deps_for(script, tree_bug, settings, platform)
    out = await rootcause_node(state_for(tree_bug, tree, report), Runtime(context=deps))
    assert out["analysis"]["where"] == "mm/opt.c:parse_opt()"
    assert out["usage"]["input_tokens"] == 100


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
    state = state_for(bug, tree, report)
    state["bug"]["report"]["frames"][1].update(file="mm/opt.c", line=10)
    out = await localizer_node(state, Runtime(context=deps))
    assert out["candidates"] == [
        {"file": "mm/opt.c", "function": "parse_opt", "line": 10, "reason": "writes past the end"}
    ]
    assert out["usage"]["input_tokens"] == 100


async def test_localizer_falls_back_to_frames_on_a_bad_answer(bug, tree, report, settings):
    deps = deps_for(lambda turn: say("I think it is parse_opt"), bug, settings)
    out = await localizer_node(state_for(bug, tree, report), Runtime(context=deps))
    assert [c["file"] for c in out["candidates"]] == ["mm/opt.c"]  # the guilty file
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
    assert all(isinstance(s, Send) and s.node == "branch" for s in cmd.goto)
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


async def _branch(task, deps, until: int = 50) -> dict:
    """Drive one branch's patcher steps by hand, as the subgraph would."""
    from graph.nodes.patcher import after_tool, after_turn

    b = {**task, **await start_node(task, Runtime(context=deps))}
    node = "turn"
    for _ in range(until):
        step = turn_node if node == "turn" else tool_node
        update = await step(b, Runtime(context=deps))
        usage = update.pop("usage", None)
        b.update(update)
        if usage:
            b["usage"] = {k: b.get("usage", zero_usage())[k] + usage[k] for k in usage}
        node = (after_turn if node == "turn" else after_tool)(b)
        if node == "check":
            return b
    raise AssertionError("the branch did not reach its check")


async def test_patcher_reads_edits_and_makes_a_diff(bug, tree, report, settings):
    def script(turn: Turn):
        assert turn.node == "patcher" and turn.hypothesis == "i1h1"
        steps = [
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
            assert "    18  \t\t*flags++" in turn.last_tool_output
        if turn.step == 2:
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
    b = await _branch(task, deps)
    assert b["usage"]["input_tokens"] == 400  # four answers
    assert len(b["edits"]) == 1 and b["stop"] == ""
    diff = workspace(deps, b).diff()  # rebuilt from the branch's edit list
    assert diff.startswith("--- a/mm/opt.c\n+++ b/mm/opt.c\n")
    assert "\tif (list)" in (tree / "mm" / "opt.c").read_text().split("if (flags)")[0]  # intact
    tools = [e["tool"] for e in read_events(deps.run_dir) if e["event"] == "tool"]
    assert tools == ["read_lines", "edit_file", "edit_file"]


def test_compaction_elides_old_tool_outputs_first():
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    msgs = [SystemMessage("s"), HumanMessage("u")]
    for i in range(10):
        msgs += [
            AIMessage(
                "", tool_calls=[{"name": "grep", "args": {}, "id": f"c{i}", "type": "tool_call"}]
            ),
            ToolMessage("x" * 4000, tool_call_id=f"c{i}"),
        ]
    out, elided = compact(msgs, window_tokens=8000)  # 3/4 of it: 6000 tokens = 24000 chars
    assert elided >= 4 and len(out) == len(msgs)
    assert out[3].content.startswith("[elided: 4000 characters")
    assert out[-1].content == "x" * 4000  # the newest stay whole
    assert compact(msgs, window_tokens=1_000_000) == (msgs, 0)


async def test_check_judges_without_vm_time_when_it_can(bug, tree, report, settings):
    deps = deps_for(lambda t: pytest.fail("no model here"), bug, settings)
    h = {"id": "i1h1", "root_cause": "r", "location": "l", "fix_idea": "f"}
    b = {"bug": bug_view(bug, str(tree), report), "hypothesis": h, "edits": [], "messages": []}
    out = await check_node(b, Runtime(context=deps))
    assert out["hypothesis"]["outcome"] == Outcome.NO_PATCH and after_check(out) == "__end__"
    stopped = await check_node(
        {**b, "stop": "token budget spent", "budget_spent": True}, Runtime(context=deps)
    )
    assert stopped["hypothesis"]["outcome"] == Outcome.STOPPED


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


def test_finish_ranks_resolved_patches_by_quality():
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
    silencer = {"quality": {"silences_symptom": True, "hunks": 1}}
    styled = {"quality": {"checkpatch_errors": 1, "hunks": 1}}
    ranked = [
        {"id": "a", "outcome": "resolved", "patch": small, **silencer},
        {"id": "b", "outcome": "resolved", "patch": small, **styled},
        {"id": "c", "outcome": "resolved", "patch": big, "quality": {"hunks": 2}},
    ]
    assert best(ranked)["id"] == "c"  # clean beats small; silencing the symptom loses
    assert best(ranked[:2])["id"] == "b"


def test_finish_ranks_patches_whose_counts_were_not_measured():
    """A count of None (the boot log was not read) counts as none, and does not crash."""
    small = "--- a/f\n+++ b/f\n@@\n-a\n+b\n"
    unread = {"new_boot_warnings": None, "new_compiler_warnings": None, "hunks": 1}
    hyps = [
        {"id": "1", "outcome": "resolved", "patch": small, "quality": {**unread, "hunks": 2}},
        {"id": "2", "outcome": "resolved", "patch": small, "quality": unread, "warnings": None},
        {"id": "3", "outcome": "resolved", "patch": small, "quality": {"new_boot_warnings": 1}},
    ]
    assert best(hyps)["id"] == "2"


def test_commit_message_form():
    assert subject_line("mm/mempolicy:", "Fix the split.") == "mm/mempolicy: Fix the split"
    long = subject_line("net: sched", "word " * 30)
    assert len(long) <= 72 and long.startswith("net: sched: word") and not long.endswith(" ")
    body = wrap_body(
        "a " * 100 + "\n\n  code line that is kept exactly as it is, however long it may be ok"
    )
    assert all(len(line) <= 75 for line in body.split("\n\n")[0].splitlines())
    assert body.endswith("  code line that is kept exactly as it is, however long it may be ok")


async def test_finish_reports_the_stop_reason(bug, settings):
    deps = deps_for(lambda t: say(""), bug, settings)
    out = await finish_node(
        {"hypotheses": [], "stop_reason": "3 iterations done"}, Runtime(context=deps)
    )
    assert {k: out["result"][k] for k in ("resolved", "patch", "hypothesis", "reason")} == {
        "resolved": False,
        "patch": "",
        "hypothesis": None,
        "reason": "3 iterations done",
    }
    assert out["result"]["rule"].startswith("resolved patches ranked by")


def test_every_prompt_renders_from_its_file():
    from graph import prompts

    assert "$" not in prompts.render("localizer", "system")
    for node in ("planner", "patcher", "rootcause"):
        text = prompts.render(node, "system", guidance=prompts.guidance("leak"))
        assert "$" not in text and "error-path bugs" in text
    assert set(prompts.versions()) >= {"rootcause", "planner", "patcher", "submit"}
    for cls in prompts.CLASSES:
        assert "special-case the reproducer" in prompts.guidance(cls)
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


KERNEL_SCRIPTS = sorted(Path.home().glob(".cache/kgym/sources/debian-*/scripts"))
CLEAN = (
    "--- a/mm/opt.c\n+++ b/mm/opt.c\n@@ -5,3 +5,3 @@\n {\n-\treturn s[0] == 'b';\n"
    "+\treturn s[0] == 'b' || s[0] == 'B';\n }\n"
)


@pytest.fixture
def kernel_tree(tree: Path) -> Path:
    """The small tree, dressed as a kernel tree: checkpatch, get_maintainer, MAINTAINERS."""
    if not KERNEL_SCRIPTS:
        pytest.skip("no unpacked kernel source with scripts/")
    (tree / "scripts").mkdir()
    for name in ("checkpatch.pl", "get_maintainer.pl", "spelling.txt"):
        shutil.copy(KERNEL_SCRIPTS[-1] / name, tree / "scripts" / name)
    (tree / "MAINTAINERS").write_text(
        "OPT\nM:\tOpt Keeper <keeper@example.org>\nL:\topt@lists.example.org\nS:\tMaintained\n"
        "F:\tmm/\n"
    )
    for name in ("COPYING", "CREDITS", "Kbuild", "README"):
        (tree / name).write_text("")
    for name in ("Documentation", "arch", "include", "drivers", "fs", "init", "ipc", "kernel"):
        (tree / name).mkdir()
    (tree / "lib").mkdir()
    return tree


def _writer(turn: Turn):
    if turn.node == "commit":
        return call(
            "CommitMessage",
            subsystem="mm/opt",
            summary="accept an upper-case mode letter in check_mode()",
            body="check_mode() only looks for a lower-case 'b' " * 4 + "\n\nAccept both cases.",
        )
    if turn.node == "style":
        if turn.step == 0:
            return call(
                "edit_file",
                path="mm/opt.c",
                search="\treturn s[0] == 'b' || s[0] == 'B';   \n",
                replace="\treturn s[0] == 'b' || s[0] == 'B';\n",
            )
        return say("removed the trailing blanks")
    raise AssertionError(turn.node)


async def test_submit_writes_a_maintainer_ready_mbox(
    kernel_tree, tree_bug, report, settings, platform
):
    deps = deps_for(_writer, tree_bug, settings, platform)
    h = {"id": "i1h1", "root_cause": "r", "location": "mm/opt.c", "fix_idea": "f", "patch": CLEAN}
    state = {
        **state_for(tree_bug, kernel_tree, report),
        "hypotheses": [h],
        "result": {"resolved": True, "patch": CLEAN, "hypothesis": "i1h1", "reason": "done"},
    }
    out = await submit_node(state, Runtime(context=deps))
    result = out["result"]
    mbox = (deps.run_dir / "patch.mbox").read_text()
    assert result["mbox"] == mbox and result["checkpatch"]["errors"] == 0
    assert result["subject"] == "mm/opt: accept an upper-case mode letter in check_mode()"
    assert result["recipients"] == ["Opt Keeper <keeper@example.org>", "opt@lists.example.org"]
    assert "To: Opt Keeper <keeper@example.org>" in mbox and "Cc: opt@lists.example.org" in mbox
    message = mbox.split("\n\n", 1)[1].split("\n---\n")[0]
    assert all(len(line) <= 75 for line in message.splitlines())
    assert "Reported-by: kgym <kgym+opt-bug@localhost>" in message
    assert "The crash: KASAN: slab-out-of-bounds Write in parse_opt" in message
    assert "Fixes:" not in message  # a directory source has no history
    assert out["usage"]["input_tokens"] == 100  # the commit message


async def test_the_style_loop_lets_the_model_fix_what_checkpatch_reports(
    kernel_tree, tree_bug, report, settings, platform
):
    messy = CLEAN.replace("'B';\n", "'B';   \n")
    deps = deps_for(_writer, tree_bug, settings, platform)
    h = {"id": "i1h1", "root_cause": "r", "location": "mm/opt.c", "fix_idea": "f", "patch": messy}
    req = bug_build_request(tree_bug)
    before = await platform.checkpatch(req, messy)
    assert before.errors == 1
    fixed, usage = await restyle(deps, state_for(tree_bug, kernel_tree, report), h, before)
    assert usage["input_tokens"] == 200  # two answers
    assert "+\treturn s[0] == 'b' || s[0] == 'B';\n" in fixed and "   \n" not in fixed
    assert (await platform.checkpatch(req, fixed)).clean
