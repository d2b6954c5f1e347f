"""The single-page UI: served at / with its script and stylesheet, nothing from elsewhere."""

from __future__ import annotations

import re

from yarl import URL

from kgym.front.service.app import STATIC_DIR


async def test_index_references_the_script_and_the_script_is_served(client):
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert "/static/app.js" in assets and "/static/style.css" in assets
    for asset in assets:
        served = await client.get(asset)
        assert served.status == 200, asset
        assert (await served.text()) == (STATIC_DIR / asset.removeprefix("/static/")).read_text()
    js = await client.get("/static/app.js")
    assert "javascript" in js.headers["Content-Type"]
    assert "EventSource" in await js.text()


SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name for createElementNS, never fetched


def test_the_ui_loads_nothing_from_other_hosts():
    for path in STATIC_DIR.iterdir():
        text = path.read_text().replace(f'"{SVG_NAMESPACE}"', "")
        assert not re.search(r"https?://|//cdn", text), path.name


async def test_static_files_do_not_leave_their_directory(client):
    for path in ("%2e%2e/app.py", "..%2Fapp.py", "%2e%2e%2fapp.py"):
        url = URL(f"{client.make_url('/static/')}{path}", encoded=True)  # sent as written
        response = await client.session.get(url)
        assert response.status in (403, 404), path
        assert "make_app" not in await response.text()
