"""kAgent end to end on the embedded demo bug, on the real platform (builds, QEMU).

The scripted model proposes K=3 hypotheses — a harmless edit elsewhere in the
file, a syntax error, and the real fix — all patched and verified in parallel.
The run must return the real fix and record why the other two failed, and end
with an mbox that `git am` applies to the buggy tree and checkpatch accepts.
Only this test reads the bug's fix.patch; the agent's inputs must not contain it.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from actors.platforms.local_platform import LocalPlatform
from bench.demo_agent import DEMO, demo_edits, demo_script, hunks_as_edits
from bench.scripted import ScriptedChatModel
from bench.suites import resolve_bug
from graph.agent import fix
from graph.context import FixOptions
from kgym.judge import bug_build_request
from kgym.rundir import MBOX, read_events
from kgym.settings import settings

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600)]


async def test_three_hypotheses_in_parallel_on_the_real_platform():
    bug = resolve_bug(DEMO)
    fix_patch = bug.read("fix.patch")  # the test may know the answer
    kinds = ["wrong", "broken", "right"]
    llm = ScriptedChatModel(script=demo_script(kinds, demo_edits(hunks_as_edits(fix_patch))))
    run_id = f"e2e-{uuid.uuid4().hex[:8]}"
    async with LocalPlatform() as platform:
        result = await fix(
            bug, platform, llm, FixOptions(hypotheses=3, max_iterations=2), run_id=run_id
        )
        tree = Path(await platform.checkout(bug_build_request(bug)))

    by_id = {h["id"]: h for h in result.hypotheses}
    assert result.resolved, result.model_dump_json(indent=1)
    assert result.patch == by_id["i1h3"]["patch"]
    assert result.reason.startswith("a patch resolved the crash")
    assert result.iterations == 1
    wrong, broken, right = by_id["i1h1"], by_id["i1h2"], by_id["i1h3"]
    assert right["outcome"] == "resolved"
    assert wrong["outcome"] == "same_crash" and bug.title in wrong["feedback"]
    assert broken["outcome"] == "build_error"
    assert broken["compile_errors"] and "mempolicy.c" in broken["feedback"]
    # the broken patch got the compiler's errors once, and no VM time
    broken_turns = [t for t in llm.turns if t.hypothesis == "i1h2"]
    assert any("does not compile" in str(t.messages[-1].content) for t in broken_turns)
    events = read_events(settings().runs_dir / run_id)
    verified = {e["hypothesis"] for e in events if e["event"] == "platform.verify.start"}
    assert verified == {"i1h1", "i1h3"}
    checks = [e for e in events if e["event"] == "platform.compile_check.end"]
    assert {e["hypothesis"] for e in checks} == {"i1h1", "i1h2", "i1h3"}

    # a wrong patch's verification stopped at its first crash
    wrong_runs = [
        e for e in events if e["event"] == "platform.verify.end" and e["hypothesis"] == "i1h1"
    ]
    assert wrong_runs[0]["runs"] == 1

    # maintainer-ready: an mbox in the run dir and the result, that git am applies, checkpatch likes
    mbox = result.mbox
    assert mbox == (settings().runs_dir / run_id / MBOX).read_text()
    assert "Subject: [PATCH] mm/mempolicy: fix the nodelist and flags split" in mbox
    assert "Reported-by: kgym <kgym+" in mbox and "linux-mm@kvack.org" in mbox
    assert all(len(line) <= 75 for line in mbox.split("\n\n", 2)[1].split("---")[0].splitlines())
    repo = Path(settings().home) / "tmp" / f"am-{run_id}"
    (repo / "mm").mkdir(parents=True)
    shutil.copyfile(tree / "mm" / "mempolicy.c", repo / "mm" / "mempolicy.c")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "buggy"]):
        subprocess.run(git + cmd, check=True)
    (repo / "mail").write_text(mbox)
    subprocess.run(git + ["am", "mail"], check=True)
    assert (repo / "mm" / "mempolicy.c").read_text() != (tree / "mm" / "mempolicy.c").read_text()
    style = subprocess.run(
        ["perl", "scripts/checkpatch.pl", "--no-color", str(repo / "mail")],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    assert style.returncode == 0 and "total: 0 errors, 0 warnings" in style.stdout, style.stdout
    shutil.rmtree(repo)

    # the agent's inputs: no trace of the fix, the inject patch or the origin
    # (the commit-message and style turns show the agent its own, verified patch: not an input)
    from langchain_core.messages import AIMessage

    shown = "\n".join(
        str(m.content)
        for t in llm.turns
        if t.node not in ("commit", "style")
        for m in t.messages
        if not isinstance(m, AIMessage)
    )
    assert "mpol_parse_str" in shown and "slab-out-of-bounds" in shown
    secrets = [bug.origin.fix_commit, bug.origin.kbench_id, "fix.patch", "inject.patch"]
    for name in ("fix.patch", "inject.patch"):
        secrets += [
            line
            for line in bug.read(name).splitlines()
            if line[:1] in "+-@" and not line.startswith(("+++", "---")) and line[1:].strip()
        ]
    leaked = [s for s in secrets if s and s in shown]
    assert not leaked


async def test_cancel_policy_stops_a_sibling_once_one_resolves():
    """K=2, two resolving patches, one VM at a time, `siblings="cancel"`: the first to
    resolve settles the iteration and the other stops before its next run."""
    bug = resolve_bug(DEMO)
    right = hunks_as_edits(bug.read("fix.patch"))
    nonce = uuid.uuid4().hex[:8]
    edits = {"right": demo_edits(right, nonce=f"a{nonce}")["right"]}
    edits["right2"] = demo_edits(right, nonce=f"b{nonce}")["right"]
    llm = ScriptedChatModel(script=demo_script(["right", "right2"], edits))
    run_id = f"e2e-cancel-{nonce}"
    options = FixOptions(hypotheses=2, max_iterations=1, siblings="cancel")
    async with LocalPlatform(settings().model_copy(update={"vm_pool_size": 1})) as platform:
        result = await fix(bug, platform, llm, options, run_id=run_id)

    assert result.resolved, result.model_dump_json(indent=1)
    outcomes = sorted(h["outcome"] for h in result.hypotheses)
    assert outcomes == ["cancelled", "resolved"], result.model_dump_json(indent=1)
    events = read_events(settings().runs_dir / run_id)
    runs = {e["hypothesis"]: e["runs"] for e in events if e["event"] == "platform.verify.end"}
    resolved = next(h["id"] for h in result.hypotheses if h["outcome"] == "resolved")
    cancelled = next(h["id"] for h in result.hypotheses if h["outcome"] == "cancelled")
    assert runs[resolved] == options.verify_runs
    assert runs[cancelled] < options.verify_runs
    assert result.patch == next(h["patch"] for h in result.hypotheses if h["id"] == resolved)
