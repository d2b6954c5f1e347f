"""A run's event stream as OpenTelemetry spans, in the GenAI semantic conventions.

An events listener (kgym/events.py) turns each run into one trace:
- the run: an `invoke_agent kgym` span (gen_ai.operation.name = invoke_agent);
- each model call: a `chat <model>` span with gen_ai.usage.* tokens (a node's span
  that reports tokens without recorded calls gets one `chat` child for them);
- each code tool call: an `execute_tool <tool>` span;
- every other timed event (agent node spans, build stages, VM boots, reproducer
  runs, compile checks): a span named after its node and event, with `kgym.*` attributes.
A span's parent is the innermost span still open in its hypothesis, else the run's.

`kgym fix` sends them over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: Jaeger, Phoenix or any collector.
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, Status, StatusCode

from kgym.rundir import RUN_NODES, is_final

AGENT = "kgym"
TIMED_FIELDS = {"vm.booted": "boot_s", "repro.done": "run_s"}  # platform events, own durations
ENV_VARS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def _ns(seconds: float) -> int:
    return int(seconds * 1e9)


def _scalar(value: object) -> Any:
    if isinstance(value, bool | int | float | str):
        return value if not isinstance(value, str) else value[:1000]
    return None


class SpanExporter:
    """An events listener: call it with each record of one run, in order."""

    def __init__(self, provider: TracerProvider, model: str = ""):
        self.tracer = provider.get_tracer("kgym")
        self.model = model
        self.root: Span | None = None
        self.open: dict[tuple, list[Span]] = {}  # (hypothesis, node, name) -> spans, oldest first
        self.stack: dict[str | None, list[Span]] = {}  # hypothesis -> open spans, in order
        self.saw_chat = False

    def __call__(self, e: dict[str, Any]) -> None:
        name, ts = str(e.get("event")), float(e.get("ts") or 0.0)
        node, hypothesis = str(e.get("node")), e.get("hypothesis")
        if node in RUN_NODES and name in ("run.start", "run.resume"):
            self._start_run(e, ts)
            return
        if is_final(e):
            self._end_run(e, ts)
            return
        if self.root is None:
            self._start_run(e, ts)
        if name.endswith(".start"):
            key = (hypothesis, node, name.removesuffix(".start"))
            span = self._span(f"{node} {key[2]}", ts, hypothesis, e)
            self.open.setdefault(key, []).append(span)
            self.stack.setdefault(hypothesis, []).append(span)
            return
        if name.endswith(".end"):
            key = (hypothesis, node, name.removesuffix(".end"))
            if self.open.get(key):
                self._close(key, e, ts)
                return
        if name.startswith(("llm", "chat")):
            self.saw_chat = True
            self._chat(e, ts - float(e.get("duration_s") or 0.0), ts, hypothesis)
        elif name == "tool" or name.startswith("tool."):
            span = self._span(f"execute_tool {e.get('tool')}", ts, hypothesis, e)
            span.set_attribute("gen_ai.operation.name", "execute_tool")
            span.set_attribute("gen_ai.tool.name", str(e.get("tool")))
            span.end(end_time=_ns(ts + float(e.get("duration_s") or 0.0)))
        elif (duration := self._duration(e)) > 0:
            label = f"{node} {name}" + (f" {e['stage']}" if e.get("stage") else "")
            span = self._span(label, ts - duration, hypothesis, e)
            self._finish(span, e, ts)

    # --- spans ---------------------------------------------------------------------

    def _start_run(self, e: dict, ts: float) -> None:
        self.model = self.model or str(e.get("model") or "")
        self.root = self.tracer.start_span(
            f"invoke_agent {AGENT}",
            start_time=_ns(ts),
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": AGENT,
                "gen_ai.conversation.id": str(e.get("run_id")),
                "gen_ai.request.model": self.model,
                "kgym.bug": str(e.get("bug") or ""),
            },
        )

    def _end_run(self, e: dict, ts: float) -> None:
        for key, spans in list(self.open.items()):  # spans a crash left open end with the run
            for _ in list(spans):
                self._close(key, {}, ts)
        if self.root is None:
            return
        self._usage(self.root, e)
        self.root.set_attribute("kgym.resolved", bool(e.get("resolved")))
        self.root.set_attribute("kgym.reason", str(e.get("reason") or ""))
        self.root.end(end_time=_ns(ts))
        self.root = None

    def _parent(self, hypothesis: str | None):
        for lane in [hypothesis, None] if hypothesis else [None]:
            if spans := self.stack.get(lane):
                return trace.set_span_in_context(spans[-1])
        return trace.set_span_in_context(self.root) if self.root else None

    def _span(self, name: str, start: float, hypothesis: str | None, e: dict) -> Span:
        span = self.tracer.start_span(name, context=self._parent(hypothesis), start_time=_ns(start))
        span.set_attribute("kgym.node", str(e.get("node")))
        span.set_attribute("kgym.event", str(e.get("event")))
        if hypothesis:
            span.set_attribute("kgym.hypothesis", hypothesis)
        return span

    def _close(self, key: tuple, e: dict, ts: float) -> None:
        """End the oldest open span of `key`: overlapping spans of one name end in order."""
        spans = self.open[key]
        span = spans.pop(0)
        if not spans:
            del self.open[key]
        self.stack[key[0]].remove(span)
        tokens = int(e.get("input_tokens") or 0) + int(e.get("output_tokens") or 0)
        if tokens and not self.saw_chat:  # a node that asked the model, calls not recorded
            llm_s = float(e.get("llm_s") or e.get("duration_s") or 0.0)
            self._chat(e, ts - llm_s, ts, key[0], parent=span)
        self._finish(span, e, ts)

    def _chat(self, e: dict, start: float, end: float, hypothesis, parent: Span | None = None):
        context = trace.set_span_in_context(parent) if parent else self._parent(hypothesis)
        model = str(e.get("model") or self.model)
        span = self.tracer.start_span(f"chat {model}".strip(), context=context,
                                      start_time=_ns(start))  # fmt: skip
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.request.model", model)
        span.set_attribute("kgym.node", str(e.get("node")))
        if hypothesis:
            span.set_attribute("kgym.hypothesis", hypothesis)
        self._usage(span, e)
        span.end(end_time=_ns(end))

    def _finish(self, span: Span, e: dict, ts: float) -> None:
        for key, value in e.items():
            if key in ("run_id", "node", "hypothesis", "event", "ts"):
                continue
            if (v := _scalar(value)) is not None:
                span.set_attribute(f"kgym.{key}", v)
        if e.get("error") or e.get("ok") is False:
            span.set_status(Status(StatusCode.ERROR, str(e.get("error") or "failed")))
        span.end(end_time=_ns(ts))

    @staticmethod
    def _usage(span: Span, e: dict) -> None:
        span.set_attribute("gen_ai.usage.input_tokens", int(e.get("input_tokens") or 0))
        span.set_attribute("gen_ai.usage.output_tokens", int(e.get("output_tokens") or 0))

    @staticmethod
    def _duration(e: dict) -> float:
        field = TIMED_FIELDS.get(str(e.get("event")))
        value = e.get(field) if field else e.get("duration_s")
        return float(value) if isinstance(value, int | float) and value > 0 else 0.0


def otlp_provider(env: dict[str, str] | None = None) -> TracerProvider | None:
    """A provider exporting over OTLP/HTTP when the standard variables ask for it, else None."""
    env = os.environ if env is None else env
    if not any(env.get(v) for v in ENV_VARS):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or "kgym"})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider
