"""The scheduler's retry rule: a unit whose node dies moves to another node, at most
`unit_retries` times, and its placement says how often and why. The nodes here are
stand-ins handed out by `choose` (no cluster); the work raises Ray's own errors."""

from __future__ import annotations

import pytest
import ray.exceptions

from actors.platforms.scheduler import Scheduler, UnitFailed
from kgym.settings import Settings


class Handed(Scheduler):
    """A scheduler whose nodes are named stand-ins, handed out in order."""

    def __init__(self, names: list[str], retries: int) -> None:
        super().__init__(Settings(unit_retries=retries))
        self.queue = [type("N", (), {"id": n, "short": lambda self, n=n: n[:12]})() for n in names]
        self.forgotten: list[str] = []

    async def choose(self, request):
        node = self.queue.pop(0)
        self.running[node.id] = self.running.get(node.id, 0) + 1
        return node

    def _forget(self, node_id: str) -> None:
        self.forgotten.append(node_id)


async def test_a_dead_node_moves_the_unit_and_the_placement_says_why() -> None:
    s = Handed(["node-one-aaaa-bbbb", "node-two-cccc-dddd"], retries=2)
    calls = []

    async def work(node):
        calls.append(node.id)
        if node.id.startswith("node-one"):
            raise ray.exceptions.ActorDiedError()
        return f"done on {node.id}"

    result, placement = await s.unit(None, work, kind="verify")
    assert result == "done on node-two-cccc-dddd" and calls == ["node-one-aaaa-bbbb", result[8:]]
    assert placement.node == "node-two-cccc-dddd" and placement.retries == 1
    assert placement.retry_reasons == [
        "node node-one-aaa: ActorDiedError: The actor died unexpectedly before finishing this task."
    ]
    assert s.forgotten == ["node-one-aaaa-bbbb"] and s.running == {
        "node-one-aaaa-bbbb": 0,
        "node-two-cccc-dddd": 0,
    }


async def test_retries_are_bounded_and_the_failure_carries_them() -> None:
    s = Handed([f"n{i}" for i in range(5)], retries=2)

    async def work(node):
        raise ray.exceptions.NodeDiedError(f"{node.id} is gone")

    with pytest.raises(UnitFailed) as failed:
        await s.unit(None, work, kind="verify")
    assert failed.value.placement.retries == 3  # the first try and two retries, all lost
    assert [r.split(":")[0] for r in failed.value.placement.retry_reasons] == [
        "node n0",
        "node n1",
        "node n2",
    ]
    assert "verify failed on 3 nodes" in str(failed.value)
    assert len(s.queue) == 2  # no fourth try


async def test_an_error_of_the_work_itself_is_not_retried() -> None:
    s = Handed(["a", "b"], retries=2)

    async def work(node):
        raise ValueError("bad patch")

    with pytest.raises(ValueError, match="bad patch"):
        await s.unit(None, work)
    assert len(s.queue) == 1


async def test_moves_of_single_calls_count_in_the_enclosing_block() -> None:
    """A single call (a verdict's base build, its quality checks) that moves counts in the
    verdict like its unit's own moves: counting_moves gathers them, nested blocks too."""
    import asyncio

    from kgym.platform import counting_moves

    s = Handed(["gone-1", "ok-1", "gone-2", "ok-2"], retries=1)

    async def work(node):
        if node.id.startswith("gone"):
            raise ray.exceptions.ActorDiedError()
        return node.id

    with counting_moves() as outer:
        await s.unit(None, work, kind="build")
        with counting_moves() as inner:
            await asyncio.gather(s.unit(None, work, kind="unit"))  # a child task counts too
    assert [m.split(":")[0] for m in inner] == ["node gone-2"]
    assert [m.split(":")[0] for m in outer] == ["node gone-1", "node gone-2"]
    await Handed(["gone-3", "ok-3"], retries=1).unit(None, work)  # outside: counted nowhere
    assert len(outer) == 2


async def test_a_single_calls_placement_joins_the_callers_run() -> None:
    from kgym import events

    s = Handed(["n-1"], retries=0)

    async def work(node):
        return node.id

    with events.capture() as records, events.run_context("run-7"):
        await s.unit(None, work, kind="code")  # no run id of its own: the context's
    [placed] = [r for r in records if r["event"] == "unit.placed"]
    assert placed["run_id"] == "run-7" and placed["unit"] == "code"
