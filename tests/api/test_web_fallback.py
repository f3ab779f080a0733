"""The UI's fallback serves pages to browsers only; probes of other servers' paths get a JSON 404."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from strmline.api import errors
from strmline.api.web import install_web

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
INDEX = "<!doctype html><title>strmline ui</title>"

# Paths HDHomeRun clients, Xtream Codes players and media servers try on any server.
PROBES = [
    "/discover.json",
    "/lineup.json",
    "/lineup_status.json",
    "/device.xml",
    "/player_api.php",
    "/get.php",
    "/xmltv.php",
    "/live/user/pass/1.ts",
    "/live/user/pass/1",
    "/movie/user/pass/2.mkv",
    "/series/user/pass/3.mp4",
    "/timeshift/user/pass/60/2024-01-01:10-00/1.ts",
    "/api/nope",
    "/output/nope",
    "/hdhr/nope",
    "/assets/missing.js",
]


@pytest.fixture
async def ui(tmp_path: Path) -> httpx.AsyncClient:
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "favicon.svg").write_text("<svg/>")
    app = FastAPI()
    errors.install(app)
    install_web(app, tmp_path)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def assert_json_404(r: httpx.Response) -> None:
    assert r.status_code == 404, r.text
    assert r.headers["content-type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == "not_found" and set(error) == {"code", "message", "details"}


@pytest.mark.parametrize("path", PROBES)
@pytest.mark.parametrize("accept", [None, "*/*", BROWSER["Accept"]])
async def test_probed_paths_get_a_json_404(
    ui: httpx.AsyncClient, path: str, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    r = await ui.get(path, headers=headers)
    assert_json_404(r)
    assert path.rsplit("/", 1)[-1] in r.json()["error"]["message"]
    head = await ui.head(path, headers=headers)
    assert head.status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/channels", "/settings", "/jobs/12", "/login", "/series", "/series/", "/movies"]
)
async def test_browsers_get_the_ui(ui: httpx.AsyncClient, path: str) -> None:
    r = await ui.get(path, headers=BROWSER)
    assert r.status_code == 200 and r.text == INDEX
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "accept", [None, "*/*", "application/json", "audio/x-mpegurl", "text/html;q=0"]
)
async def test_clients_that_do_not_ask_for_html_get_json(
    ui: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    assert_json_404(await ui.get("/channels", headers=headers))


async def test_root_files_and_posts(ui: httpx.AsyncClient) -> None:
    r = await ui.get("/favicon.svg")
    assert r.status_code == 200 and r.text == "<svg/>"
    assert_json_404(await ui.post("/channels", headers=BROWSER))


async def test_the_app_answers_probes_with_json(client: httpx.AsyncClient) -> None:
    for path in ("/discover.json", "/device.xml"):
        assert_json_404(await client.get(path, headers=BROWSER))
    # Xtream paths are served: wrong credentials get the panels' JSON answers, not the UI.
    api = await client.get("/player_api.php", headers=BROWSER)
    assert api.status_code == 200 and api.json() == {"user_info": {"auth": 0}}
    live = await client.get("/live/u/p/1.ts", headers=BROWSER)
    assert live.status_code == 401 and live.headers["content-type"].startswith("application/json")
    page = await client.get("/outputs", headers=BROWSER)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
