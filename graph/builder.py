"""The graph: reproduce -> rootcause -> localizer -> planner -> Send x K -> branch -> planner ...

reproduce ─> rootcause ─> localizer ─> planner ──Send x K──> branch ─┐
    │                                   ▲  │                         │
    └──────────> finish <───────────────┘  └─────────────────────────┘
                   │
                 submit ─> END

A branch is a subgraph of its own (one per hypothesis, run side by side):

    start ─> turn ⇄ tool ─> check ─> verify ─> END
               ▲              │
               └── compiler ──┘

so every model turn and every tool call is a checkpointed step, and a branch
never waits for its siblings' steps.
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph.context import Deps
from graph.nodes.finish import finish_node
from graph.nodes.localizer import localizer_node
from graph.nodes.patcher import after_tool, after_turn, start_node, tool_node, turn_node
from graph.nodes.planner import planner_node
from graph.nodes.reproduce import reproduce_node
from graph.nodes.rootcause import rootcause_node
from graph.nodes.submit import submit_node
from graph.nodes.verifier import after_check, check_node, verify_node
from graph.state import Branch, BranchOut, PatchTask, State


def build_branch() -> CompiledStateGraph:
    """One hypothesis: the patcher's tool loop, the compile check, the verification."""
    g = StateGraph(Branch, context_schema=Deps, input_schema=PatchTask, output_schema=BranchOut)
    g.add_node("start", start_node)
    g.add_node("turn", turn_node)
    g.add_node("tool", tool_node)
    g.add_node("check", check_node)
    g.add_node("verify", verify_node)
    g.add_edge(START, "start")
    g.add_edge("start", "turn")
    g.add_conditional_edges("turn", after_turn, ["tool", "check"])
    g.add_conditional_edges("tool", after_tool, ["tool", "turn", "check"])
    g.add_conditional_edges("check", after_check, ["turn", "verify", END])
    g.add_edge("verify", END)
    return g.compile()


# The trace names the work inside a hypothesis's branch by what it does (patching,
# verifying); in the compiled graph that work is the `branch` node.
TRACE_NODES = {"patcher": "branch", "verifier": "branch"}


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    g = StateGraph(State, context_schema=Deps)
    g.add_node("reproduce", reproduce_node, destinations=("rootcause", "finish"))
    g.add_node("rootcause", rootcause_node)
    g.add_node("localizer", localizer_node)
    g.add_node("planner", planner_node, destinations=("branch", "finish"))
    g.add_node("branch", build_branch())
    g.add_node("finish", finish_node)
    g.add_node("submit", submit_node)
    g.add_edge(START, "reproduce")
    g.add_edge("rootcause", "localizer")
    g.add_edge("localizer", "planner")
    g.add_edge("branch", "planner")
    g.add_edge("finish", "submit")
    g.add_edge("submit", END)
    return g.compile(checkpointer=checkpointer)
