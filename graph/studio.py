"""The agent's graph for LangGraph's own tools (`langgraph dev`, LangGraph Studio).

langgraph.json points here. The graph is compiled without a checkpointer: the
LangGraph server brings its own. Studio draws it and shows its state schema; a run
started from Studio needs kgym's run context (`graph.context.Deps`: the model, the
platform, the bug), which only `kgym fix` builds — run the agent with `kgym fix` and
watch it in `kgym serve`, or with LangSmith tracing on (see the README).
"""

from __future__ import annotations

from graph.builder import build_graph

graph = build_graph()
