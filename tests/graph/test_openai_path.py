"""The real ChatOpenAI code path against a local OpenAI-compatible server (aiohttp, 127.0.0.1)."""

from __future__ import annotations

import json

import openai
import pytest
from aiohttp import web
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from graph.agent import fix, replay
from graph.context import Deps, FixOptions
from graph.llm import LLMError, ask, chat_model, structured
from graph.tools import Workspace, toolbox
from graph.trace import Tracer
from kgym.settings import Settings

USAGE = {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}


class Server:
    """Answers /v1/chat/completions from a queue; records every request body."""

    def __init__(self):
        self.answers: list = []
        self.requests: list[dict] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        answer = self.answers.pop(0)
        if isinstance(answer, int):
            return web.json_response({"error": {"message": "boom"}}, status=answer)
        if body.get("stream"):
            return await self.stream(request, answer)
        return web.json_response(completion(answer, body["model"]))

    async def stream(self, request: web.Request, text: str) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for word in text.split(" "):
            await resp.write(sse(chunk({"content": word + " "})))
        await resp.write(sse(chunk({}, finish="stop")))
        await resp.write(sse({**chunk(None), "choices": [], "usage": USAGE}))
        await resp.write(b"data: [DONE]\n\n")
        return resp


def chunk(delta, finish=None) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def sse(obj: dict) -> bytes:
    return f"data: {json.dumps(obj)}\n\n".encode()


def completion(message: dict, model: str) -> dict:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": "tool_calls" if "tool_calls" in message else "stop",
            }
        ],
        "usage": USAGE,
    }


def tool_call(name: str, args: dict, id: str = "call_1") -> dict:
    return {
        "content": None,
        "tool_calls": [
            {
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
        ],
    }


@pytest.fixture
async def server():
    srv = Server()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", srv.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    srv.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"
    yield srv
    await runner.cleanup()


def llm_for(server, tmp_path, **overrides):
    s = Settings(
        home=tmp_path,
        llm_base_url=server.url,
        llm_model="gpt-4o-mini",
        llm_api_key="sk-test",
        **overrides,
    )
    return chat_model(s)


def deps_for(llm, tmp_path) -> Deps:
    from kgym.models import BugSpec

    bug = BugSpec.model_construct(id="b", title="t", dir=str(tmp_path))
    run_dir = tmp_path / "runs" / "r"
    return Deps(llm, None, bug, Tracer("r", run_dir), FixOptions(), run_dir)


class Verdict(BaseModel):
    """Is it a bug?"""

    bug: bool
    why: str


async def test_structured_output_via_function_calling(server, tmp_path):
    server.answers = [tool_call("Verdict", {"bug": True, "why": "off by one"})]
    deps = deps_for(llm_for(server, tmp_path), tmp_path)
    parsed, usage = await structured(deps, "test", Verdict, [HumanMessage("x?")])
    assert parsed == Verdict(bug=True, why="off by one")
    assert usage["llm_s"] > 0
    assert {k: v for k, v in usage.items() if k != "llm_s"} == {
        "input_tokens": 1000,
        "output_tokens": 200,
        "cost_usd": round((1000 * 0.15 + 200 * 0.60) / 1e6, 6),
    }
    (body,) = server.requests
    assert [t["function"]["name"] for t in body["tools"]] == ["Verdict"]
    assert body["tool_choice"]["function"]["name"] == "Verdict"
    assert body["temperature"] == 0.2


async def test_structured_output_without_a_call_is_an_error(server, tmp_path):
    server.answers = [{"content": "yes it is"}]
    with pytest.raises(LLMError, match="Verdict"):
        await structured(
            deps_for(llm_for(server, tmp_path), tmp_path), "t", Verdict, [HumanMessage("x?")]
        )


async def test_tool_calls_go_out_and_results_come_back(server, tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.c").write_text("int x;\nint bad = 1;\n")
    ws = Workspace(tmp_path / "tree", tmp_path / "scratch")
    tools = toolbox(ws, None, None)
    deps = deps_for(llm_for(server, tmp_path), tmp_path)
    server.answers = [tool_call("read_lines", {"path": "a.c", "start": 2, "end": 2})]
    answer, usage = await ask(deps, "patcher", [SystemMessage("s"), HumanMessage("go")], tools)
    assert answer.tool_calls[0]["args"] == {"path": "a.c", "start": 2, "end": 2}
    assert usage["input_tokens"] == 1000
    assert {t["function"]["name"] for t in server.requests[0]["tools"]} == {
        "read_lines",
        "list_dir",
        "edit_file",
    }


def _graph_answers() -> list:
    """What the server says to a K=1 run: analysis, suspects, one hypothesis, a read, a no."""
    cause = {
        "crash_class": "out-of-bounds",
        "object": "str",
        "violation": "written past its end",
        "where": "mm/opt.c:parse_opt()",
        "explanation": "e",
        "fix_direction": "f",
    }
    return [
        tool_call("RootCause", cause),
        tool_call(
            "Localization",
            {"suspects": [{"file": "mm/opt.c", "function": "parse_opt", "reason": "r"}]},
        ),
        tool_call(
            "Plan", {"hypotheses": [{"root_cause": "c", "location": "mm/opt.c", "fix_idea": "i"}]}
        ),
        tool_call("read_lines", {"path": "mm/opt.c", "start": 10, "end": 12}, id="call_9"),
        {"content": "I cannot fix it."},
    ]


async def test_a_run_through_chatopenai_replays_with_no_endpoint_call(
    server, tmp_path, bug, tree, report
):
    settings = Settings(home=tmp_path / "home")
    server.answers = _graph_answers()
    opts = FixOptions(hypotheses=1, max_iterations=1)
    first = await fix(
        bug,
        None,
        llm_for(server, tmp_path),
        opts,
        settings=settings,
        run_id="o1",
        known=(str(tree), report),
    )
    assert len(server.requests) == 5 and not server.answers
    tool_result = server.requests[4]["messages"][-1]
    assert tool_result["role"] == "tool" and "int parse_opt(char *str" in tool_result["content"]
    again = await replay("o1", None, settings=settings, new_run_id="o1-replay")
    assert len(server.requests) == 5  # the replay asked the endpoint nothing
    assert again.hypotheses == first.hypotheses and again.reason == first.reason
    assert again.tokens == first.tokens == 5 * 1200


async def test_streaming_with_usage(server, tmp_path):
    server.answers = ["the fix is small"]
    llm = llm_for(server, tmp_path)
    chunks = [c async for c in llm.astream([HumanMessage("hi")])]
    text = "".join(str(c.content) for c in chunks)
    assert text.strip() == "the fix is small"
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert total.usage_metadata["input_tokens"] == 1000
    assert server.requests[0]["stream_options"] == {"include_usage": True}


async def test_server_errors_are_retried(server, tmp_path):
    server.answers = [500, 503, {"content": "ok"}]
    answer = await llm_for(server, tmp_path, llm_retries=2).ainvoke([HumanMessage("hi")])
    assert answer.content == "ok"
    assert len(server.requests) == 3


async def test_errors_surface_when_retries_run_out(server, tmp_path):
    server.answers = [500, 500]
    with pytest.raises(openai.InternalServerError):
        await llm_for(server, tmp_path, llm_retries=1).ainvoke([HumanMessage("hi")])
    assert len(server.requests) == 2
