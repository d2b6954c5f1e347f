"""Recorded LLM trajectories as test fixtures (tests/graph/data/*.llm.jsonl).

A fixture is a run's `llm.jsonl` and what the run returned. The test replays it
through today's graph: a prompt, node or tool change that alters what the
model is shown is a divergence naming the node, and the fixture is recorded
again with

    uv run python tests/graph/trajectories.py
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bench.scripted import Turn, call, say

DATA = Path(__file__).parent / "data"
HOPELESS = DATA / "hopeless.llm.jsonl"
HOPELESS_RESULT = DATA / "hopeless.result.json"
KEYS = ("resolved", "reason", "iterations", "tokens", "hypotheses")


def hopeless(turn: Turn):
    """Localizes, proposes fresh hypotheses every time, never manages an edit."""
    if turn.node == "localizer":
        return call(
            "Localization",
            suspects=[{"file": "mm/opt.c", "function": "parse_opt", "reason": "faulting frame"}],
        )
    if turn.node == "planner":
        n = turn.text().count("root cause:")  # earlier hypotheses shown
        return call(
            "Plan",
            reason="try",
            hypotheses=[
                {
                    "root_cause": f"cause {n + i}",
                    "location": "mm/opt.c:parse_opt()",
                    "fix_idea": "reorder",
                }
                for i in range(2)
            ],
        )
    if turn.step == 0:
        return call("read_lines", path="mm/opt.c", start=1, end=30)
    return say("I cannot find a fix.")


async def record() -> None:
    """Run the hopeless scenario with the scripted model and store its trajectory."""
    sys.path.insert(0, str(Path(__file__).parent))
    from agent_testkit import BUGGY_C, HEADER, TITLE

    from bench.scripted import ScriptedChatModel
    from graph.agent import fix
    from graph.context import FixOptions
    from kgym.models import BugSpec, CrashReport, Frame
    from kgym.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "tree" / "mm").mkdir(parents=True)
        (root / "tree" / "mm" / "opt.c").write_text(BUGGY_C)
        (root / "tree" / "mm" / "opt.h").write_text(HEADER)
        (root / "bug").mkdir()
        (root / "bug" / "repro.c").write_text("int main(void) { return 0; }\n")
        (root / "bug" / "bug.json").write_text(
            json.dumps(
                {
                    "id": "opt-bug",
                    "title": TITLE,
                    "source": {"kind": "dir", "path": str(root / "tree")},
                    "inject": None,
                    "reproducer": {"type": "c", "file": "repro.c"},
                }
            )
        )
        report = scenario_report(CrashReport, Frame, TITLE)
        result = await fix(
            BugSpec.load(root / "bug"),
            None,
            ScriptedChatModel(script=hopeless),
            FixOptions(hypotheses=2, max_iterations=2),
            settings=Settings(home=root / "home"),
            run_id="hopeless",
            known=(str(root / "tree"), report),
        )
        DATA.mkdir(exist_ok=True)
        shutil.copyfile(root / "home" / "runs" / "hopeless" / "llm.jsonl", HOPELESS)
    out = {k: getattr(result, k) for k in KEYS}
    HOPELESS_RESULT.write_text(json.dumps(out, indent=1) + "\n")


def scenario_report(CrashReport, Frame, title):  # noqa: N803  (the classes, imported late)
    return CrashReport(
        crashed=True,
        title=title,
        type="KASAN",
        frames=[
            Frame(function="kasan_report", offset="0x10/0x20"),
            Frame(function="parse_opt", offset="0x92/0xb0", file="mm/opt.c", line=18),
            Frame(function="check_mode", offset="0x1/0x8", file="mm/opt.c", line=7),
        ],
        guilty_file="mm/opt.c",
        report="BUG: KASAN: slab-out-of-bounds in parse_opt+0x92/0xb0\nWrite of size 1\n",
    )


if __name__ == "__main__":
    asyncio.run(record())
