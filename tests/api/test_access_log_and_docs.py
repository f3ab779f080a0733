"""Access logs never show credentials; /api/docs works offline (Swagger UI served from the package)."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter

from strmline.api.app import create_app
from strmline.config import Settings

SECRETS = ("s3cr3t-api-token", "eyJhbGciOi.payload.sig", "hunter2", "other-token")
REQUEST = (
    "/api/events?access_token=eyJhbGciOi.payload.sig&x=1",
    "/output/m3u?category=News&token=s3cr3t-api-token",
    "/get.php?username=u&password=hunter2&type=m3u_plus",
    "/x?API_TOKEN=other-token",
    "/hdhr/s3cr3t-api-token/lineup.json",
)


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(AccessFormatter(LOGGING_CONFIG["formatters"]["access"]["fmt"]))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def listening() -> Iterator[Collect]:
    # uvicorn's access logger does not propagate, so caplog would see nothing: listen on it.
    logger = logging.getLogger("uvicorn.access")
    handler = Collect()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def access_log() -> Iterator[Collect]:
    with listening() as handler:
        yield handler


def log_requests() -> None:
    # The call uvicorn makes for every request (httptools and h11 protocols alike).
    logger = logging.getLogger("uvicorn.access")
    for path in REQUEST:
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)


def test_access_log_hides_credentials_after_uvicorn_configures_logging(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path), scheduler=False, migrate=False)
    # What `strmline serve` does next: uvicorn applies its logging config to the same loggers.
    uvicorn.Config(app, log_config=LOGGING_CONFIG)
    with listening() as access_log:
        log_requests()
    text = "\n".join(access_log.lines)
    assert len(access_log.lines) == len(REQUEST)
    for secret in SECRETS:
        assert secret not in text
    assert "token=***" in text and "access_token=***" in text and "password=***" in text
    assert "/hdhr/***/lineup.json" in text
    assert "category=News" in text and "username=u" in text and "x=1" in text


async def test_the_app_lifespan_installs_it_too(
    app: FastAPI, access_log: Collect, client: httpx.AsyncClient
) -> None:
    logger = logging.getLogger("uvicorn.access")
    logger.filters.clear()  # as if logging had been configured from scratch after create_app
    async with app.router.lifespan_context(app):
        log_requests()
    assert not any(secret in line for line in access_log.lines for secret in SECRETS)


async def test_docs_use_only_local_assets(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
    urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", r.text)
    assert urls and all(u.startswith("/api/") for u in urls), urls
    assert "cdn" not in r.text and "https://" not in r.text
    for url in urls:
        asset = await client.get(url)
        assert asset.status_code == 200, url
    js = await client.get("/api/docs/static/swagger-ui-bundle.js")
    assert "javascript" in js.headers["content-type"] and len(js.content) > 100_000
    css = await client.get("/api/docs/static/swagger-ui.css")
    assert css.headers["content-type"].startswith("text/css")
    assert (await client.get("/api/openapi.json")).json()["openapi"].startswith("3.")


async def test_no_redoc_or_stray_docs_routes(client: httpx.AsyncClient) -> None:
    for path in ("/api/redoc", "/redoc", "/docs", "/docs/oauth2-redirect"):
        r = await client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path
    missing = await client.get("/api/docs/static/nope.js")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
