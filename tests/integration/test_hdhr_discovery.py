"""HDHomeRun discovery and SSDP answered by the running app, over real UDP sockets.

Every datagram is unicast to 127.0.0.1 and every socket binds 127.0.0.1 on a free port (the
``hdhomerun_config`` test needs 65001, which libhdhomerun always targets: skipped when taken).
Nothing here sends multicast or broadcast.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import socket
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import insert

from strmline.api.app import create_app
from strmline.api.discovery import DiscoveryService
from strmline.config import DiscoverySettings, Settings
from strmline.db.engine import session_scope
from strmline.db.models import Channel, Provider, Stream
from strmline.formats import hdhr
from strmline.formats import hdhr_discovery as d
from strmline.formats.m3u import parse_lines
from strmline.services import users as user_service

SECRET = "discovery-test-secret-" + "x" * 32
HTTP_PORT = 8123
HDHOMERUN_CONFIG = shutil.which("hdhomerun_config")
SILENCE = 0.4  # how long "no answer" is waited for


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_settings(
    url: str, tmp_path: Path, *, base_url: str | None = None, **discovery: Any
) -> Settings:
    opts: dict[str, Any] = {
        "enabled": True,
        "bind": "127.0.0.1",
        "hdhr_port": free_udp_port(),
        "ssdp_port": free_udp_port(),
        "http_port": HTTP_PORT,
        **discovery,
    }
    extra: dict[str, Any] = {"base_url": base_url} if base_url else {}
    return Settings(
        data_dir=tmp_path,
        database_url=url,
        secret_key=SECRET,
        discovery=DiscoverySettings(**opts),
        **extra,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings, scheduler=False, migrate=False)
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def add_users(app: FastAPI) -> dict[str, tuple[int, str]]:
    """An admin and a plain user: name → (id, API token)."""
    out = {}
    async with session_scope(app.state.session_factory) as s:
        for name, role in (("boss", "admin"), ("kids", "user")):
            user = await user_service.create(
                session=s, username=name, password="long enough password", role=role
            )
            out[name] = (user.id, user.api_token)
    return out


async def add_channels(app: FastAPI) -> None:
    async with session_scope(app.state.session_factory) as s:
        (pid,) = (
            await s.execute(
                insert(Provider).returning(Provider.id),
                [
                    {
                        "name": "P",
                        "kind": "m3u",
                        "url": "http://p.example/x.m3u",
                        "max_connections": 3,
                    }
                ],
            )
        ).scalars()
        names = ["News & Weather", 'Say "Hi"', "Sports"]
        await s.execute(
            insert(Channel),
            [
                {
                    "id": i,
                    "name": name,
                    "search_name": name.lower(),
                    "match_key": name.lower(),
                    "number": float(i),
                    "stream_count": 1,
                    "active_stream_count": 1,
                }
                for i, name in enumerate(names, start=1)
            ],
        )
        await s.execute(
            insert(Stream),
            [
                {
                    "id": i,
                    "provider_id": pid,
                    "channel_id": i,
                    "provider_key": f"k{i}",
                    "name": f"s{i}",
                    "url": f"http://streams.example/{i}.ts",
                    "content_hash": "x",
                    "rank": 1,
                }
                for i in range(1, 4)
            ],
        )


class Client:
    """A UDP socket on 127.0.0.1 that sends unicast datagrams and collects answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)

    async def ask(
        self, port: int, data: bytes, *, wait: float = 2.0, count: int = 1
    ) -> list[bytes]:
        loop = asyncio.get_running_loop()
        await loop.sock_sendto(self.sock, data, ("127.0.0.1", port))
        return await self.collect(wait=wait, count=count)

    async def collect(self, *, wait: float, count: int) -> list[bytes]:
        loop = asyncio.get_running_loop()
        answers: list[bytes] = []
        deadline = loop.time() + wait
        while len(answers) < count:
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    data, _ = await loop.sock_recvfrom(self.sock, 4096)
            except TimeoutError:
                break
            answers.append(data)
        return answers

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
async def udp() -> AsyncIterator[Client]:
    client = Client()
    try:
        yield client
    finally:
        client.close()


