"""The viewer in a real browser on a run written step by step (no kernel build: the light
browser test). The page follows the run live over SSE, lights the running node, grows the
timeline, answers a review after asking for the token once, and compares two runs."""

from __future__ import annotations

import asyncio
import time

from browserkit import Service, copy_out
from replay import Recorder, ask, steps

from kgym import rundir

EXPECTED_ACTIVE = {
    "reproducing": {"reproduce"},
    "planning": {"planner"},
    "patching": {"branch"},  # patcher and verifier work runs in the branch subgraph
    "verifying": {"branch"},
    "finished": set(),
}


async def _until(page, script: str, deadline_s: float = 20.0):
    start = time.monotonic()
    while True:
        value = await page.evaluate(script)
        if value:
            return value
        assert time.monotonic() - start < deadline_s, f"timed out waiting for: {script}"
        await asyncio.sleep(0.1)


async def test_the_page_follows_a_run_live(browser, tmp_path):
    home = tmp_path / "home"
    service = await Service(home, {}, tmp_path / "serve.log").start()
    try:
        await _follow(browser, service, home, tmp_path)
    finally:
        service.stop()


async def _follow(browser, service: Service, home, out) -> None:
    run_dir = home / "runs" / "replayed"
    writer = steps(run_dir, "replayed")
    step = next(writer)
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    await page.goto(f"{service.url}/#/run/replayed")
    await page.wait_for_selector("#graph .gnode")
    bars = []
    for _ in EXPECTED_ACTIVE:
        expected = EXPECTED_ACTIVE[step]
        active = await _until(
            page,
            "(() => { const a = [...document.querySelectorAll('#graph .gnode.active')]"
            ".map(g => g.dataset.node).sort().join(','); return a === "
            f"{','.join(sorted(expected))!r} ? a || 'none' : ''; }})()",
        )
        assert active, step
        bars.append(await page.locator("#gantt .bar").count())
        if step == "patching":  # a person is asked about i1h1 while the others go on
            ask(run_dir, "replayed", "i1h1")
            card = page.locator('[data-hypothesis="i1h1"]')
            await card.locator(".review.pending button.reject").wait_for(timeout=10_000)
            await card.locator("button.reject").click()  # no token yet: the page asks for it
            await page.wait_for_selector("#token-bar:not([hidden])")
            assert rundir.read_answer(run_dir, "i1h1") is None
            await page.fill("#token-input", service.token)
            await page.click("#token-form button")
            await card.locator("button.reject").click()
            await card.locator(".review.done").wait_for(timeout=10_000)
            assert rundir.read_answer(run_dir, "i1h1") == {"action": "reject"}
            # and i1h3's patch is edited on the page (the token is known now)
            ask(run_dir, "replayed", "i1h3")
            card = page.locator('[data-hypothesis="i1h3"]')
            await card.locator(".review.pending summary").click(timeout=10_000)
            area = card.locator(".review.pending textarea")
            await area.fill("--- a/y\n+++ b/y\n")
            # the run goes on while the person edits: the page draws the new event and
            # leaves the card being edited as it is (still open, the edit kept)
            shown = await page.locator("table.events tr").count()
            assert shown < 400  # the table shows the last 400 events
            Recorder(run_dir, "replayed", meta=False)("patcher", "tool", "i1h2", tool="grep")
            await _until(page, f"document.querySelectorAll('table.events tr').length > {shown}")
            assert await area.input_value() == "--- a/y\n+++ b/y\n"
            assert await card.locator(".review.pending details[open]").count() == 1
            await card.locator("button.edit").click()
            await card.locator(".review.done").wait_for(timeout=10_000)
            answer = rundir.read_answer(run_dir, "i1h3")
            assert answer == {"action": "edit", "patch": "--- a/y\n+++ b/y\n"}
        step = next(writer, None)
        if step is None:
            break
    assert bars == sorted(bars) and bars[-1] > bars[0], bars  # the timeline grew
    await _until(page, "document.getElementById('view').dataset.status === 'finished'")

    # the finished run: graph, bars of each kind, diffs, verdicts with crash report + console
    kinds = set(await page.eval_on_selector_all("#gantt .bar", "bs => bs.map(b => b.dataset.kind)"))
    assert kinds == {"node", "compile", "build", "boot", "run"}, kinds
    for h in ("i1h1", "i1h2", "i1h3"):
        assert await page.locator(f'[data-hypothesis="{h}"] table.diff tr.add').count() == 2
    badges = [await page.locator(f'[data-hypothesis="i1h{i}"] h3 .badge').inner_text()
              for i in (1, 2, 3)]  # fmt: skip
    assert badges == ["same_crash", "build_error", "resolved"]
    wrong = page.locator('[data-hypothesis="i1h1"] .verdict')
    assert "mpol_parse_str" in await wrong.locator(".crash-title").inner_text()
    assert await wrong.locator(".frames li").count() == 3
    href = await wrong.locator("a.console").get_attribute("href")
    assert href == "/api/runs/replayed/logs/bb000001/console.log"
    assert "error: expected" in await page.inner_text('[data-hypothesis="i1h2"]')
    usage = await page.inner_text("#usage")
    assert "localizer" in usage and "planner" in usage and "$0.0010" in usage  # 0.0004 + 3 x 0.0002
    shot = out / "replayed-run.png"
    await page.screenshot(path=str(shot), full_page=True)
    copy_out(shot)

    # two runs side by side
    for _ in steps(home / "runs" / "second", "second"):
        pass
    await page.goto(f"{service.url}/#/")
    await page.check('input[data-run="replayed"]')
    await page.check('input[data-run="second"]')
    await page.click("#compare")
    await page.wait_for_selector(".compare-col")
    cols = await page.eval_on_selector_all(".compare-col", "cs => cs.map(c => c.dataset.run)")
    assert sorted(cols) == ["replayed", "second"]
    assert await page.locator(".compare-col table.diff").count() == 0
    assert await page.locator(".compare-col .badge.good").count() >= 4
    shot = out / "compare.png"
    await page.screenshot(path=str(shot), full_page=True)
    copy_out(shot)
    assert not errors, errors
