"""A run directory written step by step, as `kgym fix` writes one: for the light browser test.

The stream has the shapes kgym's parts emit (agent spans, build stages, VM boots and
runs, the judge's vm.run.end with its crash report, verdicts), and the hypotheses are put
into a real LangGraph checkpoint with the real graph's `update_state`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

from langgraph.checkpoint.sqlite import SqliteSaver

from graph.builder import build_graph
from kgym import rundir
from kgym.rundir import CHECKPOINTS, write_meta

TITLE = "KASAN: slab-out-of-bounds Write in mpol_parse_str"
PATCH = """--- a/mm/mempolicy.c
+++ b/mm/mempolicy.c
@@ -3010,7 +3010,8 @@ int mpol_parse_str(char *str, struct mempolicy **mpol)
 \t\t * Insist on a nodelist
 \t\t */
-\t\tif (!nodelist)
+\t\tif (!nodelist || !*nodelist)
 \t\t\tgoto out;
+\t\t/* an empty list is no list */
 \t\tbreak;
"""
FRAMES = [
    {"function": "mpol_parse_str", "file": "mm/mempolicy.c", "line": 3030, "offset": "0x5b2/0x6b0"},
    {"function": "shmem_parse_one", "file": "mm/shmem.c", "line": 3601, "offset": "0x2e/0x480"},
    {"function": "vfs_parse_fs_param", "file": "fs/fs_context.c", "line": 146, "offset": None},
]


class Recorder:
    """Appends events to a run's events.jsonl with timestamps from a moving clock."""

    def __init__(self, run_dir: Path, run_id: str, meta: bool = True):
        self.run_dir, self.run_id = run_dir, run_id
        self.t = time.time()
        run_dir.mkdir(parents=True, exist_ok=True)
        if meta:
            write_meta(run_dir, {"run_id": run_id, "bug": "demo", "model": "scripted"})

    def __call__(self, node: str, event: str, hypothesis: str | None = None, dt: float = 1.0,
                 **fields) -> None:  # fmt: skip
        self.t += dt
        record = {
            "run_id": self.run_id, "node": node, "hypothesis": hypothesis, "event": event,
            "ts": self.t, "duration_s": None, "input_tokens": 0, "output_tokens": 0,
            "cost_usd": 0.0, **fields,
        }  # fmt: skip
        with (self.run_dir / "events.jsonl").open("a") as f:
            f.write(json.dumps(record) + "\n")

    def console(self, name: str, text: str) -> str:
        path = self.run_dir / name / "console.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)


def checkpoint(run_dir: Path, run_id: str, hypotheses: list[dict]) -> None:
    """The hypotheses as the graph's state, in a real LangGraph SQLite checkpoint."""
    with SqliteSaver.from_conn_string(str(run_dir / CHECKPOINTS)) as saver:
        graph = build_graph(saver)
        config = {"configurable": {"thread_id": run_id}}
        graph.update_state(config, {"hypotheses": hypotheses}, as_node="branch")


def steps(run_dir: Path, run_id: str) -> Iterator[str]:
    """Write the run one step at a time; each `yield` names what was just written."""
    e = Recorder(run_dir, run_id)
    e("agent", "run.start", bug="demo", model="scripted")
    e("reproduce", "platform.reproduce.start")
    yield "reproducing"
    e("build_cache", "build.stage", dt=4, stage="make", duration_s=3.5)
    e("vmpool", "vm.booted", dt=6, boot_s=5.2)
    e("vmpool", "repro.done", dt=1, run_s=0.7, outcome="crashed")
    report = {"title": TITLE, "type": "KASAN", "frames": FRAMES, "text": f"BUG: {TITLE}\n..."}
    log = e.console("aa000001", f"[    5.5] BUG: {TITLE}\n")
    e(
        "judge",
        "vm.run.end",
        index=0,
        outcome="crashed",
        title=TITLE,
        report=report,
        console_log=log,
    )
    e("reproduce", "platform.reproduce.end", duration_s=12.0, title=TITLE)
    e("localizer", "localize.end", duration_s=1.0, input_tokens=900, output_tokens=60)
    e("planner", "plan.start")
    yield "planning"
    for i, cause in enumerate(["wrong idea", "broken idea", "right idea"], 1):
        e("planner", "hypothesis", f"i1h{i}", dt=0.1, root_cause=cause, iteration=1,
          location="mm/mempolicy.c:mpol_parse_str()")  # fmt: skip
    e("planner", "plan.end", duration_s=2.0, input_tokens=1200, output_tokens=300,
      cost_usd=0.0004)  # fmt: skip
    for i in (1, 2, 3):
        e("patcher", "patch.start", f"i1h{i}", dt=0.2)
    yield "patching"
    for i in (1, 2, 3):
        e("patcher", "platform.compile_check.start", f"i1h{i}", dt=1)
        e("build_cache", "build.stage", f"i1h{i}", dt=3, stage="compile", duration_s=2.8,
          ok=i != 2)  # fmt: skip
        e("patcher", "platform.compile_check.end", f"i1h{i}", dt=0.1, duration_s=3.0, ok=i != 2)
        e("patcher", "patch.end", f"i1h{i}", duration_s=5.0, input_tokens=700, output_tokens=90,
          cost_usd=0.0002)  # fmt: skip
    hyps = [
        {"id": f"i1h{i}", "iteration": 1, "root_cause": c, "location": "mm/mempolicy.c",
         "fix_idea": c, "patch": PATCH, "files": ["mm/mempolicy.c"],
         "compile_errors": ["mm/mempolicy.c:3012: error: expected ';'"] if i == 2 else []}
        for i, c in enumerate(["wrong idea", "broken idea", "right idea"], 1)
    ]  # fmt: skip
    checkpoint(run_dir, run_id, hyps)
    e("verifier", "verdict", "i1h2", outcome="build_error", feedback="does not compile")
    e("verifier", "platform.verify.start", "i1h1")
    e("verifier", "platform.verify.start", "i1h3")
    yield "verifying"
    for i, outcome in ((1, "crashed"), (3, "no_crash")):
        h = f"i1h{i}"
        e("build_cache", "build.stage", h, dt=2, stage="make", duration_s=9.0)
        e("vmpool", "vm.booted", h, dt=6, boot_s=5.5)
        e("vmpool", "repro.done", h, dt=1, run_s=0.8, outcome=outcome)
        crashed = outcome == "crashed"
        log = e.console(f"bb00000{i}", f"[ 5.6] BUG: {TITLE}\n" if crashed else "ok\n")
        e("judge", "vm.run.end", h, index=0, outcome=outcome, title=TITLE if crashed else None,
          report=report if crashed else None, console_log=log)  # fmt: skip
        e("verifier", "platform.verify.end", h, duration_s=18.0)
        verdict = "same_crash" if crashed else "resolved"
        e("verifier", "verdict", h, outcome=verdict, feedback=f"{verdict} in 1 run")
    e("finish", "result", "i1h3", resolved=True, reason="a patch resolved the crash")
    e("agent", "run.end", resolved=True, reason="a patch resolved the crash", duration_s=80.0,
      input_tokens=4200, output_tokens=630, cost_usd=0.0012)  # fmt: skip
    yield "finished"


def ask(run_dir: Path, run_id: str, hypothesis: str, patch: str = "--- a/x\n+++ b/x\n") -> None:
    """Leave a review question, and log `review.waiting` as `kgym fix --review rundir` does."""
    rundir.ask_review(run_dir, {"hypothesis": hypothesis, "root_cause": "?", "patch": patch})
    Recorder(run_dir, run_id, meta=False)("review", "review.waiting", hypothesis, dt=0.0)
