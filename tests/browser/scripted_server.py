"""The scripted model of tests/graph behind a real OpenAI-compatible HTTP endpoint.

`kgym fix` runs as a subprocess of the service, so it cannot be handed an
in-process model: it talks to this server (`--base-url` / KGYM_LLM_BASE_URL)
over 127.0.0.1 like it talks to any OpenAI-compatible server. Each request's
messages become langchain messages, the script answers as in tests/graph, and
the answer goes back as an OpenAI chat completion (tool calls, usage).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))
from bench.scripted import Turn  # noqa: E402

Script = Callable[[Turn], AIMessage]


def to_messages(raw: list[dict]) -> list[BaseMessage]:
    """OpenAI chat messages as langchain messages (what the scripts read)."""
    out: list[BaseMessage] = []
    for m in raw:
        content = m.get("content") or ""
        if isinstance(content, list):  # content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        role = m.get("role")
        if role == "system":
            out.append(SystemMessage(content))
        elif role == "user":
            out.append(HumanMessage(content))
        elif role == "tool":
            out.append(ToolMessage(content=content, tool_call_id=m.get("tool_call_id", "")))
        else:
            calls = [
                {
                    "name": c["function"]["name"],
                    "args": json.loads(c["function"].get("arguments") or "{}"),
                    "id": c.get("id", ""),
                    "type": "tool_call",
                }
                for c in m.get("tool_calls") or []
            ]
            out.append(AIMessage(content=content, tool_calls=calls))
    return out


def completion(answer: AIMessage, model: str, n: int) -> dict:
    usage = answer.usage_metadata or {}
    message: dict = {"role": "assistant", "content": answer.content or None}
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
            }
            for c in answer.tool_calls
        ]
    return {
        "id": f"chatcmpl-{n}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if answer.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage.get("input_tokens", 0),
            "completion_tokens": usage.get("output_tokens", 0),
            "total_tokens": usage.get("total_tokens", 0),
        },
    }


class ScriptedServer:
    """An OpenAI-compatible chat endpoint answering with `script`; `turns` records requests."""

    def __init__(self, script: Script):
        self.script = script
        self.turns: list[Turn] = []
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        names = [t["function"]["name"] for t in body.get("tools") or []]
        turn = Turn(to_messages(body.get("messages") or []), names)
        self.turns.append(turn)
        try:
            answer = self.script(turn)
        except Exception as e:  # a script bug: say so to the client, visibly
            return web.json_response({"error": {"message": f"script: {e!r}"}}, status=500)
        return web.json_response(completion(answer, body.get("model", "scripted"), len(self.turns)))

    async def __aenter__(self) -> ScriptedServer:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc) -> None:
        assert self.runner is not None
        await self.runner.cleanup()
