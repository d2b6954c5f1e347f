"""What the viewer shows of a run, computed from its one event stream and its checkpoint.

- the graph's shape, read from the compiled LangGraph (`get_graph()`), laid out in layers;
- a Gantt timeline per hypothesis: bars from every event that has a duration (agent
  spans, LLM calls, compile checks, build stages, VM boots, reproducer runs), and open
  spans (started, not ended) drawn up to the last event: still running while the run
  runs, "unended" once it has finished;
- tokens and cost per node;
- per hypothesis: its patch, verdict, the crash reports of its runs and their console logs.

Nothing here knows the agent's node names: nodes come from the graph and the events.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from kgym.rundir import RUN_NODES, is_final, reviews

RUN_LANE = "run"  # the lane of events that serve no hypothesis (reproduce, plan, ...)
KINDS = ("node", "llm", "compile", "build", "boot", "run")  # the rows of a lane, in order
# The platform's events that say how long something took in a field of their own.
TIMED_FIELDS = {("vm.booted", "boot_s"): "boot", ("repro.done", "run_s"): "run"}


@cache
def graph_shape() -> dict[str, Any]:
    """The agent's graph (nodes, edges) as LangGraph compiles it, with a layer per node."""
    from graph.builder import TRACE_NODES, build_graph

    drawn = build_graph().get_graph()
    nodes = list(drawn.nodes)
    edges = [
        {"source": e.source, "target": e.target, "conditional": bool(e.conditional)}
        for e in drawn.edges
    ]
    layer, back = layers(nodes, [(e["source"], e["target"]) for e in edges])
    for e in edges:
        e["back"] = (e["source"], e["target"]) in back
    return {
        "nodes": [{"id": n, "layer": layer[n]} for n in nodes],
        "edges": edges,
        "aliases": dict(TRACE_NODES),  # trace node -> the graph node it runs in
    }


def layers(
    nodes: list[str], edges: list[tuple[str, str]]
) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """Longest-path layers from the first node, after dropping the edges that close a cycle
    (found by depth-first search); returns (layer of each node, the dropped back edges)."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        out.setdefault(a, []).append(b)
        out.setdefault(b, [])
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on the DFS stack, 2 done
    order: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        for m in out[n]:
            if state.get(m) == 1:
                back.add((n, m))
            elif m not in state:
                visit(m)
        state[n] = 2
        order.append(n)

    for n in out:
        if n not in state:
            visit(n)
    layer = {n: 0 for n in out}
    for n in reversed(order):  # a topological order of the acyclic rest
        for m in out[n]:
            if (n, m) not in back:
                layer[m] = max(layer[m], layer[n] + 1)
    return layer, back


def _kind(event: dict) -> str:
    name, node = str(event.get("event")), str(event.get("node"))
    if name.startswith(("llm", "chat")):
        return "llm"
    if "compile_check" in name:
        return "compile"
    if node == "build_cache" or name.startswith("build"):
        return "build"
    return "node"


def _label(event: dict, kind: str) -> str:
    name = str(event.get("event")).removesuffix(".end").removesuffix(".start")
    if event.get("stage"):
        return f"{name.removeprefix('build.')} {event['stage']}"
    if event.get("event") == "repro.done" and event.get("outcome"):
        return f"run: {event['outcome']}"
    return f"{event.get('node')}: {name}" if kind == "node" else name


def timeline(events: list[dict]) -> dict[str, Any]:
    """Bars per lane (a hypothesis, or the run itself): {t0, t1, lanes: [{lane, bars}]}.
    A bar is {kind, label, node, start, end, open}; times are seconds since the first event.
    Once the run has finished, a span that never ended is not running: it is closed at
    the run's end and marked `unended`."""
    stamped = [e for e in events if isinstance(e.get("ts"), int | float)]
    if not stamped:
        return {"t0": None, "t1": 0.0, "lanes": []}
    t0 = min(float(e["ts"]) - _duration(e)[0] for e in stamped)
    t1 = max(float(e["ts"]) for e in stamped) - t0
    lanes: dict[str, list[dict]] = {}
    opened: dict[tuple, list[dict]] = {}  # spans of one name may overlap: oldest first
    for e in stamped:
        lane = e.get("hypothesis") or RUN_LANE
        name = str(e.get("event"))
        ts = float(e["ts"]) - t0
        key = (lane, e.get("node"), name.removesuffix(".start").removesuffix(".end"))
        if name.endswith(".start"):
            bar = {
                "kind": _kind(e),
                "label": _label(e, _kind(e)),
                "node": e.get("node"),
                "start": round(ts, 3),
                "end": round(t1, 3),
                "open": True,
            }
            opened.setdefault(key, []).append(bar)
            lanes.setdefault(lane, []).append(bar)
            continue
        duration, kind = _duration(e)
        if duration <= 0 and not opened.get(key):
            continue
        bar = opened[key].pop(0) if name.endswith(".end") and opened.get(key) else None
        if bar is None:
            kind = kind or _kind(e)
            bar = {"kind": kind, "label": _label(e, kind), "node": e.get("node")}
            lanes.setdefault(lane, []).append(bar)
        start = ts - duration if duration > 0 else bar.get("start", ts)
        bar.update(start=round(max(start, 0.0), 3), end=round(ts, 3), open=False)
        if e.get("error"):
            bar["error"] = str(e["error"])[:300]
        for field in ("outcome", "ok", "cache_hit"):
            if field in e:
                bar[field] = e[field]
    if finished(events):
        for bars in opened.values():
            for bar in bars:
                bar.update(open=False, unended=True)
    order = sorted(lanes, key=lambda lane: (lane != RUN_LANE, _first(lanes[lane]), lane))
    return {
        "t0": t0,
        "t1": round(t1, 3),
        "lanes": [{"lane": lane, "bars": lanes[lane]} for lane in order],
    }


