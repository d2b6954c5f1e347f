"""patcher (one per hypothesis): write a fix with the code tools, compile-check it, hand it on.

Edits are search/replace on a scratch copy of the touched files; the diff goes
to the platform's fast compile check before any VM time is spent, and the
compiler's errors go back to the model once.
"""

from __future__ import annotations

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Command, Send

from graph import prompts
from graph.context import Deps
from graph.llm import tool_loop
from graph.nodes.common import candidates_text, report_text, reproducer_text
from graph.state import Hypothesis, PatchTask, Usage, add_usage
from graph.tools import Workspace, code_tools, edit_tools
from kgym.judge import bug_build_request

COMPILED_SUFFIXES = (".c", ".S")


async def write_patch(task: PatchTask, deps: Deps, ws: Workspace) -> tuple[list, Usage]:
    """Let the model read and edit `ws` for the task's hypothesis; returns the conversation."""
    h = task["hypothesis"]
    bug = task["bug"]
    messages = prompts.messages(
        "patcher",
        title=bug["title"],
        report=report_text(bug),
        hypothesis=h["id"],
        root_cause=h["root_cause"],
        location=h["location"],
        fix_idea=h["fix_idea"],
        candidates=candidates_text(task["candidates"]),
        reproducer_type=bug["reproducer_type"],
        reproducer=reproducer_text(bug),
    )
    return await _loop(deps, ws, h, messages)


async def _loop(deps: Deps, ws: Workspace, h: Hypothesis, messages: list) -> tuple[list, Usage]:
    def on_tool(name: str, args: dict, output: str) -> None:
        deps.tracer.event(
            "patcher",
            "tool",
            h["id"],
            tool=name,
            args={k: str(v)[:200] for k, v in args.items()},
            output_chars=len(output),
        )

    tools = code_tools(ws) + edit_tools(ws)
    return await tool_loop(deps.llm, tools, messages, deps.options.patcher_steps, on_tool)


async def compile_errors(deps: Deps, h: Hypothesis, patch: str, files: list[str]) -> list[str]:
    """Compile the touched files with the patch applied; [] when they build."""
    targets = [f for f in files if f.endswith(COMPILED_SUFFIXES)]
    if not targets:
        return []  # headers only: the verifier's full build judges them
    with deps.tracer.span("patcher", "platform.compile_check", h["id"], files=targets) as out:
        result = await deps.need_platform().compile_check(
            bug_build_request(deps.bug, patch), targets
        )
        out.update(ok=result.ok, platform_s=result.duration_s)
    return [] if result.ok else result.error_messages()


async def patcher_node(task: PatchTask, runtime: Runtime[Deps]) -> Command:
    deps = runtime.context
    h = dict(task["hypothesis"])
    ws = Workspace(task["bug"]["tree"], deps.run_dir / "scratch" / h["id"])
    with deps.tracer.span("patcher", "patch", h["id"]) as out:
        messages, usage = await write_patch(task, deps, ws)
        errors = await compile_errors(deps, h, ws.diff(), ws.changed_files()) if ws.diff() else []
        if errors:  # one more chance, with the compiler's words
            messages.append(
                HumanMessage(prompts.render("patcher", "compile_errors", errors="\n".join(errors)))
            )
            messages, more = await _loop(deps, ws, h, messages)
            usage = add_usage(usage, more)
            errors = await compile_errors(deps, h, ws.diff(), ws.changed_files())
        h.update(patch=ws.diff(), files=ws.changed_files(), compile_errors=errors)
        out.update(
            files=h["files"], compiled=not errors, patch_lines=h["patch"].count("\n"), **usage
        )
    update = {"hypotheses": [h], "usage": usage}
    return Command(update=update, goto=Send("verifier", {**task, "hypothesis": h}))
