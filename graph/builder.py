"""The graph: reproduce -> localizer -> planner -> Send x K -> patcher -> verifier -> planner ...

reproduce ──> localizer ──> planner ──Send──> patcher ──Send──> verifier ─┐
    │                        ▲  │            (one per hypothesis)          │
    └──────> finish <────────┘  └──────────────────────────────────────────┘
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from graph.context import Deps
from graph.nodes.finish import finish_node
from graph.nodes.localizer import localizer_node
from graph.nodes.patcher import patcher_node
from graph.nodes.planner import planner_node
from graph.nodes.reproduce import reproduce_node
from graph.nodes.verifier import verifier_node
from graph.state import State


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    g = StateGraph(State, context_schema=Deps)
    g.add_node("reproduce", reproduce_node, destinations=("localizer", "finish"))
    g.add_node("localizer", localizer_node)
    g.add_node("planner", planner_node, destinations=("patcher", "finish"))
    g.add_node("patcher", patcher_node, destinations=("verifier",))
    g.add_node("verifier", verifier_node)
    g.add_node("finish", finish_node)
    g.add_edge(START, "reproduce")
    g.add_edge("localizer", "planner")
    g.add_edge("verifier", "planner")
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)
