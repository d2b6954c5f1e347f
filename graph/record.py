"""Record every LLM exchange of a run, and replay a run from its recording.

Each request is keyed by (node, hypothesis, n): the n-th request that node made
for that hypothesis. Parallel branches interleave in the file but not in their
keys, so a replay matches them whatever the order. A request is compared by a
fingerprint of what the model was shown (messages and tool names, not call
ids); a replayed run whose request differs, or that asks more than the
recording holds, stops with ReplayDiverged naming the node.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, message_to_dict, messages_from_dict

from kgym.rundir import LLM_RECORDING

Key = tuple[str, str, int]


class ReplayDiverged(RuntimeError):
    """A replayed run asked the model something the recording does not hold."""


def fingerprint(messages: Sequence[BaseMessage], tools: Sequence[str]) -> str:
    """What the model was shown, hashed (ids and metadata left out)."""
    shown = [
        {
            "type": m.type,
            "content": m.content,
            "calls": [(c["name"], c["args"]) for c in getattr(m, "tool_calls", None) or []],
        }
        for m in messages
    ]
    text = json.dumps({"messages": shown, "tools": list(tools)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def read(path: Path) -> list[dict]:
    """The entries of a recording (a half-written last line is left out)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    complete, _, _ = text.rpartition("\n")
    return [json.loads(line) for line in complete.splitlines() if line.strip()]


class Recorder:
    """Appends each exchange to `<run_dir>/llm.jsonl`; with `replay`, answers from that file."""

    def __init__(self, run_dir: Path, replay: Path | None = None) -> None:
        self.path = run_dir / LLM_RECORDING
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}
        for e in read(self.path):  # a resumed run goes on counting
            k = (e["node"], e["hypothesis"] or "")
            self._counts[k] = max(self._counts.get(k, 0), e["n"] + 1)
        self.replay: dict[Key, dict] | None = None
        if replay is not None:
            entries = read(replay)
            if not entries:
                raise ValueError(f"{replay}: no LLM recording to replay")
            self.replay = {(e["node"], e["hypothesis"] or "", e["n"]): e for e in entries}
        self.calls = 0  # requests that reached the model (0 in a replay)

    def _next(self, node: str, hypothesis: str | None) -> int:
        with self._lock:
            k = (node, hypothesis or "")
            n = self._counts.get(k, 0)
            self._counts[k] = n + 1
            return n

    async def exchange(
        self,
        node: str,
        hypothesis: str | None,
        messages: Sequence[BaseMessage],
        tools: Sequence[str],
        call: Callable[[], Awaitable[BaseMessage]],
    ) -> BaseMessage:
        """The model's answer to `messages`: asked, or read from the recording."""
        n = self._next(node, hypothesis)
        fp = fingerprint(messages, tools)
        where = f"node {node}" + (f" (hypothesis {hypothesis})" if hypothesis else "")
        if self.replay is not None:
            entry = self.replay.get((node, hypothesis or "", n))
            if entry is None:
                raise ReplayDiverged(f"{where}: request #{n + 1} is not in the recording")
            if entry["fingerprint"] != fp:
                raise ReplayDiverged(
                    f"{where}: request #{n + 1} differs from the recording (prompt, code or "
                    "tool output changed)"
                )
            answer = messages_from_dict([entry["response"]])[0]
        else:
            answer = await call()
            self.calls += 1
        if not isinstance(answer, AIMessage):
            answer = AIMessage(content=str(answer.content))
        entry = {
            "node": node,
            "hypothesis": hypothesis,
            "n": n,
            "fingerprint": fp,
            "messages": len(messages),
            "tools": list(tools),
            "response": message_to_dict(answer),
            "ts": time.time(),
        }
        line = json.dumps(entry, default=str) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a") as f:
                f.write(line)
        return answer
