"""Every route of the app refuses a request without credentials, except a short public list.

Generic on purpose: routes are read from ``create_app()`` itself, so a route added later is
checked without anyone remembering to add it here. Only a route that must be public goes into
``PUBLIC``, which makes that decision visible in review.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Mount

# (method, path) pairs anyone may call: first-run setup, logging in, liveness and the API docs.
PUBLIC = {
    ("GET", "/api/setup"),
    ("POST", "/api/setup"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("GET", "/api/health"),
    ("GET", "/api/docs"),
    ("GET", "/api/docs/static/"),  # Swagger UI's own files, served for the docs page
    ("GET", "/api/openapi.json"),
    # Xtream Codes login: wrong credentials get {"user_info": {"auth": 0}} with a 200, as panels
    # answer and players expect; no data without valid ones (tests/api/test_xtream_output.py).
    ("GET", "/player_api.php"),
    ("POST", "/player_api.php"),
    # Logos for <img> tags and players: the key is an HMAC of the source URL under the signing
    # key, a forged one is a 404 and fetches nothing (tests/api/test_logo_cache.py).
    ("GET", "/logo/{key}"),
}
# The built web UI: static files and the page shell, no data.
UI_MODULE = "strmline.api.web"

_PARAM = re.compile(r"\{[^}]+\}")


def _endpoint_module(route: Any) -> str:
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, "__module__", "") or ""


def iter_routes(routes: Iterable[Any]) -> Iterator[tuple[str, str, str]]:
    """(method, path, endpoint module) of every route, included routers and mounts unfolded."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            # Recent FastAPI keeps an included router as one entry holding its routes.
            for ctx in contexts():
                methods = getattr(ctx.original_route, "methods", None) or {"GET"}
                module = _endpoint_module(ctx) or _endpoint_module(ctx.original_route)
                for method in methods:
                    yield method, ctx.path, module
        elif isinstance(route, Mount):
            sub = getattr(route.app, "routes", None)
            if sub is None:
                # A mounted ASGI app without routes (StaticFiles): probe its root.
                yield "GET", route.path + "/", type(route.app).__module__
            else:
                for method, path, module in iter_routes(sub):
                    yield method, route.path + path, module
        else:
            for method in getattr(route, "methods", None) or {"GET"}:
                yield method, route.path, _endpoint_module(route)


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = set()
    for method, path, module in iter_routes(app.routes):
        if method == "HEAD":
            continue  # answered by the GET handler
        if (method, path) in PUBLIC or module == UI_MODULE:
            continue
        found.add((method, path))
    return sorted(found, key=lambda mp: (mp[1], mp[0]))


def fill(path: str) -> str:
    return _PARAM.sub("1", path)


def test_route_enumeration_sees_everything(app: FastAPI) -> None:
    routes = protected_routes(app)
    paths = {p for _, p in routes}
    # A sanity floor so a FastAPI change in how routes are stored cannot empty the check.
    assert {"/output/m3u", "/play/{channel_id}", "/api/auth/me"} <= paths
    assert len(routes) >= 10


async def test_every_route_needs_credentials(client: httpx.AsyncClient, app: FastAPI) -> None:
    failures = []
    for method, path in protected_routes(app):
        url = fill(path)
        for headers, params in (
            ({}, {}),
            ({"Authorization": "Bearer not-a-token"}, {"token": "not-a-token"}),
        ):
            r = await client.request(method, url, headers=headers, params=params)
            if r.status_code not in (401, 403):
                failures.append(f"{method} {url} {headers or ''} -> {r.status_code} {r.text[:120]}")
    assert not failures, "routes answering without credentials:\n" + "\n".join(failures)


@pytest.mark.parametrize("method,path", sorted(PUBLIC))
async def test_public_routes_exist(app: FastAPI, method: str, path: str) -> None:
    # A public entry left behind after its route was removed would hide a new route of that name.
    assert (method, path) in {(m, p) for m, p, _ in iter_routes(app.routes)}
