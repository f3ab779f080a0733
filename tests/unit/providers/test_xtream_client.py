"""XtreamClient over httpx.MockTransport: login outcomes, failover, bad bodies, redaction."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest

from strmline.errors import ProviderAuthError, ProviderUnavailable
from strmline.formats.redact import redact_url
from strmline.providers.xtream import XtreamClient

USER = "bob"
SECRET = "hunter22"

LOGIN_OK = {
    "user_info": {
        "username": USER,
        "password": SECRET,
        "auth": 1,
        "status": "Active",
        "exp_date": "1893456000",
        "max_connections": "2",
        "active_cons": "0",
        "is_trial": "0",
        "allowed_output_formats": ["m3u8", "ts"],
    },
    "server_info": {"url": "panel.example.com", "port": "8080", "server_protocol": "http"},
}
CATEGORIES = [
    {"category_id": "1", "category_name": "UK", "parent_id": 0},
    {"category_id": "2", "category_name": "News", "parent_id": 0},
]
STREAMS = [
    {
        "num": 1,
        "name": "BBC One HD",
        "stream_id": 101,
        "stream_icon": "http://logo/bbc1.png",
        "epg_channel_id": "bbc1.uk",
        "added": "1600000000",
        "category_id": "1",
        "tv_archive": 1,
        "tv_archive_duration": "7",
    },
    {
        "num": "2",
        "name": "CNN",
        "stream_id": "202",
        "category_id": "2",
        "stream_icon": "",
        "epg_channel_id": None,
    },
    {"num": 3, "name": "Orphan", "stream_id": 303, "category_id": "99"},
    {"num": 4, "name": "", "stream_id": 404},
    {"num": 5, "name": "No id"},
]


def panel(
    *,
    login: Any = LOGIN_OK,
    status: int = 200,
    body: bytes | None = None,
    calls: list[str] | None = None,
):
    """A handler that answers player_api.php like a panel with this account."""

    def handle(request: httpx.Request) -> httpx.Response:
        if calls is not None:
            calls.append(f"{request.url.host}:{request.url.params.get('action', 'login')}")
        if status != 200:
            return httpx.Response(status)
        if body is not None:
            return httpx.Response(200, content=body)
        params = request.url.params
        if params.get("username") != USER or params.get("password") != SECRET:
            return httpx.Response(200, json={"user_info": {"auth": 0}})
        action = params.get("action")
        if action is None:
            return httpx.Response(200, json=login)
        if action == "get_live_categories":
            return httpx.Response(200, json=CATEGORIES)
        if action == "get_live_streams":
            return httpx.Response(200, json=STREAMS)
        return httpx.Response(200, json=[])

    return handle


def client_for(routes: dict[str, Any]) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        route = routes.get(request.url.host)
        if route is None:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return route(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def assert_no_secret(exc: BaseException) -> None:
    assert SECRET not in str(exc)
    assert SECRET not in repr(exc)
    assert SECRET not in json.dumps(getattr(exc, "details", None), default=str)


async def test_authenticate_ok():
    async with client_for({"main.example.com": panel()}) as http:
        xtream = XtreamClient(http, "http://main.example.com:8080/", USER, SECRET)
        account = await xtream.authenticate()
    assert account.auth is True
    assert account.status == "Active"
    assert account.max_connections == 2
    assert account.allowed_formats == ("m3u8", "ts")
    assert xtream.server == "http://main.example.com:8080"


async def test_wrong_password():
    async with client_for({"main.example.com": panel()}) as http:
        xtream = XtreamClient(http, "http://main.example.com", USER, "wrong-password")
        with pytest.raises(ProviderAuthError) as info:
            await xtream.authenticate()
    assert info.value.message == "authentication failed: wrong username or password"
    assert "wrong-password" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("Expired", "account expired"),
        ("Banned", "account banned/disabled"),
        ("Disabled", "account banned/disabled"),
    ],
)
async def test_account_status(status, message):
    login = {"user_info": {"auth": 0, "status": status, "exp_date": "1500000000"}}
    async with client_for({"main.example.com": panel(login=login)}) as http:
        xtream = XtreamClient(http, "http://main.example.com", USER, SECRET)
        with pytest.raises(ProviderAuthError) as info:
            await xtream.authenticate()
    assert info.value.message == message
    assert info.value.details["status"] == status
    assert_no_secret(info.value)


async def test_expired_even_with_auth_1():
    login = {"user_info": {"auth": 1, "status": "Expired"}}
    async with client_for({"main.example.com": panel(login=login)}) as http:
        with pytest.raises(ProviderAuthError, match="account expired"):
            await XtreamClient(http, "http://main.example.com", USER, SECRET).authenticate()


@pytest.mark.parametrize("code", [401, 403])
async def test_http_401_403_is_auth_error_and_does_not_fail_over(code):
    calls: list[str] = []
    routes = {
        "main.example.com": panel(status=code, calls=calls),
        "backup.example.com": panel(calls=calls),
    }
    async with client_for(routes) as http:
        xtream = XtreamClient(
            http,
            "http://main.example.com",
            USER,
            SECRET,
            backup_servers=["http://backup.example.com"],
        )
        with pytest.raises(ProviderAuthError) as info:
            await xtream.authenticate()
    assert info.value.message.startswith("authentication failed: wrong username or password")
    assert calls == ["main.example.com:login"]
    assert_no_secret(info.value)


async def test_backup_host_failover_and_remembered():
    calls: list[str] = []
    routes = {
        "main.example.com": panel(status=503, calls=calls),
        "backup2.example.com": panel(calls=calls),
    }
    async with client_for(routes) as http:
        xtream = XtreamClient(
            http,
            "http://main.example.com",
            USER,
            SECRET,
            backup_servers=["http://backup1.example.com", "backup2.example.com"],
        )
        await xtream.authenticate()
        assert xtream.server == "http://backup2.example.com"
        assert [reason for _, reason in xtream.attempts] == [
            "HTTP 503 Service Unavailable",
            "connection refused",
        ]
        categories = await xtream.live_categories()
    assert [c.name for c in categories] == ["UK", "News"]
    # The second call went straight to the server that answered.
    assert calls == [
        "main.example.com:login",
        "backup2.example.com:login",
        "backup2.example.com:get_live_categories",
    ]


async def test_all_servers_down_lists_each_and_redacts():
    routes = {"main.example.com": panel(status=502)}
    async with client_for(routes) as http:
        xtream = XtreamClient(
            http,
            "http://main.example.com",
            USER,
            SECRET,
            backup_servers=["http://backup.example.com"],
        )
        with pytest.raises(ProviderUnavailable) as info:
            await xtream.authenticate()
    message = str(info.value)
    assert "all 2 Xtream servers failed" in message
    assert "HTTP 502 Bad Gateway" in message
    assert "connection refused" in message
    assert "password=***" in message
    assert_no_secret(info.value)
    assert len(info.value.details["attempts"]) == 2


async def test_html_instead_of_json():
    page = b"<!DOCTYPE html><html><body>Cloudflare says no</body></html>"
    async with client_for({"main.example.com": panel(body=page)}) as http:
        with pytest.raises(ProviderUnavailable) as info:
            await XtreamClient(http, "http://main.example.com", USER, SECRET).authenticate()
    assert info.value.message == "not JSON (looks like HTML)"
    assert_no_secret(info.value)


async def test_html_on_main_then_backup():
    page = b"<html><body>login</body></html>"
    routes = {"main.example.com": panel(body=page), "backup.example.com": panel()}
    async with client_for(routes) as http:
        xtream = XtreamClient(
            http,
            "http://main.example.com",
            USER,
            SECRET,
            backup_servers=["http://backup.example.com"],
        )
        await xtream.authenticate()
    assert xtream.server == "http://backup.example.com"


async def test_empty_body_is_not_json():
    async with client_for({"main.example.com": panel(body=b"")}) as http:
        with pytest.raises(ProviderUnavailable, match=r"not JSON \(empty response\)"):
            await XtreamClient(http, "http://main.example.com", USER, SECRET).authenticate()


async def test_timeout_message_is_redacted():
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out reading {request.url}", request=request)

    async with client_for({"main.example.com": hang}) as http:
        with pytest.raises(ProviderUnavailable) as info:
            await XtreamClient(http, "http://main.example.com", USER, SECRET).authenticate()
    assert info.value.message.startswith("timeout")
    assert_no_secret(info.value)
    # Nothing in the chain a traceback would print may repeat the unredacted URL.
    chained: BaseException | None = info.value
    while chained is not None:
        assert SECRET not in str(chained)
        chained = (
            None if chained.__suppress_context__ else (chained.__cause__ or chained.__context__)
        )


async def test_repr_hides_password():
    async with client_for({}) as http:
        xtream = XtreamClient(http, "http://main.example.com", USER, SECRET)
    assert SECRET not in repr(xtream)
    assert USER in repr(xtream)


async def test_live_streams_and_get():
    async with client_for({"main.example.com": panel()}) as http:
        xtream = XtreamClient(http, "http://main.example.com", USER, SECRET)
        streams = await xtream.live_streams()
        assert await xtream.get("get_vod_streams", category_id=5) == []
    assert [s.stream_id for s in streams] == [101, 202, 303]


async def test_fetch_live():
    progress: list[tuple[int, int]] = []
    async with client_for({"main.example.com": panel()}) as http:
        xtream = XtreamClient(http, "http://main.example.com:8080", USER, SECRET)
        result = await xtream.fetch_live(
            output="m3u8", on_progress=lambda b, e: progress.append((b, e))
        )
    assert result.account is not None and result.account.status == "Active"
    assert result.skipped == 2
    assert result.attempts == []
    assert result.epg_urls == [
        f"http://main.example.com:8080/xmltv.php?username={USER}&password={SECRET}"
    ]
    assert SECRET not in result.source
    bbc, cnn, orphan = result.items
    assert bbc.key == "101"
    assert bbc.name == "BBC One HD"
    assert bbc.url == f"http://main.example.com:8080/live/{USER}/{SECRET}/101.m3u8"
    assert bbc.group == "UK"
    assert bbc.tvg_id == "bbc1.uk"
    assert bbc.logo == "http://logo/bbc1.png"
    assert bbc.chno == "1"
    assert bbc.attrs == {"catchup": "xc", "catchup-days": "7"}
    assert cnn.key == "202"
    assert cnn.group == "News"
    assert cnn.logo is None and cnn.tvg_id is None
    assert cnn.chno == "2"
    assert cnn.attrs == {}
    assert orphan.group is None
    assert progress and progress[-1][1] == 3


async def test_fetch_live_after_failover_uses_the_answering_server():
    routes = {"backup.example.com": panel()}
    async with client_for(routes) as http:
        xtream = XtreamClient(
            http,
            "http://main.example.com",
            USER,
            SECRET,
            backup_servers=["http://backup.example.com"],
        )
        result = await xtream.fetch_live()
    assert result.items[0].url.startswith("http://backup.example.com/live/")
    assert result.items[0].url.endswith("/101.ts")
    assert result.attempts == [
        ("http://main.example.com/player_api.php?username=bob&password=***", "connection refused")
    ]
    assert result.source == "http://backup.example.com/player_api.php"


def test_redact_url_forms():
    assert redact_url(f"http://h/get.php?username=bob&password={SECRET}&type=m3u") == (
        "http://h/get.php?username=bob&password=***&type=m3u"
    )
    assert redact_url(f"http://h/live/bob/{SECRET}/1.ts") == "http://h/live/bob/***/1.ts"
    assert redact_url(f"http://h:8080/bob/{SECRET}/1") == "http://h:8080/bob/***/1"
    assert redact_url(f"http://bob:{SECRET}@h/x.m3u") == "http://bob:***@h/x.m3u"
    assert redact_url("http://h/x.m3u?token=abc") == "http://h/x.m3u?token=***"
    assert SECRET not in redact_url(f"http://h/some/{SECRET}/path?x={SECRET}", [SECRET])
    assert SECRET not in redact_url(f"http://h/p?x=a%20{SECRET}", [SECRET])
    assert redact_url("/tmp/tv.m3u") == "/tmp/tv.m3u"


async def test_httpx_request_log_is_redacted(caplog):
    with caplog.at_level(logging.INFO, logger="httpx"):
        async with client_for({"main.example.com": panel()}) as http:
            await XtreamClient(http, "http://main.example.com", USER, SECRET).authenticate()
    assert any("player_api.php" in r.getMessage() for r in caplog.records)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
