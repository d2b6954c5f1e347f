"""submit: make the chosen patch maintainer-ready, as a `git format-patch` mail.

1. checkpatch loop: the tree's scripts/checkpatch.pl; the model fixes what it
   reports with the edit tool (`FixOptions.style_rounds` rounds, a few turns
   each). A restyled patch must compile and be verified again, else the
   verified patch stays.
2. `Fixes:` from the platform's history (the commit that introduced the changed
   lines, checked to be an ancestor), when the source has history.
3. the commit message: the model writes subsystem, summary and body; the code
   holds the form (subject <= 72 characters, body wrapped at 75, trailers).
4. recipients from scripts/get_maintainer.pl; the mbox from `git format-patch`,
   written to the run directory (`patch.mbox`).
"""

from __future__ import annotations

import textwrap

from langchain_core.messages import ToolMessage
from langgraph.runtime import Runtime
from pydantic import BaseModel, Field

from graph import prompts
from graph.context import BudgetSpent, Deps
from graph.llm import LLMError, ask, structured
from graph.nodes.common import analysis_text, report_text
from graph.nodes.verifier import classify, compile_errors
from graph.state import Hypothesis, Outcome, State, Usage, add_usage, zero_usage
from graph.tools import Workspace, clip
from kgym.judge import verify
from kgym.models import CheckpatchResult, HistoryQuery, Submission
from kgym.rundir import MBOX

SUBJECT_MAX = 72
BODY_WIDTH = 75
STYLE_TURNS = 6


class CommitMessage(BaseModel):
    """The commit message of the fix."""

    subsystem: str = Field(description="the subsystem prefix, e.g. 'mm/mempolicy' or 'net: sched'")
    summary: str = Field(description="imperative summary, lower case, no final period")
    body: str = Field(description="what was wrong, why it crashed, and how the patch fixes it")


def subject_line(subsystem: str, summary: str) -> str:
    """`subsystem: summary`, cut at a word boundary to SUBJECT_MAX characters."""
    subsystem = subsystem.strip().rstrip(":")
    summary = " ".join(summary.split()).rstrip(".")
    line = f"{subsystem}: {summary}" if subsystem else summary
    if len(line) <= SUBJECT_MAX:
        return line
    cut = line[: SUBJECT_MAX + 1].rsplit(" ", 1)[0]
    return cut if len(cut) > len(subsystem) + 2 else line[:SUBJECT_MAX]


def wrap_body(body: str) -> str:
    """Paragraphs wrapped at BODY_WIDTH; indented lines (code, traces) kept as they are."""
    out = []
    for para in body.strip().split("\n\n"):
        lines = para.splitlines()
        if any(line.startswith((" ", "\t")) for line in lines):
            out.append("\n".join(lines))
        else:
            out.append(textwrap.fill(" ".join(para.split()), BODY_WIDTH))
    return "\n\n".join(out)


def trailers(deps: Deps, fixes: str | None) -> str:
    bug = deps.bug
    lines = [fixes] if fixes else []
    lines.append(f"Reported-by: kgym <kgym+{bug.id.replace('/', '-')}@localhost>")
    lines.append(f"Signed-off-by: {deps.options.author}")
    return "\n".join(lines)


async def restyle(
    deps: Deps, state: State, h: Hypothesis, report: CheckpatchResult
) -> tuple[str, Usage]:
    """Let the model fix checkpatch's findings with the edit tool: the new patch, the cost."""
    ws = Workspace(state["bug"]["tree"], deps.run_dir / "scratch" / f"{h['id']}-style")
    ws.replay([])
    _apply(ws, h["patch"])
    tools = _tools(ws)
    messages = prompts.messages(
        "submit",
        sections=("style_system", "style_user"),
        patch=h["patch"],
        report="\n".join(report.messages),
    )
    by_name = {t.name: t for t in tools}
    usage = zero_usage()
    for _ in range(STYLE_TURNS):
        answer, spent = await ask(deps, "submit", messages, tools, hypothesis=h["id"])
        usage = add_usage(usage, spent)
        messages.append(answer)
        if not answer.tool_calls:
            break
        for call in answer.tool_calls:
            tool = by_name.get(call["name"])
            out = (
                str(await tool.ainvoke(call["args"])) if tool else f"error: no tool {call['name']}"
            )
            messages.append(ToolMessage(content=clip(out), tool_call_id=call["id"]))
    return ws.diff(), usage


def _apply(ws: Workspace, patch: str) -> None:
    """Put `patch` into `ws`: each hunk's old side replaced by its new side."""
    for old, new, path in _sides(patch):
        if old != new:
            ws.edit(path, old, new)


def _sides(patch: str) -> list[tuple[str, str, str]]:
    """Each hunk of a unified diff as (old text, new text, path)."""
    out: list[tuple[str, str, str]] = []
    path, old, new = "", [], []
    for line in patch.splitlines(keepends=True):
        if line.startswith(("--- ", "+++ ", "@@")):
            if old or new:
                out.append(("".join(old), "".join(new), path))
            old, new = [], []
            if line.startswith("+++ "):
                path = line[4:].strip().removeprefix("b/")
            continue
        kind, text = line[:1], line[1:]
        if kind in (" ", "-"):
            old.append(text)
        if kind in (" ", "+"):
            new.append(text)
    if old or new:
        out.append(("".join(old), "".join(new), path))
    return out


