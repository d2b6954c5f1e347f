"""The model: ChatOpenAI against any OpenAI-compatible endpoint, and how nodes call it.

`structured()` asks for a pydantic object through function calling (works on
OpenAI, vLLM, Ollama and llama.cpp's server); `tool_loop()` lets the model call
code tools until it stops. Both return the tokens and cost they spent.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel

from graph.state import Usage, add_usage, zero_usage
from kgym.settings import Settings

T = TypeVar("T", bound=BaseModel)

# USD per million (input, output) tokens; models not listed (local ones) cost 0.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


def chat_model(
    settings: Settings,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    max_tokens: int | None = None,
) -> BaseChatModel:
    """ChatOpenAI configured from settings (arguments override).

    `max_tokens` caps each answer (sent under both names, old servers know only
    `max_tokens`).
    """
    from langchain_openai import ChatOpenAI

    limit = {"max_tokens": max_tokens, "extra_body": {"max_tokens": max_tokens}}
    return ChatOpenAI(
        model=model or settings.llm_model,
        base_url=base_url or settings.llm_base_url,
        api_key=api_key or settings.llm_api_key or "not-needed",
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_retries,
        stream_usage=True,
        **(limit if max_tokens else {}),
    )


def model_name(llm: BaseChatModel) -> str:
    return str(getattr(llm, "model_name", None) or getattr(llm, "model", None) or "")


def usage_of(message: BaseMessage, model: str, llm_s: float = 0.0) -> Usage:
    """Tokens and cost of one model answer (0 when the server does not report usage)."""
    meta = getattr(message, "usage_metadata", None) or {}
    tokens_in, tokens_out = int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0))
    price_in, price_out = _price(model)
    return Usage(
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=round((tokens_in * price_in + tokens_out * price_out) / 1e6, 6),
        llm_s=round(llm_s, 3),
    )


def _price(model: str) -> tuple[float, float]:
    name = model.split("/")[-1]
    for known in sorted(PRICES, key=len, reverse=True):  # longest prefix first
        if name.startswith(known):
            return PRICES[known]
    return (0.0, 0.0)


class LLMError(RuntimeError):
    """The model's answer could not be used."""


async def structured(
    llm: BaseChatModel, schema: type[T], messages: Sequence[BaseMessage]
) -> tuple[T, Usage]:
    """Ask for `schema` via function calling; raises LLMError when the answer does not parse."""
    runnable = llm.with_structured_output(schema, method="function_calling", include_raw=True)
    started = time.monotonic()
    out = await runnable.ainvoke(list(messages))
    usage = usage_of(out["raw"], model_name(llm), time.monotonic() - started)
    if out.get("parsed") is None:
        error = out.get("parsing_error") or "no function call in the answer"
        raise LLMError(f"{schema.__name__}: {error}")
    return out["parsed"], usage


async def tool_loop(
    llm: BaseChatModel,
    tools: list[BaseTool],
    messages: list[BaseMessage],
    max_steps: int,
    on_tool=None,
) -> tuple[list[BaseMessage], Usage]:
    """Let the model call `tools` until it answers without a tool call or `max_steps` pass.

    `messages` grows in place; `on_tool(name, args, output)` sees each call.
    """
    bound = llm.bind_tools(tools)
    by_name = {t.name: t for t in tools}
    usage = zero_usage()
    model = model_name(llm)
    for _ in range(max_steps):
        started = time.monotonic()
        answer = await bound.ainvoke(messages)
        usage = add_usage(usage, usage_of(answer, model, time.monotonic() - started))
        messages.append(answer)
        calls = answer.tool_calls if isinstance(answer, AIMessage) else []
        if not calls:
            break
        for call in calls:
            tool = by_name.get(call["name"])
            if tool is None:
                output = f"error: no tool named {call['name']!r}; tools: {', '.join(by_name)}"
            else:
                output = str(await tool.ainvoke(call["args"]))
            if on_tool:
                on_tool(call["name"], call["args"], output)
            messages.append(ToolMessage(content=output, tool_call_id=call["id"], name=call["name"]))
    return messages, usage
