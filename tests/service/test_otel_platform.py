"""Platform events (build stages, VM boots, reproducer runs) become spans under the span of
the hypothesis they serve."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kgym.front.otel import SpanExporter
from tests.service.test_view import _stream


def test_platform_spans_hang_under_their_hypothesis():
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    export = SpanExporter(provider, model="m")
    for record in _stream():
        export(record)
    export({"run_id": "r", "node": "agent", "event": "run.end", "ts": 130.0, "resolved": True})
    spans = {s.name: s for s in memory.get_finished_spans()}
    by_id = {s.context.span_id: s for s in spans.values()}
    assert {"build_cache build.stage make", "vmpool vm.booted", "vmpool repro.done"} <= set(spans)
    boot = spans["vmpool vm.booted"]
    assert (boot.end_time - boot.start_time) / 1e9 == 5.5
    assert by_id[boot.parent.span_id].name == "reproduce platform.reproduce"
    compile_stage = spans["build_cache build.stage compile"]
    assert by_id[compile_stage.parent.span_id].name == "patcher platform.compile_check"
    assert compile_stage.attributes["kgym.hypothesis"] == "i1h1"
    assert not compile_stage.status.is_ok  # ok=False
    assert spans["chat m"].attributes["gen_ai.usage.input_tokens"] == 50  # the llm.call event
    # spans left open when the run ended (i1h1's and i1h2's patch) are ended with it
    assert {"patcher patch"} <= set(spans)
    assert spans["invoke_agent kgym"].attributes["kgym.resolved"] is True