def _tools(ws: Workspace):
    from langchain_core.tools import StructuredTool

    handle = {"handle_tool_error": lambda e: f"error: {e}"}
    return [
        StructuredTool.from_function(ws.read_lines, name="read_lines", **handle),
        StructuredTool.from_function(ws.edit, name="edit_file", **handle),
    ]


async def style_loop(
    deps: Deps, state: State, h: Hypothesis
) -> tuple[str, CheckpatchResult, str, Usage]:
    """(patch, its checkpatch report, a note, the cost) after at most `style_rounds` rounds."""
    platform, req = deps.need_platform(), deps.tree_request()
    patch = h["patch"]
    report = await platform.checkpatch(req, patch)
    note = ""
    usage = zero_usage()
    for _ in range(deps.options.style_rounds):
        if not report.ok or report.clean:
            break
        try:
            restyled, spent = await restyle(deps, state, {**h, "patch": patch}, report)
            usage = add_usage(usage, spent)
        except BudgetSpent as e:
            note = f"style fixes skipped: {e}"
            break
        if not restyled or restyled == patch:
            break
        candidate = await platform.checkpatch(req, restyled)
        if candidate.errors + candidate.warnings >= report.errors + report.warnings:
            break
        patch, report = restyled, candidate
    if patch != h["patch"]:
        patch, note = await _reverify(deps, h, patch)
        report = await platform.checkpatch(req, patch)
    return patch, report, note, usage


async def _reverify(deps: Deps, h: Hypothesis, patch: str) -> tuple[str, str]:
    """A restyled patch, if it still compiles and resolves; else the verified one."""
    files = sorted({p for _, _, p in _sides(patch)})
    if await compile_errors(deps, h, patch, files):
        return h["patch"], "the restyled patch did not compile: kept the verified one"
    verdict = await verify(
        deps.need_platform(), deps.bug, patch, runs=deps.options.verify_runs, run_id=deps.run_id
    )
    outcome, feedback = classify(verdict)
    if outcome != Outcome.RESOLVED:
        return h[
            "patch"
        ], f"the restyled patch failed verification ({feedback}): kept the verified one"
    return patch, "restyled after checkpatch, verified again"


async def submit_node(state: State, runtime: Runtime[Deps]) -> dict:
    deps = runtime.context
    result = dict(state.get("result") or {})
    if not result.get("resolved") or deps.platform is None:
        return {}
    h = next(x for x in state["hypotheses"] if x["id"] == result["hypothesis"])
    platform, req = deps.platform, deps.tree_request()
    with deps.tracer.span("submit", "submit", h["id"]) as out:
        patch, style, note, usage = await style_loop(deps, state, h)
        fixes = (await platform.history(req, HistoryQuery(kind="fixes", patch=patch))).fixes
        message = prompts.messages(
            "submit",
            sections=("message_system", "message_user"),
            title=state["bug"]["title"],
            report=report_text(state["bug"]),
            analysis=analysis_text(state.get("analysis")),
            root_cause=h["root_cause"],
            patch=patch,
        )
        try:
            msg, spent = await structured(deps, "submit", CommitMessage, message, h["id"])
            usage = add_usage(usage, spent)
            subsystem, summary, body = msg.subsystem, msg.summary, msg.body
        except (LLMError, BudgetSpent) as e:
            usage = add_usage(usage, getattr(e, "usage", None))
            out["message_error"] = str(e)
            subsystem, summary = h["location"].split(":")[0].rsplit(".", 1)[0], "fix the crash"
            body = f"{h['root_cause']}\n\n{h['fix_idea']}"
        body = f"{wrap_body(body)}\n\nThe crash: {state['bug']['title']}\n\n{trailers(deps, fixes)}"
        subject = subject_line(subsystem, summary)
        recipients = await platform.maintainers(req, patch)
        lists = [r for r in recipients if "<" not in r]
        people = [r for r in recipients if "<" in r]
        mbox = await platform.format_patch(
            req,
            Submission(
                patch=patch,
                subject=subject,
                body=body,
                author=deps.options.author,
                to=people or lists[:1],
                cc=lists if people else lists[1:],
            ),
        )
        final = await platform.checkpatch(req, mbox)
        (deps.run_dir / MBOX).write_text(mbox)
        out.update(
            subject=subject,
            fixes=fixes,
            recipients=len(recipients),
            note=note,
            checkpatch_errors=final.errors,
            checkpatch_warnings=final.warnings,
        )
    result.update(
        patch=patch,
        mbox=mbox,
        subject=subject,
        fixes=fixes,
        recipients=recipients,
        checkpatch=final.model_dump(),
    )
    if note:
        result["reason"] = f"{result.get('reason', '')}; {note}".strip("; ")
    return {"result": result, "usage": usage}
