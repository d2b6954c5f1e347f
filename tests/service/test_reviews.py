"""The review of a `--human` run, answered from the page: the question waits in the run's
directory, the page's POST answers it, and the waiting `kgym fix` reads the answer."""

from __future__ import annotations

import asyncio

import pytest

from kgym import rundir
from kgym.front.commands.fix import _RundirReviewer
from tests.service.conftest import append, event

QUESTION = {"hypothesis": "i1h1", "root_cause": "off by one", "patch": "--- a/x\n+++ b/x\n"}


@pytest.fixture
def run_dir(settings):
    d = settings.runs_dir / "r1"
    append(d, event("r1", "agent", "run.start"))
    return d


@pytest.mark.parametrize(
    "answer",
    [{"action": "approve"}, {"action": "reject"}, {"action": "edit", "patch": "--- a/y\n"}],
)
async def test_the_waiting_run_gets_the_pages_answer(client, run_dir, answer):
    reviewer = _RundirReviewer(run_dir)
    waiting = asyncio.create_task(reviewer(QUESTION))
    for _ in range(100):
        if (await (await client.get("/api/runs/r1")).json())["reviews"]:
            break
        await asyncio.sleep(0.05)
    [pending] = (await (await client.get("/api/runs/r1")).json())["reviews"]
    assert pending == {**QUESTION, "answer": None}
    assert not waiting.done()

    response = await client.post("/api/runs/r1/reviews/i1h1", json=answer)
    assert response.status == 200, await response.text()
    assert await asyncio.wait_for(waiting, 5) == answer
    [done] = (await (await client.get("/api/runs/r1")).json())["reviews"]
    assert done["answer"] == answer
    # answered once only
    again = await client.post("/api/runs/r1/reviews/i1h1", json={"action": "approve"})
    assert again.status == 409


@pytest.mark.parametrize(
    ("answer", "named"),
    [
        ({"action": "maybe"}, "'action'"),
        ({"action": "edit"}, "'patch'"),
        ({"action": "approve", "patch": "x"}, "only an 'edit'"),
        ({"action": "approve", "why": 1}, "unknown field"),
        (["approve"], "object"),
    ],
)
async def test_bad_answers_are_400_and_leave_the_question_open(client, run_dir, answer, named):
    rundir.ask_review(run_dir, QUESTION)
    response = await client.post("/api/runs/r1/reviews/i1h1", json=answer)
    assert response.status == 400
    assert named in (await response.json())["error"]
    assert rundir.read_answer(run_dir, "i1h1") is None


async def test_no_question_no_answer(client, run_dir):
    response = await client.post("/api/runs/r1/reviews/i1h9", json={"action": "approve"})
    assert response.status == 404
    assert "no review" in (await response.json())["error"]
    response = await client.post("/api/runs/r1/reviews/..", json={"action": "approve"})
    assert response.status in (400, 404)
