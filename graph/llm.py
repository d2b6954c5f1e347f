"""The model: ChatOpenAI against any OpenAI-compatible endpoint, and how nodes call it.

`ask()` is the one way a node calls the model: the budget is checked first,
the exchange is recorded in the run directory (or answered from a recording
when replaying), and an `llm.call` event carries its tokens. `structured()`
asks for a pydantic object through function calling (works on OpenAI, vLLM,
Ollama and llama.cpp's server). The tool loop itself is graph steps
(graph/nodes/patcher.py); `compact()` keeps its conversation in the window.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ValidationError

from graph.context import BudgetSpent
from graph.state import Usage, zero_usage
from kgym.settings import Settings

if TYPE_CHECKING:
    from graph.context import Deps

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


def model_name(llm: BaseChatModel | None) -> str:
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
    """The model's answer could not be used; `usage` is what asking it cost."""

    def __init__(self, message: str, usage: Usage | None = None) -> None:
        super().__init__(message)
        self.usage = usage or zero_usage()


def tool_name(tool: object) -> str:
    if isinstance(tool, BaseTool):
        return tool.name
    if isinstance(tool, type):
        return tool.__name__
    return str(tool["function"]["name"] if "function" in tool else tool["name"])  # type: ignore[index]


async def ask(
    deps: Deps,
    node: str,
    messages: Sequence[BaseMessage],
    tools: Sequence[object] = (),
    *,
    hypothesis: str | None = None,
    tool_choice: str | None = None,
) -> tuple[AIMessage, Usage]:
    """One LLM call: budget checked first, recorded (or replayed), traced with the run id."""
    if why := deps.ledger.spent():
        raise BudgetSpent(why)
    names = [tool_name(t) for t in tools]

    async def call() -> BaseMessage:
        if deps.llm is None:
            raise RuntimeError("no model configured (only a replay runs without one)")
        bound = deps.llm.bind_tools(list(tools), tool_choice=tool_choice) if tools else deps.llm
        return await bound.ainvoke(list(messages))

    started = time.monotonic()
    answer = await deps.recorder.exchange(node, hypothesis, messages, names, call)
    assert isinstance(answer, AIMessage)
    usage = usage_of(answer, deps.model or model_name(deps.llm), time.monotonic() - started)
    deps.ledger.add(usage)
    deps.tracer.event(
        node, "llm.call", hypothesis, tools=len(names), calls=len(answer.tool_calls), **usage
    )
    return answer, usage


async def structured(
    deps: Deps,
    node: str,
    schema: type[T],
    messages: Sequence[BaseMessage],
    hypothesis: str | None = None,
) -> tuple[T, Usage]:
    """Ask for `schema` via function calling; raises LLMError when the answer does not parse."""
    answer, usage = await ask(
        deps, node, messages, [schema], hypothesis=hypothesis, tool_choice=schema.__name__
    )
    call = next((c for c in answer.tool_calls if c["name"] == schema.__name__), None)
    if call is None:
        raise LLMError(f"{schema.__name__}: no function call in the answer", usage)
    try:
        return schema.model_validate(call["args"]), usage
    except ValidationError as e:
        raise LLMError(f"{schema.__name__}: {e}", usage) from None


# --- keeping a tool loop's conversation in bounds ------------------------------------

CHARS_PER_TOKEN = 4
KEEP_RECENT = 6  # the newest messages are never elided
ELIDED = "[elided:"


def estimate_tokens(messages: Sequence[BaseMessage]) -> int:
    chars = sum(
        len(str(m.content)) + len(str(getattr(m, "tool_calls", "") or "")) for m in messages
    )
    return chars // CHARS_PER_TOKEN


def compact(messages: list[BaseMessage], window_tokens: int) -> tuple[list[BaseMessage], int]:
    """Elide the oldest tool outputs until the conversation fits in 3/4 of the window.

    Returns the messages and how many outputs were elided (the prompt and the
    newest messages stay whole; call/result pairs stay paired).
    """
    limit = window_tokens * 3 // 4
    if estimate_tokens(messages) <= limit:
        return messages, 0
    out = list(messages)
    elided = 0
    for i in range(2, max(2, len(out) - KEEP_RECENT)):
        m = out[i]
        if isinstance(m, ToolMessage) and not str(m.content).startswith(ELIDED):
            note = (
                f"{ELIDED} {len(str(m.content))} characters of tool output, to keep the "
                "conversation within the context window; call the tool again if you need it]"
            )
            out[i] = ToolMessage(content=note, tool_call_id=m.tool_call_id, name=m.name)
            elided += 1
            if estimate_tokens(out) <= limit:
                break
    return out, elided
