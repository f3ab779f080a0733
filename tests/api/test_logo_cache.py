"""The logo cache (/logo/{key}) against a real HTTP origin on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import insert

from strmline.config import Settings
from strmline.db.engine import session_scope
from strmline.db.models import Channel
from strmline.formats.logos import logo_key, proxy_url
from tests.api.test_channels_api import channel_row
from tests.helpers import wait_for_job_api


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


class Origin:
    """A logo host: counts every request per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.logo = _png(600, 300)
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                origin.hits[self.path] += 1
                status, kind, body, extra = origin.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, target: str) -> tuple[int, str, bytes, dict[str, str]]:
        path = urlsplit(target).path
        if path == "/logo.png":
            return 200, "image/png", self.logo, {}
        if path == "/moved":
            return 302, "text/plain", b"", {"Location": "/logo.png"}
        if path.startswith("/hop"):
            n = int(path[4:] or 0)
            return 302, "text/plain", b"", {"Location": f"/hop{n + 1}"}
        if path == "/file":
            return 302, "text/plain", b"", {"Location": "file:///etc/passwd"}
        if path == "/big.png":
            return 200, "image/png", b"\x89PNG" + b"\0" * (3 * 1024 * 1024), {}
        if path == "/page.html":
            return 200, "text/html", b"<html>not a logo</html>", {}
        if path == "/junk.png":
            return 200, "image/png", b"not really a png", {}
        return 404, "text/plain", b"gone", {}


@pytest.fixture
def origin() -> Iterator[Origin]:
    o = Origin()
    thread = threading.Thread(target=o.server.serve_forever, daemon=True)
    thread.start()
    yield o
    o.server.shutdown()
    o.server.server_close()


def _key(settings: Settings) -> str:
    return settings.get_secret_key()


async def test_first_request_fetches_and_caches_then_serves_from_disk(
    client: httpx.AsyncClient, origin: Origin, api_settings: Settings
) -> None:
    url = proxy_url(_key(api_settings), f"{origin.base}/logo.png", "BBC One")
    assert url is not None
    r = await client.get(url)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert "max-age=" in r.headers["cache-control"]
    with Image.open(io.BytesIO(r.content)) as image:
        assert image.size == (256, 128)  # fitted into 256 px, proportions kept
    key = urlsplit(url).path.rsplit("/", 1)[1]
    cached = api_settings.data_dir / "logos" / f"{key}.png"
    assert cached.read_bytes() == r.content
    assert not list(cached.parent.glob("*.tmp"))

    again = await client.get(url)
    assert again.status_code == 200 and again.content == r.content
    assert origin.hits["/logo.png"] == 1
    etag = again.headers["etag"]
    not_modified = await client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    head = await client.head(url)
    assert head.status_code == 200 and head.headers["etag"] == etag
    assert origin.hits["/logo.png"] == 1


async def test_concurrent_requests_for_one_logo_fetch_it_once(
    client: httpx.AsyncClient, origin: Origin, api_settings: Settings
) -> None:
    url = proxy_url(_key(api_settings), f"{origin.base}/logo.png?v=2", "BBC One")
    assert url is not None
    answers = await asyncio.gather(*(client.get(url) for _ in range(6)))
    assert {r.headers["content-type"] for r in answers} == {"image/png"}
    assert len({r.content for r in answers}) == 1
    assert origin.hits["/logo.png?v=2"] == 1


async def test_redirects_are_followed_a_few_times_only(
    client: httpx.AsyncClient, origin: Origin, api_settings: Settings
) -> None:
    ok = proxy_url(_key(api_settings), f"{origin.base}/moved", "X")
    assert ok is not None
    r = await client.get(ok)
    assert r.headers["content-type"] == "image/png"
    for path in ("/hop0", "/file"):
        url = proxy_url(_key(api_settings), origin.base + path, "Sky News")
        assert url is not None
        r = await client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert origin.hits["/hop3"] == 1 and origin.hits["/hop4"] == 0


