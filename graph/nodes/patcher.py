"""patcher (one branch per hypothesis): the tool loop, one graph step per model turn or tool call.

    start -> turn -> tool -> tool ... -> turn -> ... -> check (graph/nodes/verifier.py)

Every step is checkpointed, so a resumed run redoes no finished turn or tool
call; the conversation and the successful edits live in the branch's state,
and the scratch copy of the edited files is rebuilt from them at each step.
The budget is checked before every turn (graph/llm.ask); the conversation is
compacted before it outgrows the context window; a branch that repeats the
same tool call without an edit in between is stopped with the reason.
"""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, ToolMessage, messages_from_dict, messages_to_dict
from langgraph.runtime import Runtime

from graph import prompts
from graph.context import BudgetSpent, Deps
from graph.llm import ask, compact
from graph.nodes.common import (
    analysis_text,
    candidates_text,
    crash_class,
    report_text,
    reproducer_text,
)
from graph.state import Branch
from graph.tools import Workspace, clip, toolbox


def workspace(deps: Deps, b: Branch) -> Workspace:
    """The branch's tree with its finished edits (rebuilt: the checkpoint is the truth)."""
    ws = Workspace(b["bug"]["tree"], deps.run_dir / "scratch" / b["hypothesis"]["id"])
    ws.replay(b.get("edits") or [])
    return ws


def tools_for(deps: Deps, ws: Workspace):
    platform = deps.platform
    return toolbox(ws, platform, deps.tree_request() if platform else None)


async def start_node(b: Branch, runtime: Runtime[Deps]) -> dict:
    """The patcher's prompt for this hypothesis."""
    h, bug = b["hypothesis"], b["bug"]
    analysis = b.get("analysis") or {}
    messages = prompts.messages(
        "patcher",
        title=bug["title"],
        report=report_text(bug),
        analysis=analysis_text(analysis),
        guidance=prompts.guidance(analysis.get("crash_class") or crash_class(bug["title"])),
        hypothesis=h["id"],
        root_cause=h["root_cause"],
        location=h["location"],
        fix_idea=h["fix_idea"],
        candidates=candidates_text(b.get("candidates") or []),
        reproducer_type=bug["reproducer_type"],
        reproducer=reproducer_text(bug),
    )
    runtime.context.tracer.event("patcher", "start", h["id"])
    return {
        "messages": messages_to_dict(messages),
        "edits": [],
        "turns": 0,
        "compile_rounds": 0,
        "repeats": {},
        "stop": "",
        "budget_spent": False,
    }


async def turn_node(b: Branch, runtime: Runtime[Deps]) -> dict:
    """One model turn (budget checked first)."""
    deps = runtime.context
    h = b["hypothesis"]
    limit = deps.options.patcher_steps * (1 + b.get("compile_rounds", 0))
    if b.get("turns", 0) >= limit:
        return {"stop": f"{limit} model turns without a finished patch"}
    messages, elided = compact(messages_from_dict(b["messages"]), deps.options.context_tokens)
    if elided:
        deps.tracer.event("patcher", "compacted", h["id"], elided=elided)
    tools = tools_for(deps, Workspace(b["bug"]["tree"], deps.run_dir / "scratch" / h["id"]))
    try:
        answer, usage = await ask(deps, "patcher", messages, tools, hypothesis=h["id"])
    except BudgetSpent as e:
        deps.tracer.event("patcher", "budget.spent", h["id"], reason=str(e))
        return {"stop": str(e), "budget_spent": True}
    messages.append(answer)
    return {"messages": messages_to_dict(messages), "turns": b.get("turns", 0) + 1, "usage": usage}


def pending_calls(messages: list) -> list[dict]:
    """Tool calls of the last model answer that have no result yet."""
    last = next(
        (i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], AIMessage)), None
    )
    if last is None:
        return []
    done = {m.tool_call_id for m in messages[last + 1 :] if isinstance(m, ToolMessage)}
    return [c for c in messages[last].tool_calls if c["id"] not in done]


async def tool_node(b: Branch, runtime: Runtime[Deps]) -> dict:
    """One tool call: the first of the last answer's calls that has no result yet."""
    deps = runtime.context
    h = b["hypothesis"]
    messages = messages_from_dict(b["messages"])
    call = pending_calls(messages)[0]
    key = f"{call['name']}:{json.dumps(call['args'], sort_keys=True, default=str)}"
    repeats = {**(b.get("repeats") or {})}
    repeats[key] = repeats.get(key, 0) + 1
    if repeats[key] >= deps.options.repeat_limit:
        why = (
            f"stopped: {call['name']} called {repeats[key]} times with the same arguments "
            "and no edit in between"
        )
        for c in pending_calls(messages):
            messages.append(
                ToolMessage(content=f"error: {why}", tool_call_id=c["id"], name=c["name"])
            )
        deps.tracer.event("patcher", "loop.stopped", h["id"], reason=why, tool=call["name"])
        return {"messages": messages_to_dict(messages), "repeats": repeats, "stop": why}
    ws = workspace(deps, b)
    tools = {t.name: t for t in tools_for(deps, ws)}
    tool = tools.get(call["name"])
    if tool is None:
        output = f"error: no tool named {call['name']!r}; tools: {', '.join(tools)}"
    else:
        output = clip(str(await tool.ainvoke(call["args"])))
    edits = list(b.get("edits") or [])
    if call["name"] == "edit_file" and output.startswith("edited "):
        edits.append({k: call["args"][k] for k in ("path", "search", "replace")})
        repeats = {}  # progress
    deps.tracer.event(
        "patcher",
        "tool",
        h["id"],
        tool=call["name"],
        turn=b.get("turns", 0),
        call=call["id"],
        args={k: str(v)[:200] for k, v in call["args"].items()},
        output_chars=len(output),
        error=output[7:200] if output.startswith("error: ") else None,
    )
    messages.append(ToolMessage(content=output, tool_call_id=call["id"], name=call["name"]))
    return {"messages": messages_to_dict(messages), "edits": edits, "repeats": repeats}


def after_turn(b: Branch) -> str:
    if b.get("stop"):
        return "check"
    return "tool" if pending_calls(messages_from_dict(b["messages"])) else "check"


def after_tool(b: Branch) -> str:
    if b.get("stop"):
        return "check"
    return "tool" if pending_calls(messages_from_dict(b["messages"])) else "turn"