def headers(message: bytes) -> dict[str, str]:
    lines = message.decode().split("\r\n")[1:]
    return {k.upper(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}


# --- SiliconDust discovery ---------------------------------------------------------------------


async def test_discover_reply_matches_discover_json(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client
) -> None:
    settings = make_settings(migrated_url, tmp_path)
    async with running(settings) as app, http(app) as client:
        users = await add_users(app)
        await add_channels(app)
        admin_id, token = users["boss"]
        port = settings.discovery.hdhr_port
        assert app.state.discovery.hdhr_address == ("127.0.0.1", port)

        [raw] = await udp.ask(port, d.discover_request((d.DEVICE_TYPE_WILDCARD,)))
        reply = d.parse_discover_reply(raw)
        doc = (await client.get(f"/hdhr/{token}/discover.json")).json()
        assert f"{reply.device_id:08X}" == doc["DeviceID"] == hdhr.device_id(SECRET, admin_id)
        assert reply.device_type == d.DEVICE_TYPE_TUNER
        assert reply.tuner_count == doc["TunerCount"] == 3  # the provider's connections
        assert reply.device_auth == doc["DeviceAuth"]
        # The address the request reached, the configured HTTP port, the admin's token.
        base = f"http://127.0.0.1:{HTTP_PORT}/hdhr/{token}"
        assert reply.base_url == base and reply.lineup_url == f"{base}/lineup.json"
        path = reply.lineup_url.removeprefix(f"http://127.0.0.1:{HTTP_PORT}")
        lineup = (await client.get(path)).json()
        assert [x["GuideName"] for x in lineup] == ["News & Weather", 'Say "Hi"', "Sports"]

        # Asked for by its own id, and for tuners only: the same answer.
        by_id = d.discover_request((d.DEVICE_TYPE_TUNER,), reply.device_id)
        assert [d.parse_discover_reply(r) for r in await udp.ask(port, by_id)] == [reply]


async def test_what_gets_no_answer(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client
) -> None:
    settings = make_settings(migrated_url, tmp_path)
    async with running(settings) as app:
        port = settings.discovery.hdhr_port
        wildcard = d.discover_request((d.DEVICE_TYPE_TUNER,))
        # No admin yet: nothing to announce.
        assert await udp.ask(port, wildcard, wait=SILENCE) == []
        await add_users(app)
        app.state.discovery._tuner = None  # forget the cached "nobody"

        bad_crc = wildcard[:-1] + bytes([wildcard[-1] ^ 0xFF])
        for packet in (
            bad_crc,
            wildcard[:-2],
            d.discover_request((d.DEVICE_TYPE_TUNER,), 0x10100000),  # another device's id
            d.discover_request((0x05,)),  # storage devices
            d.frame(0x0004, d.encode_tlvs([(0x03, b"/sys/model\x00")])),  # get/set
            d.frame(d.TYPE_DISCOVER_REPLY, b""),
            b"M-SEARCH * HTTP/1.1\r\n\r\n",
        ):
            assert await udp.ask(port, packet, wait=SILENCE) == [], packet.hex()
        # Still answering.
        assert len(await udp.ask(port, wildcard)) == 1


async def test_announced_user_and_configured_base_url(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client
) -> None:
    settings = make_settings(
        migrated_url, tmp_path, base_url="https://tv.example.net/strmline", user="kids"
    )
    async with running(settings) as app:
        users = await add_users(app)
        kids_id, token = users["kids"]
        port = settings.discovery.hdhr_port
        [raw] = await udp.ask(port, d.discover_request())
        reply = d.parse_discover_reply(raw)
        assert f"{reply.device_id:08X}" == hdhr.device_id(SECRET, kids_id)
        assert reply.base_url == f"https://tv.example.net/strmline/hdhr/{token}"

        # A user that does not exist: no tuner announced.
        settings.discovery.user = "nobody"
        app.state.discovery._tuner = None
        assert await udp.ask(port, d.discover_request(), wait=SILENCE) == []


async def test_disabled_binds_nothing(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client
) -> None:
    settings = make_settings(migrated_url, tmp_path, enabled=False)
    async with running(settings) as app:
        assert app.state.discovery is None
        await add_users(app)
        # The port is still free: nothing of ours listens on it.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", settings.discovery.hdhr_port))


async def test_a_taken_port_is_logged_and_the_app_starts(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(migrated_url, tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", settings.discovery.hdhr_port))
        with caplog.at_level(logging.WARNING, logger="strmline.api.discovery"):
            async with running(settings) as app, http(app) as client:
                assert app.state.discovery.hdhr_address is None
                assert app.state.discovery.ssdp_address is not None
                assert (await client.get("/api/health")).status_code == 200
    assert "cannot listen on UDP" in caplog.text


# --- SSDP ------------------------------------------------------------------------------------


async def test_ssdp_search_answers_point_at_device_xml(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client
) -> None:
    settings = make_settings(migrated_url, tmp_path)
    async with running(settings) as app, http(app) as client:
        users = await add_users(app)
        admin_id, token = users["boss"]
        port = settings.discovery.ssdp_port
        udn = hdhr.device_udn(SECRET, admin_id)

        answers = await udp.ask(port, d.msearch(d.SSDP_ALL, mx=None), count=3)
        assert len(answers) == 3
        found = {headers(a)["ST"]: headers(a) for a in answers}
        assert set(found) == {d.ROOT_DEVICE, udn, d.MEDIA_SERVER}
        location = f"http://127.0.0.1:{HTTP_PORT}/hdhr/{token}/device.xml"
        for st, h in found.items():
            assert h["LOCATION"] == location and h["CACHE-CONTROL"] == "max-age=1800"
            assert h["USN"] == (udn if st == udn else f"{udn}::{st}")
            assert "UPnP/1.0" in h["SERVER"]
        # The description the location names has the same UDN.
        xml = await client.get(location.removeprefix(f"http://127.0.0.1:{HTTP_PORT}"))
        ns = {"u": "urn:schemas-upnp-org:device-1-0"}
        assert ET.fromstring(xml.text).findtext("u:device/u:UDN", namespaces=ns) == udn

        # One target, answered within the (capped) MX delay.
        [answer] = await udp.ask(port, d.msearch(d.ROOT_DEVICE, mx=3), wait=2.5)
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and headers(answer)["ST"] == d.ROOT_DEVICE
        for other in ("urn:schemas-upnp-org:device:MediaRenderer:1", "uuid:someone-else"):
            assert await udp.ask(port, d.msearch(other, mx=None), wait=SILENCE) == []
        notify = d.notify(target=d.ROOT_DEVICE, udn="uuid:x", location="http://x/", server="s")
        assert await udp.ask(port, notify, wait=SILENCE) == []


async def test_ssdp_notify_goes_to_its_target(
    migrated_url: str, engine: Any, tmp_path: Path, udp: Client
) -> None:
    # Announcements are multicast in production; here the target is this test's socket.
    settings = make_settings(migrated_url, tmp_path, ssdp_notify=True)
    async with running(make_settings(migrated_url, tmp_path, enabled=False)) as app:
        users = await add_users(app)
        udn = hdhr.device_udn(SECRET, users["boss"][0])
        target = udp.sock.getsockname()
        service = DiscoveryService(settings, app.state.session_factory, notify_target=target)
        await service.start()
        try:
            alive = await udp.collect(wait=3.0, count=3)
        finally:
            await service.close()
        byebye = await udp.collect(wait=3.0, count=3)
    assert {headers(m)["NT"] for m in alive} == {d.ROOT_DEVICE, udn, d.MEDIA_SERVER}
    assert all(m.startswith(b"NOTIFY * HTTP/1.1") for m in alive + byebye)
    assert {headers(m)["NTS"] for m in alive} == {"ssdp:alive"}
    assert {headers(m)["NTS"] for m in byebye} == {"ssdp:byebye"} and len(byebye) == 3
    assert all(headers(m)["LOCATION"].endswith("/device.xml") for m in alive)


# --- the tuner at the server root --------------------------------------------------------------


async def test_root_tuner(migrated_url: str, engine: Any, tmp_path: Path) -> None:
    settings = make_settings(migrated_url, tmp_path, enabled=False, root_tuner=True)
    async with running(settings) as app, http(app) as client:
        # No admin yet: the JSON 404 every unknown path gets.
        r = await client.get("/discover.json")
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
        users = await add_users(app)
        await add_channels(app)
        admin_id, token = users["boss"]

        root = (await client.get("/discover.json")).json()
        by_token = (await client.get(f"/hdhr/{token}/discover.json")).json()
        assert root["DeviceID"] == by_token["DeviceID"] == hdhr.device_id(SECRET, admin_id)
        assert root["BaseURL"] == "http://test" and root["LineupURL"] == "http://test/lineup.json"
        lineup = (await client.get("/lineup.json")).json()
        assert lineup == (await client.get(f"/hdhr/{token}/lineup.json")).json()
        assert all(f"token={token}" in x["URL"] for x in lineup)
        assert (await client.get("/lineup_status.json")).json()["ScanInProgress"] == 0
        assert (await client.post("/lineup.post", params={"scan": "start"})).status_code == 200
        head = await client.head("/discover.json")
        assert head.status_code == 200 and head.content == b""
        xml = (await client.get("/device.xml")).text
        assert "<URLBase>http://test</URLBase>" in xml

        # lineup.xml and lineup.m3u: the same entries as lineup.json, in the same order.
        expected = [(x["GuideNumber"], x["GuideName"], x["URL"]) for x in lineup]
        for path in ("/lineup.xml", f"/hdhr/{token}/lineup.xml"):
            r = await client.get(path)
            assert r.headers["content-type"].startswith("application/xml")
            programs = ET.fromstring(r.text).findall("Program")
            got = [
                (p.findtext("GuideNumber"), p.findtext("GuideName"), p.findtext("URL"))
                for p in programs
            ]
            assert got == expected
        for path in ("/lineup.m3u", f"/hdhr/{token}/lineup.m3u"):
            r = await client.get(path)
            assert r.headers["content-type"].startswith("audio/x-mpegurl")
            entries = list(parse_lines(r.text.splitlines()))
            got = [(e.attrs["channel-number"], e.name, e.url) for e in entries]
            assert got == expected

        # discovery.user names who is served; an unknown user: 404 again.
        settings.discovery.user = "kids"
        kids = (await client.get("/discover.json")).json()
        assert kids["DeviceID"] == hdhr.device_id(SECRET, users["kids"][0])
        settings.discovery.user = "nobody"
        assert (await client.get("/lineup.json")).status_code == 404


async def test_root_paths_stay_404_without_the_root_tuner(
    migrated_url: str, engine: Any, tmp_path: Path
) -> None:
    settings = make_settings(migrated_url, tmp_path, enabled=False)
    async with running(settings) as app, http(app) as client:
        await add_users(app)
        for path in ("/discover.json", "/lineup.json", "/lineup.xml", "/lineup.m3u", "/device.xml"):
            r = await client.get(path)
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", path


# --- libhdhomerun's own client -------------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(
    HDHOMERUN_CONFIG is None,
    reason="hdhomerun_config not installed (Debian package hdhomerun-config)",
)
async def test_hdhomerun_config_discover_finds_strmline(
    migrated_url: str, engine: Any, tmp_path: Path
) -> None:
    # libhdhomerun always sends to port 65001; a targeted discover is one unicast datagram.
    if not _port_free(d.DISCOVER_PORT):
        pytest.skip("UDP 127.0.0.1:65001 is taken on this machine")
    settings = make_settings(migrated_url, tmp_path, hdhr_port=d.DISCOVER_PORT)
    async with running(settings) as app:
        users = await add_users(app)
        device_id = hdhr.device_id(SECRET, users["boss"][0])
        assert HDHOMERUN_CONFIG is not None
        proc = await asyncio.create_subprocess_exec(
            HDHOMERUN_CONFIG,
            "discover",
            "127.0.0.1",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        async with asyncio.timeout(30):
            out, _ = await proc.communicate()
    text = out.decode()
    assert re.search(rf"hdhomerun device {device_id} found at 127\.0\.0\.1", text), text


# --- helpers of the responders ---------------------------------------------------------------


def test_only_lan_peers_are_answered() -> None:
    from strmline.api.discovery import lan_peer

    for host in ("127.0.0.1", "192.168.1.9", "10.1.2.3", "172.16.0.5", "169.254.3.4", "100.64.1.1",
                 "fe80::1%eth0", "fd00::5", "::1", "::ffff:192.168.1.9"):  # fmt: skip
        assert lan_peer(host), host
    for host in ("8.8.8.8", "2001:4860::8888", "::ffff:8.8.8.8", "not an address"):
        assert not lan_peer(host), host


def test_announced_server_base(tmp_path: Path) -> None:
    from strmline.api.discovery import local_address, server_base

    settings = Settings(data_dir=tmp_path)
    assert server_base(settings, "192.168.1.20") == "http://192.168.1.20:8000"
    settings.discovery.http_port = 9000
    assert server_base(settings, "fd00::2") == "http://[fd00::2]:9000"
    settings.base_url = "https://tv.example.net/x"  # set: used as it is
    assert server_base(settings, "192.168.1.20") == "https://tv.example.net/x"
    assert local_address("192.168.1.9", "10.0.0.2") == "10.0.0.2"  # a bound address wins
    assert local_address("127.0.0.1", "0.0.0.0") == "127.0.0.1"
