"""The viewer in a real browser while a real `kgym fix` job runs (K=3, scripted model,
the real platform: kernel builds and QEMU).

The page is given the token once, starts the job with `human` on, watches the graph
highlight the running node and the timeline grow, answers both reviews from the page,
and when the run ends shows the graph, the Gantt bars, three diffs and the verdicts
with the crash report and console log. A screenshot goes to the test's folder.
"""

from __future__ import annotations

import asyncio
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browserkit import Service, copy_out

from bench.suites import resolve_bug

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graph"))
from scripted_server import ScriptedServer  # noqa: E402

from bench.demo_agent import DEMO, demo_edits, demo_script, hunks_as_edits  # noqa: E402

pytestmark = [pytest.mark.kernel, pytest.mark.vm, pytest.mark.timeout(3600)]
RUN_DEADLINE_S = 3000.0


async def _state(page) -> dict:
    return await page.evaluate(
        """() => ({
            status: document.getElementById('view').dataset.status || '',
            active: [...document.querySelectorAll('#graph .gnode.active')]
                .map((g) => g.dataset.node),
            bars: document.querySelectorAll('#gantt .bar').length,
            pending: [...document.querySelectorAll('.review.pending')]
                .map((r) => r.closest('[data-hypothesis]').dataset.hypothesis),
        })"""
    )


async def test_a_k3_run_seen_live_in_the_browser(home, browser, tmp_path):
    bug = resolve_bug(DEMO)
    kinds = ["wrong", "broken", "right"]
    script = demo_script(kinds, demo_edits(hunks_as_edits(bug.read("fix.patch"))))
    async with ScriptedServer(script) as model:
        env = {"KGYM_LLM_BASE_URL": model.base_url, "KGYM_LLM_MODEL": "scripted"}
        service = await Service(home, env, tmp_path / "serve.log").start()
        try:
            await _drive(browser, service, tmp_path)
        finally:
            service.stop()
    assert any(t.node == "planner" for t in model.turns)


async def _drive(browser, service: Service, out: Path) -> None:
    page = await browser.new_page(viewport={"width": 1500, "height": 1000})
    await page.goto(service.url + "/")
    # the page asks for the token once
    await page.wait_for_selector("#token-bar:not([hidden])")
    await page.fill("#token-input", service.token)
    await page.click("#token-form button")
    await page.wait_for_selector("#token-bar", state="hidden")

    await page.fill("input[name=bug]", DEMO)
    await page.fill("input[name=hypotheses]", "3")
    await page.fill("input[name=max_iterations]", "1")
    await page.check("input[name=human]")
    await page.click("form.job button[type=submit]")
    await page.wait_for_selector("#graph")
    run_id = page.url.split("#/run/")[1]

    seen_active: set[str] = set()
    bar_counts: list[int] = []
    answered: list[str] = []
    deadline = time.monotonic() + RUN_DEADLINE_S
    while True:
        state = await _state(page)
        if state["status"] == "running":
            seen_active.update(state["active"])
            bar_counts.append(state["bars"])
        for hypothesis in state["pending"]:
            if hypothesis not in answered:
                card = page.locator(f'[data-hypothesis="{hypothesis}"]')
                await card.locator("button.approve").click()
                answered.append(hypothesis)
        if state["status"] in ("finished", "stopped"):
            break
        assert time.monotonic() < deadline, f"run {run_id} still going: {state}"
        await asyncio.sleep(0.5)

    # live: several nodes were highlighted in turn, and the timeline grew while it ran
    assert {"reproduce", "branch"} <= seen_active, seen_active
    assert bar_counts and max(bar_counts) > min(bar_counts), bar_counts
    assert state["status"] == "finished", await page.inner_text("#view")
    assert sorted(answered) == ["i1h1", "i1h3"]  # the broken patch never reached review

    # the graph: every node of the compiled graph, and none running any more
    from graph.builder import build_graph

    drawn = await page.eval_on_selector_all("#graph .gnode", "gs => gs.map(g => g.dataset.node)")
    assert sorted(drawn) == sorted(build_graph().get_graph().nodes)
    assert await page.locator("#graph .gnode.active").count() == 0
    assert await page.locator("#graph .edge").count() == len(build_graph().get_graph().edges)

    # the Gantt: bars of every kind, in the lanes of the hypotheses and of the run
    kinds = set(await page.eval_on_selector_all("#gantt .bar", "bs => bs.map(b => b.dataset.kind)"))
    assert {"node", "compile", "build", "boot", "run"} <= kinds, kinds
    lanes = set(await page.eval_on_selector_all("#gantt .bar", "bs => bs.map(b => b.dataset.lane)"))
    assert {"run", "i1h1", "i1h2", "i1h3"} <= lanes, lanes

    # three diffs, and the verdicts with their crash reports
    for hypothesis in ("i1h1", "i1h2", "i1h3"):
        card = page.locator(f'[data-hypothesis="{hypothesis}"]')
        assert await card.locator("table.diff tr.add").count() >= 1, hypothesis
        assert await card.locator("table.diff tr.file").count() == 1, hypothesis
    outcomes = {
        h: await page.locator(f'[data-hypothesis="{h}"] h3 .badge').inner_text()
        for h in ("i1h1", "i1h2", "i1h3")
    }
    assert outcomes == {"i1h1": "same_crash", "i1h2": "build_error", "i1h3": "resolved"}
    wrong = page.locator('[data-hypothesis="i1h1"] .verdict')
    assert "mpol_parse_str" in await wrong.locator(".crash-title").first.inner_text()
    assert await wrong.locator(".frames li").count() >= 3
    console = await wrong.locator("a.console").first.get_attribute("href")
    with urllib.request.urlopen(service.url + console) as r:
        assert "KASAN" in r.read().decode(errors="replace")
    right = page.locator('[data-hypothesis="i1h3"] .verdict')
    assert await right.locator(".run").count() >= 1
    assert await right.locator(".crash-title").count() == 0
    assert "compile" in (await page.inner_text('[data-hypothesis="i1h2"]')).lower()
    # tokens and cost per node: the nodes that asked the model
    usage = await page.inner_text("#usage")
    for node in ("localizer", "planner", "patcher"):
        assert node in usage

    shot = out / "k3-run.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    copy_out(shot)
