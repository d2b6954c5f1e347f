"""The run view: graph layers from LangGraph, Gantt bars from the event stream, usage per node."""

from __future__ import annotations

from graph.builder import build_graph
from kgym.front.service import view
from tests.service.conftest import event


def test_the_graph_is_the_compiled_one_laid_out_in_layers():
    shape = view.graph_shape()
    drawn = build_graph().get_graph()
    assert [n["id"] for n in shape["nodes"]] == list(drawn.nodes)
    assert len(shape["edges"]) == len(drawn.edges)
    layer = {n["id"]: n["layer"] for n in shape["nodes"]}
    assert layer["__start__"] == 0
    for e in shape["edges"]:  # every forward edge goes right, the loop's edge goes back
        if e["back"]:
            assert layer[e["target"]] <= layer[e["source"]]
        else:
            assert layer[e["target"]] > layer[e["source"]], e
    assert [e for e in shape["edges"] if e["back"]] == [
        {"source": "branch", "target": "planner", "conditional": False, "back": True}
    ]


def test_layers_of_a_cycle_and_a_diamond():
    layer, back = view.layers(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"),
                                                       ("c", "d"), ("d", "a")])  # fmt: skip
    assert layer == {"a": 0, "b": 1, "c": 1, "d": 2}
    assert back == {("d", "a")}


def _stream() -> list[dict]:
    r = "r"
    return [
        event(r, "agent", "run.start", ts=100.0),
        event(r, "reproduce", "platform.reproduce.start", ts=100.5),
        event(r, "build_cache", "build.stage", ts=110.0, stage="make", duration_s=8.0),
        event(r, "vmpool", "vm.booted", ts=116.0, boot_s=5.5),
        event(r, "vmpool", "repro.done", ts=117.0, run_s=0.8, outcome="crashed"),
        event(r, "reproduce", "platform.reproduce.end", ts=117.5, duration_s=17.0),
        event(
            r,
            "planner",
            "plan.end",
            ts=119.0,
            duration_s=1.0,
            input_tokens=100,
            output_tokens=20,
            cost_usd=0.01,
            llm_s=0.9,
        ),  # fmt: skip
        event(r, "patcher", "patch.start", "i1h1", ts=119.5),
        event(r, "patcher", "platform.compile_check.start", "i1h1", ts=120.0),
        event(
            r,
            "build_cache",
            "build.stage",
            "i1h1",
            ts=121.0,
            stage="compile",
            duration_s=1.0,
            ok=False,
        ),  # fmt: skip
        event(r, "patcher", "platform.compile_check.end", "i1h1", ts=121.2, duration_s=1.2),
        event(r, "patcher", "llm.call", "i1h2", ts=122.0, duration_s=0.5, input_tokens=50),
        event(r, "patcher", "patch.start", "i1h2", ts=121.0),
    ]


def test_bars_per_hypothesis_with_their_kinds_and_open_spans():
    t = view.timeline(_stream())
    assert t["t0"] == 100.0
    assert t["t1"] == 22.0
    lanes = {lane["lane"]: lane["bars"] for lane in t["lanes"]}
    assert list(lanes) == ["run", "i1h1", "i1h2"]
    run = {(b["kind"], b["label"]): b for b in lanes["run"]}
    assert (
        run[("build", "stage make")]["start"] == 2.0 and run[("build", "stage make")]["end"] == 10.0
    )
    assert (run[("boot", "vm.booted")]["start"], run[("boot", "vm.booted")]["end"]) == (10.5, 16.0)
    assert run[("run", "run: crashed")]["outcome"] == "crashed"
    reproduce = run[("node", "reproduce: platform.reproduce")]
    assert (reproduce["start"], reproduce["end"], reproduce["open"]) == (0.5, 17.5, False)
    h1 = {b["kind"]: b for b in lanes["i1h1"]}
    assert h1["compile"]["open"] is False and h1["compile"]["end"] == 21.2
    assert h1["build"]["ok"] is False
    assert h1["node"]["open"] is True and h1["node"]["end"] == 22.0  # still patching
    assert {b["kind"] for b in lanes["i1h2"]} == {"llm", "node"}


def test_a_finished_run_has_no_running_spans():
    """Spans that never ended (a cancelled branch, a crash) are `unended` once the run is
    over; two spans of one name in one lane each get their own end."""
    r = "r"
    events = [
        *_stream(),
        event(r, "patcher", "patch.start", "i1h2", ts=122.5),  # a second, overlapping one
        event(r, "patcher", "patch.end", "i1h2", ts=123.0, duration_s=2.0),
        event(r, "agent", "run.end", ts=130.0),
    ]
    lanes = {lane["lane"]: lane["bars"] for lane in view.timeline(events)["lanes"]}
    assert not [b for bars in lanes.values() for b in bars if b["open"]]
    patching = [b for b in lanes["i1h1"] if b["kind"] == "node"]
    assert [b.get("unended") for b in patching] == [True]
    twice = sorted(
        (b["start"], b.get("unended", False)) for b in lanes["i1h2"] if b["kind"] == "node"
    )
    assert twice == [(21.0, False), (22.5, True)]  # the first start took the first end
    assert view.active_nodes(events) == []
    resumed = [*events, event(r, "agent", "run.resume", ts=140.0)]
    assert view.active_nodes(resumed) == ["branch"]


def test_usage_per_node_leaves_out_the_final_totals():
    events = [*_stream(), event("r", "agent", "run.end", ts=130.0, input_tokens=999)]
    usage = {row["node"]: row for row in view.usage_by_node(events)}
    assert set(usage) == {"planner", "patcher"}
    assert (usage["planner"]["input_tokens"], usage["planner"]["cost_usd"]) == (100, 0.01)
    assert usage["planner"]["llm_s"] == 0.9
    assert usage["patcher"]["input_tokens"] == 50  # its recorded call, not its spans
    assert usage["patcher"]["llm_s"] == 0.5
    spans_only = [e for e in events if e["event"] != "llm.call"]
    patch_end = event("r", "patcher", "patch.end", "i1h1", ts=125.0, input_tokens=70, llm_s=2.0)
    usage = {row["node"]: row for row in view.usage_by_node([*spans_only, patch_end])}
    assert (usage["patcher"]["input_tokens"], usage["patcher"]["llm_s"]) == (70, 2.0)


def test_active_nodes_are_those_with_open_spans():
    assert view.active_nodes(_stream()) == ["branch"]  # the patcher's work is the branch node
    assert view.active_nodes(_stream()[:2]) == ["reproduce"]


def test_console_links_only_inside_the_run(tmp_path):
    run_dir = tmp_path / "runs" / "r"
    (run_dir / "ab12cd34").mkdir(parents=True)
    log = run_dir / "ab12cd34" / "console.log"
    assert view.console_link(str(log), run_dir, "r") == "/api/runs/r/logs/ab12cd34/console.log"
    assert view.console_link("/etc/passwd", run_dir, "r") is None
    assert view.console_link(str(run_dir / ".." / "other" / "console.log"), run_dir, "r") is None
    assert view.console_link(None, run_dir, "r") is None
