"""A scripted chat model: answers come from a function of the conversation.

For the agent's tests and for bench/perf/agent_perf.py, which measures the
platform's share of a run with no LLM endpoint here. A small subclass of
langchain-core's fake chat model that supports tool calls (`bind_tools`) and
so structured output via function calling. Parallel patchers call it
concurrently, so the script decides by what it is asked (which node, which
hypothesis, which step), not by call order.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

_ids = itertools.count(1)
USAGE = {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}


@dataclass
class Turn:
    """One request to the model."""

    messages: list[BaseMessage]
    tools: list[str] = field(default_factory=list)

    @property
    def node(self) -> str:
        for schema, node in (
            ("Plan", "planner"),
            ("Localization", "localizer"),
            ("RootCause", "rootcause"),
            ("CommitMessage", "commit"),
        ):
            if schema in self.tools:
                return node
        if "edit_file" in self.tools:
            return "style" if "checkpatch.pl found" in self.text(0) else "patcher"
        return "chat"

    @property
    def hypothesis(self) -> str | None:
        m = re.search(r"^Hypothesis (\w+):", self.text(1), re.MULTILINE)
        return m.group(1) if m else None

    @property
    def step(self) -> int:
        """How many answers the model already gave in this conversation."""
        return sum(isinstance(m, AIMessage) for m in self.messages)

    @property
    def last_tool_output(self) -> str:
        tools = [m for m in self.messages if isinstance(m, ToolMessage)]
        return str(tools[-1].content) if tools else ""

    def text(self, index: int | None = None) -> str:
        msgs = self.messages if index is None else self.messages[index : index + 1]
        return "\n".join(str(m.content) for m in msgs)


def call(name: str, **args: Any) -> AIMessage:
    """An answer that calls one tool (or returns one structured object)."""
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": f"call_{next(_ids)}", "type": "tool_call"}],
        usage_metadata=USAGE,
    )


def say(text: str) -> AIMessage:
    """An answer without a tool call."""
    return AIMessage(content=text, usage_metadata=USAGE)


class ScriptedChatModel(GenericFakeChatModel):
    """Answers with `script(turn)`; records every turn in `turns`."""

    script: Callable[[Turn], AIMessage]
    messages: Iterator = Field(default_factory=lambda: iter(()))
    turns: list[Turn] = Field(default_factory=list)
    lock: Any = Field(default_factory=threading.Lock, exclude=True)

    def bind_tools(self, tools, tool_choice=None, **kwargs):  # tool_choice: the script decides
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        names = [t["function"]["name"] for t in kwargs.get("tools", [])]
        turn = Turn(list(messages), names)
        with self.lock:
            self.turns.append(turn)
        return ChatResult(generations=[ChatGeneration(message=self.script(turn))])

    def prompts_text(self) -> str:
        """Everything the model was shown (not what it said)."""
        return "\n".join(
            str(m.content) for t in self.turns for m in t.messages if not isinstance(m, AIMessage)
        )
