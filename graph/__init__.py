"""kAgent: the LangGraph repair loop.

    reproduce -> rootcause -> localizer -> planner -Send x K-> branch -> planner ... -> finish
    -> submit;   branch = start -> turn <-> tool -> check -> verify (a subgraph per hypothesis)

- `state`: the typed state (the bug as the agent may see it, analysis, hypotheses, usage);
- `nodes/`: one small module per node; `builder`: the graph; `agent`: fix, resume,
  replay, fork a run;
- `tools`: reading and editing the buggy tree here; the code index, grep and git history
  through the platform (the agent starts no process);
- `llm`: ChatOpenAI, `ask()` (budget, recording, trace), structured output, compaction;
- `record`: every LLM exchange in the run directory, and replay from it;
- `trace`: per-run events; `prompts`: the versioned prompt files in `prompts/`.

The graph reaches the platform only through `kgym.platform.Platform`.
"""
