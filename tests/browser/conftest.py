"""A real browser (Debian's chromium, driven by Playwright from PyPI) on `kgym serve`.

Playwright never downloads a browser here: it is pointed at /usr/bin/chromium.
The service runs as `kgym serve` in a subprocess, over a KGYM_HOME of the test's
own whose build-cache directories link to the shared cache (kernel builds stay warm).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kgym.settings import load_settings

CHROMIUM = Path(os.environ.get("KGYM_CHROMIUM", "/usr/bin/chromium"))
SHARED = ("accel", "ccache", "checkouts", "images", "sources", "store", "trees")
os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A KGYM_HOME for this test; its build cache is the shared one (linked)."""
    shared = load_settings().home
    home = tmp_path / "home"
    home.mkdir()
    for name in SHARED:
        (shared / name).mkdir(parents=True, exist_ok=True)
        (home / name).symlink_to(shared / name)
    return home


@pytest.fixture
async def browser():
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (./dev setup does)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            await b.close()
