"""The real ChatOpenAI code path against a local OpenAI-compatible server (aiohttp, 127.0.0.1)."""

from __future__ import annotations

import json

import openai
import pytest
from aiohttp import web
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from graph.llm import LLMError, chat_model, structured, tool_loop
from graph.tools import Workspace, code_tools
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


class Verdict(BaseModel):
    """Is it a bug?"""

    bug: bool
    why: str


async def test_structured_output_via_function_calling(server, tmp_path):
    server.answers = [tool_call("Verdict", {"bug": True, "why": "off by one"})]
    parsed, usage = await structured(llm_for(server, tmp_path), Verdict, [HumanMessage("x?")])
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
        await structured(llm_for(server, tmp_path), Verdict, [HumanMessage("x?")])


async def test_tool_loop_sends_tool_results_back(server, tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.c").write_text("int x;\nint bad = 1;\n")
    ws = Workspace(tmp_path / "tree", tmp_path / "scratch")
    server.answers = [tool_call("grep", {"pattern": "bad"}), {"content": "found it"}]
    messages, usage = await tool_loop(
        llm_for(server, tmp_path), code_tools(ws), [SystemMessage("s"), HumanMessage("go")], 5
    )
    assert messages[-1].content == "found it"
    assert usage["input_tokens"] == 2000
    tool_msg = server.requests[1]["messages"][-1]
    assert tool_msg == {"role": "tool", "tool_call_id": "call_1", "content": "a.c:2: int bad = 1;"}
    assert {t["function"]["name"] for t in server.requests[0]["tools"]} == {
        "grep",
        "read_lines",
        "find_definition",
        "list_dir",
    }


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