def finished(events: list[dict]) -> bool:
    """Has the run ended (a final event after its last start or resume)?"""
    for e in reversed(events):
        if is_final(e):
            return True
        if e.get("node") in RUN_NODES and e.get("event") in ("run.start", "run.resume"):
            return False
    return False


def _first(bars: list[dict]) -> float:
    return min((b["start"] for b in bars), default=0.0)


def _duration(event: dict) -> tuple[float, str | None]:
    """How long the thing this event ends took, and its kind when a platform field says."""
    for (name, field), kind in TIMED_FIELDS.items():
        if event.get("event") == name and isinstance(event.get(field), int | float):
            return float(event[field]), kind
    d = event.get("duration_s")
    return (float(d), None) if isinstance(d, int | float) and d > 0 else (0.0, None)


def usage_by_node(events: list[dict]) -> list[dict[str, Any]]:
    """Tokens, cost and model time per node. A node's recorded model calls (`llm*`/`chat*`
    events) count when it has any, else what its spans report; the run's totals in its
    final event are left out."""
    calls: dict[str, dict[str, Any]] = {}
    spans: dict[str, dict[str, Any]] = {}
    for e in events:
        if is_final(e):
            continue
        tokens_in, tokens_out = int(e.get("input_tokens") or 0), int(e.get("output_tokens") or 0)
        cost = float(e.get("cost_usd") or 0.0)
        if not (tokens_in or tokens_out or cost):
            continue
        is_call = str(e.get("event")).startswith(("llm", "chat"))
        table = calls if is_call else spans
        row = table.setdefault(
            str(e.get("node")),
            {
                "node": e.get("node"),
                "input_tokens": 0,
                "output_tokens": 0,
                "cost_usd": 0.0,
                "llm_s": 0.0,
            },  # fmt: skip
        )
        row["input_tokens"] += tokens_in
        row["output_tokens"] += tokens_out
        row["cost_usd"] = round(row["cost_usd"] + cost, 6)
        took = e.get("duration_s") if is_call else e.get("llm_s")
        row["llm_s"] = round(row["llm_s"] + float(took or 0.0), 3)
    nodes = list(dict.fromkeys([*spans, *calls]))
    return [calls.get(n) or spans[n] for n in nodes]


