"""localizer: rank suspect files and functions from the report's frames and the code."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from graph import prompts
from graph.context import Deps
from graph.llm import LLMError, structured
from graph.nodes.common import report_text
from graph.state import Candidate, State
from graph.tools import ToolError, Workspace

# Frames that belong to the reporting machinery or syscall plumbing, not to the bug.
NOISE = re.compile(
    r"^(_+)?(kasan|asan|ubsan|kmsan|kcsan|sanitizer|dump_stack|print_|check_memory|"
    r"check_region|report|warn|panic|do_syscall|entry_|x64_sys|do_sys|se_sys|ret_from|"
    r"kthread|worker_thread|process_one_work|asm_|mem(cpy|set|move)|str(cpy|len))"
)
MAX_FRAMES = 6
SNIPPET_LINES = 30


class Suspect(BaseModel):
    file: str = Field(description="path relative to the kernel source tree")
    function: str
    reason: str


class Localization(BaseModel):
    """Suspect locations, most suspect first."""

    suspects: list[Suspect]


def frame_candidates(state: State, ws: Workspace) -> list[Candidate]:
    """Candidates straight from the report: non-noise frames, located in the tree."""
    report = state["bug"]["report"]
    guilty = report.get("guilty_file")
    out: list[Candidate] = []
    for frame in report.get("frames", []):
        function = frame["function"].split(".")[0]
        if NOISE.match(function) or any(c["function"] == function for c in out):
            continue
        file, line = frame.get("file"), frame.get("line")
        if not file:
            file, line = _define(ws, function, guilty)
        if file:
            out.append(Candidate(file=file, function=function, line=line, reason="stack frame"))
        if len(out) >= MAX_FRAMES:
            break
    if guilty and not any(c["file"] == guilty for c in out):
        out.append(Candidate(file=guilty, function="", line=None, reason="guilty file"))
    return out


def _define(ws: Workspace, function: str, guilty: str | None) -> tuple[str | None, int | None]:
    """Find `function`'s definition near the guilty file (never the whole tree)."""
    if not guilty:
        return None, None
    for scope in (guilty, str(PurePosixPath(guilty).parent)):
        try:
            hit = ws.find_definition(function, scope).splitlines()[0]
        except ToolError:
            continue
        if hit.startswith("no definition"):
            continue
        file, line, _ = hit.split(":", 2)
        return file, int(line)
    return None, None


def snippet(ws: Workspace, c: Candidate) -> str:
    if not c["line"]:
        return ""
    try:
        return ws.read_lines(
            c["file"], max(1, c["line"] - SNIPPET_LINES // 2), c["line"] + SNIPPET_LINES // 2
        )
    except ToolError:
        return ""


async def localizer_node(state: State, runtime: Runtime[Deps]) -> dict:
    """Rank suspects with the model; fall back to the frames' order if its answer is unusable."""
    deps = runtime.context
    ws = Workspace(state["bug"]["tree"], deps.run_dir / "scratch" / "localizer")
    with deps.tracer.span("localizer", "localize") as out:
        frames = frame_candidates(state, ws)
        material = "\n\n".join(
            f"{c['function'] or '(file)'} in {c['file']}:{c['line'] or '?'}\n{snippet(ws, c)}"
            for c in frames
        )
        messages = prompts.messages(
            "localizer",
            title=state["bug"]["title"],
            report=report_text(state["bug"]),
            frames=material or "(no frame could be located in the tree)",
            limit=deps.options.candidates,
        )
        usage = None
        try:
            answer, usage = await structured(deps.llm, Localization, messages)
            ranked = [
                Candidate(
                    file=ws.rel(s.file),
                    function=s.function,
                    reason=s.reason,
                    line=_line_of(frames, s.function),
                )
                for s in answer.suspects
                if _exists(ws, s.file)
            ]
        except (LLMError, ToolError) as e:
            out["error"] = str(e)
            ranked = []
        candidates = (ranked or frames)[: deps.options.candidates]
        out.update(candidates=len(candidates), **(usage or {}))
    return {"candidates": candidates, **({"usage": usage} if usage else {})}


def _exists(ws: Workspace, file: str) -> bool:
    try:
        return (ws.root / ws.rel(file)).is_file()
    except ToolError:
        return False


def _line_of(frames: list[Candidate], function: str) -> int | None:
    return next((c["line"] for c in frames if c["function"] == function), None)
