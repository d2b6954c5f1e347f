"""A real agent run (scripted model) exported as OpenTelemetry GenAI spans, caught by the
SDK's in-memory exporter: one trace, an invoke_agent root, chat spans carrying every
token, execute_tool spans for the code tools."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_agent_loop import hopeless

from bench.scripted import ScriptedChatModel
from graph.agent import fix
from graph.context import FixOptions
from kgym.front.otel import SpanExporter, otlp_provider


async def test_a_run_becomes_one_trace_of_genai_spans(bug, tree, report, settings):
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    llm = ScriptedChatModel(script=hopeless)
    result = await fix(
        bug, None, llm, FixOptions(hypotheses=2, max_iterations=1), settings=settings,
        run_id="otel1", known=(str(tree), report), listeners=[SpanExporter(provider)],
    )  # fmt: skip
    spans = memory.get_finished_spans()
    by_op: dict[str, list] = {}
    for span in spans:
        by_op.setdefault(span.attributes.get("gen_ai.operation.name", "kgym"), []).append(span)

    [root] = by_op["invoke_agent"]
    assert root.name == "invoke_agent kgym" and root.parent is None
    assert root.attributes["gen_ai.conversation.id"] == "otel1"
    assert {s.context.trace_id for s in spans} == {root.context.trace_id}
    ids = {s.context.span_id for s in spans}
    assert all(s.parent.span_id in ids for s in spans if s is not root)

    chats = by_op["chat"]
    tokens = sum(
        s.attributes["gen_ai.usage.input_tokens"] + s.attributes["gen_ai.usage.output_tokens"]
        for s in chats
    )
    assert tokens == result.tokens > 0
    assert {s.attributes["kgym.node"] for s in chats} == {
        "rootcause",
        "localizer",
        "planner",
        "patcher",
    }
    tools = by_op["execute_tool"]
    assert {s.attributes["gen_ai.tool.name"] for s in tools} == {"read_lines"}
    assert {s.attributes["kgym.hypothesis"] for s in tools} == {"i1h1", "i1h2"}
    # a tool call hangs under a span of the same hypothesis, or the run's own
    parents = {s.context.span_id: s for s in spans}
    for tool in tools:
        parent = parents[tool.parent.span_id]
        assert (
            parent is root
            or parent.attributes.get("kgym.hypothesis") == tool.attributes["kgym.hypothesis"]
        ), parent.name
    assert all(s.end_time >= s.start_time for s in spans)


def test_otlp_export_only_when_asked():
    assert otlp_provider({}) is None
    provider = otlp_provider({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert isinstance(provider, TracerProvider)
    provider.shutdown()


def test_overlapping_spans_of_one_name_each_end():
    """Two VM runs of one hypothesis overlap: both spans are exported, each with its own end."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    export = SpanExporter(provider)
    run = {"run_id": "r", "node": "agent"}
    vm = {"run_id": "r", "node": "verifier", "hypothesis": "h1"}
    export({**run, "event": "run.start", "ts": 0.0})
    export({**vm, "event": "vm.run.start", "ts": 1.0, "slot": 0})
    export({**vm, "event": "vm.run.start", "ts": 2.0, "slot": 1})
    export({**vm, "event": "vm.run.end", "ts": 5.0})
    export({**vm, "event": "vm.run.end", "ts": 7.0})
    export({**vm, "event": "vm.run.start", "ts": 8.0})  # never ended: ends with the run
    export({**run, "event": "run.end", "ts": 9.0, "resolved": False})
    runs = sorted(
        (s for s in memory.get_finished_spans() if s.name == "verifier vm.run"),
        key=lambda s: s.start_time,
    )
    assert [(s.start_time / 1e9, s.end_time / 1e9) for s in runs] == [
        (1.0, 5.0),
        (2.0, 7.0),
        (8.0, 9.0),
    ]
