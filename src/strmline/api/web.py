"""Serve the built web UI (``src/strmline/web``, made by ``npm run build`` in ``frontend/``).

Hashed files under ``/assets`` are immutable and cached for a year; root-level files of the build
(``favicon.svg``) are served as they are. A path that looks like a page of the UI (no file
extension, not under an API, output or player prefix) asked for by a browser (``Accept:
text/html``) falls back to ``index.html`` (the React router takes it from there), which is never
cached so a new build is picked up at once. Everything else is a JSON 404 in the API's error
shape: players and media servers probe paths like ``/discover.json`` or ``/player_api.php`` and
must not get a web page they then fail to parse. Without a build, ``/`` says how to make one.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from strmline.api.errors import error_response

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
# First path segments that are never UI pages: strmline's own API and outputs.
RESERVED = ("api", "output", "play", "hdhr", "metrics", "assets")
# Prefixes of Xtream Codes stream URLs that IPTV players try against any server they are given
# (``/series/<user>/<password>/<id>.<ext>``): reserved only with more segments after them, since
# ``/series`` alone is the UI's Series page (reloading it must not answer JSON).
XTREAM_STREAMS = ("live", "movie", "series", "timeshift")
HTML_TYPES = ("text/html", "application/xhtml+xml")
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

MISSING_BUILD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strmline</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1>strmline is running, but the web UI is not built</h1>
<p>Build it with <code>make run</code> (builds the UI when it is stale, then serves), or by hand:
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload this page.</p>
<p>The API works without it: see <a href="/api/docs">/api/docs</a>.</p>
</body></html>
"""


def _reserved(path: str) -> bool:
    first, _, rest = path.strip("/").partition("/")
    return first in RESERVED or (first in XTREAM_STREAMS and bool(rest))


def ui_route(path: str) -> bool:
    """Whether ``path`` may be a page of the UI: no file extension, no reserved prefix."""
    segments = path.strip("/").split("/")
    return not _reserved(path) and "." not in segments[-1]


def accepts_html(request: Request) -> bool:
    """Browsers name text/html when they load a page; players and API clients do not (``*/*``
    counts as no: those clients cannot use a page either)."""
    for part in request.headers.get("accept", "").split(","):
        media, _, params = part.partition(";")
        if media.strip().lower() in HTML_TYPES:
            q = params.strip().removeprefix("q=").strip()
            return q not in ("0", "0.0", "0.00", "0.000")
    return False


def install_web(app: FastAPI, web_dir: Path | None = None) -> None:
    """Add the UI routes; call after every API router so they never shadow an API path."""
    root = (web_dir or WEB_DIR).resolve()
    assets = root / "assets"

    @app.api_route("/assets/{name:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def web_asset(name: str) -> Response:
        target = (assets / name).resolve()
        if not target.is_relative_to(assets) or not target.is_file():
            return error_response(404, "not_found", f"no such asset: {name}")
        return FileResponse(target, headers={"Cache-Control": IMMUTABLE})

    def root_file(path: str) -> Response | None:
        if path and "/" not in path:
            # root-level static files copied from frontend/public (favicon.svg, robots.txt, …)
            top = (root / path).resolve()
            if top.parent == root and top.is_file() and top.name != "index.html":
                return FileResponse(top, headers={"Cache-Control": "public, max-age=3600"})
        return None

    def page() -> Response:
        index = root / "index.html"
        if not index.is_file():
            return HTMLResponse(MISSING_BUILD, headers={"Cache-Control": NO_CACHE})
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": NO_CACHE})

    # The SPA fallback is a 404 handler, not a catch-all route: routers included after this call
    # (outputs, /play, /hdhr) still match first, and API paths keep the JSON error shape.
    @app.exception_handler(404)
    async def web_fallback(request: Request, exc: Exception) -> Response:
        path = request.url.path
        if request.method in ("GET", "HEAD") and not _reserved(path):
            static = root_file(path.lstrip("/"))
            if static is not None:
                return static
            if ui_route(path) and accepts_html(request):
                return page()
        detail = exc.detail if isinstance(exc, StarletteHTTPException) else "Not Found"
        if detail == "Not Found":  # the router's own words: say which path
            detail = f"not found: {path}"
        return error_response(404, "not_found", str(detail))


__all__ = ["WEB_DIR", "install_web"]