@pytest.mark.parametrize("path", ["/missing.png", "/big.png", "/page.html", "/junk.png"])
async def test_a_bad_origin_answers_the_generated_fallback_and_is_remembered(
    client: httpx.AsyncClient, origin: Origin, api_settings: Settings, path: str
) -> None:
    url = proxy_url(_key(api_settings), origin.base + path, "Sky <News> HD")
    assert url is not None
    r = await client.get(url)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert ">S&lt;</text>" in r.text  # initials as the UI makes them, escaped
    again = await client.get(url)
    assert again.status_code == 200 and origin.hits[path] == 1  # the miss is remembered
    assert not list((api_settings.data_dir / "logos").glob("*.png"))


async def test_forged_or_malformed_keys_are_404(
    client: httpx.AsyncClient, origin: Origin, api_settings: Settings
) -> None:
    src = f"{origin.base}/logo.png"
    good = logo_key(_key(api_settings), src)
    forged = logo_key("some other secret", src)
    for key, source in (
        (forged, src),
        (good, f"{origin.base}/junk.png"),  # a real key does not sign another URL
        ("..%2F..%2Fstrmline.db", src),
        (good.upper(), src),
    ):
        r = await client.get(f"/logo/{key}", params={"src": source})
        assert r.status_code == 404, (key, r.status_code)
    (api_settings.data_dir / "logos").mkdir(exist_ok=True)
    r = await client.get("/logo/%2E%2E%2Fstrmline.db", params={"src": src})
    assert r.status_code == 404 and not r.content.startswith(b"SQLite format")
    assert sum(origin.hits.values()) == 0


def test_the_key_names_a_file_inside_the_cache(tmp_path: Path) -> None:
    from strmline.services.logos import LogoCache

    cache = LogoCache(tmp_path / "logos")
    key = logo_key("k", "http://example.test/a.png")
    assert cache.path(key).parent == tmp_path / "logos"
    assert proxy_url("k", "file:///etc/passwd", "X") is None
    assert proxy_url("k", "data:image/png;base64,AA==", "X") is None


async def test_channel_list_and_detail_carry_the_proxied_logo(
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, api_settings: Settings
) -> None:
    async with session_scope(app.state.session_factory) as s:
        await s.execute(
            insert(Channel).values(
                [
                    channel_row(1, "BBC One", logo="http://logos.test/bbc1.png"),
                    channel_row(2, "No Logo", logo=None),
                ]
            )
        )
    r = await client.get("/api/channels", headers=admin)
    assert r.status_code == 200, r.text
    items = {c["id"]: c for c in r.json()["items"]}
    proxied = items[1]["logo_proxy"]
    assert items[1]["logo"] == "http://logos.test/bbc1.png"  # the provider's URL stays
    assert proxied.startswith("/logo/")
    query = parse_qs(urlsplit(proxied).query)
    assert query == {"src": ["http://logos.test/bbc1.png"], "name": ["BBC One"]}
    assert items[2]["logo_proxy"] is None
    detail = await client.get("/api/channels/1", headers=admin)
    assert detail.json()["logo_proxy"] == proxied
    edited = await client.patch(
        "/api/channels/1", headers=admin, json={"logo": "https://logos.test/new.png"}
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["logo_proxy"] != proxied
    assert "new.png" in edited.json()["logo_proxy"]


async def test_vod_posters_come_through_the_cache(  # type: ignore[no-untyped-def]
    client: httpx.AsyncClient, admin: dict[str, str], app: FastAPI, fake_provider
) -> None:
    from tests.api.test_vod_api import _provider

    app.state.settings.vod.strm_after_sync = False
    await _provider(app, fake_provider, "acme")
    r = await client.post("/api/vod/sync", json={}, headers=admin)
    assert r.status_code == 202, r.text
    assert (await wait_for_job_api(client, admin, r.json()["job_id"]))["state"] == "succeeded"
    items = (await client.get("/api/vod/movies", headers=admin)).json()["items"]
    with_poster = [m for m in items if m["poster"]]
    assert with_poster and all(m["poster_proxy"] is None for m in items if not m["poster"])
    movie = with_poster[0]
    assert movie["poster_proxy"].startswith("/logo/")
    image = await client.get(movie["poster_proxy"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    series = (await client.get("/api/vod/series", headers=admin)).json()["items"]
    detail = (await client.get(f"/api/vod/series/{series[0]['id']}", headers=admin)).json()
    assert detail["poster_proxy"] == series[0]["poster_proxy"]
