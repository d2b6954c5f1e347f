"""kAgent: the LangGraph repair loop.

    reproduce -> localizer -> planner -Send x K-> patcher -Send-> verifier -> planner ... -> finish

- `state`: the typed state (the bug as the agent may see it, hypotheses, budget, result);
- `nodes/`: one small module per node; `builder`: the graph; `agent`: fix / resume a run;
- `tools`: code tools over the buggy tree (grep, read_lines, find_definition, list_dir,
  edit_file on a scratch copy); `llm`: ChatOpenAI, structured output, the tool loop;
- `trace`: per-run events (`<runs_dir>/<run_id>/events.jsonl`); prompts live in `prompts/`;
- `bench.solve`: kAgent as the benchmark's `kagent`.

The graph reaches the platform only through `kgym.platform.Platform`.
"""