def active_nodes(events: list[dict]) -> list[str]:
    """Nodes with a span started and not ended yet (what runs now; the run's own span is
    left out). A finished run has none."""
    if finished(events):
        return []
    open_spans: dict[tuple, str] = {}
    for e in events:
        if e.get("node") in RUN_NODES:
            continue
        name = str(e.get("event"))
        key = (e.get("node"), e.get("hypothesis"), name.rsplit(".", 1)[0])
        if name.endswith(".start"):
            open_spans[key] = _graph_node(str(e.get("node")))
        elif name.endswith(".end"):
            open_spans.pop(key, None)
    return sorted(set(open_spans.values()))


def _graph_node(node: str) -> str:
    from graph.builder import TRACE_NODES

    return TRACE_NODES.get(node, node)


HYPOTHESIS_KEYS = (
    "id", "iteration", "root_cause", "location", "fix_idea", "patch", "files",
    "compile_errors", "outcome", "feedback", "crash_title",
)  # fmt: skip


def hypotheses(
    events: list[dict], checkpointed: list[dict], run_dir: Path, run_id: str
) -> list[dict[str, Any]]:
    """Each hypothesis: what the planner said, its patch, verdict and VM runs (with crash
    reports and links to console logs), and its review when a person was asked."""
    out: dict[str, dict[str, Any]] = {}
    for h in checkpointed:
        if h.get("id"):
            out[h["id"]] = {k: h.get(k) for k in HYPOTHESIS_KEYS}
    asked = {r["hypothesis"]: r for r in reviews(run_dir)}
    for e in events:
        hid = e.get("hypothesis")
        if not hid:
            continue
        h = out.setdefault(hid, {"id": hid})
        h.setdefault("runs", [])
        name = e.get("event")
        if name == "hypothesis":
            for k in ("root_cause", "location", "fix_idea", "iteration"):
                h.setdefault(k, e.get(k))
        elif name == "verdict" and "outcome" in e:
            h["outcome"] = e.get("outcome") or h.get("outcome")
            h["feedback"] = h.get("feedback") or e.get("feedback")
        elif name == "vm.run.end":
            h["runs"].append(_run(e, run_dir, run_id))
    for hid, h in out.items():
        for k in HYPOTHESIS_KEYS:
            h.setdefault(k, None)
        h.setdefault("runs", [])
        h["review"] = asked.get(hid)
    return sorted(out.values(), key=lambda h: (h.get("iteration") or 0, h["id"]))


def bug_runs(events: list[dict], run_dir: Path, run_id: str) -> list[dict[str, Any]]:
    """The VM runs that serve no hypothesis (reproducing the bug), with their reports."""
    return [_run(e, run_dir, run_id) for e in events
            if e.get("event") == "vm.run.end" and not e.get("hypothesis")]  # fmt: skip


def _run(event: dict, run_dir: Path, run_id: str) -> dict[str, Any]:
    return {
        "index": event.get("index"),
        "outcome": event.get("outcome"),
        "title": event.get("title"),
        "report": event.get("report"),
        "message": event.get("message"),
        "console": console_link(event.get("console_log"), run_dir, run_id),
    }


def console_link(path: object, run_dir: Path, run_id: str) -> str | None:
    """The service's URL of a console log, when it lies inside the run's directory."""
    if not isinstance(path, str) or not path:
        return None
    try:
        rel = Path(path).resolve().relative_to(run_dir.resolve())
    except (ValueError, OSError):
        return None
    return f"/api/runs/{run_id}/logs/{rel.as_posix()}"
