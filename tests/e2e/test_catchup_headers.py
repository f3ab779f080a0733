"""What players get from the running product besides a URL: the headers a provider wants, the
catch-up archive, and never the provider's credentials.

A fourth provider joins the user's setup here: the fake provider's "CDN" playlist, whose streams
carry no credentials but are refused without the Referer the playlist names (``#EXTVLCOPT``), and
whose archive channels say ``catchup="append"``. It is removed again at the end of the module.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from strmline.demo.provider import CDN_USER_AGENT
from tests.e2e.conftest import Ready
from tests.e2e.harness import FFMPEG, Stack, decode_frames

_FRAME = re.compile(r"frame=\s*(\d+)")


@dataclass
class KodiEntry:
    """A playlist entry as Kodi's IPTV Simple reads it: attributes, #EXTVLCOPT, URL."""

    attrs: dict[str, str]
    url: str
    options: dict[str, str] = field(default_factory=dict)


def kodi_read(text: str) -> list[KodiEntry]:
    entries: list[KodiEntry] = []
    pending: KodiEntry | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF"):
            pending = KodiEntry(dict(re.findall(r'([\w-]+)="([^"]*)"', line)), "")
        elif line.startswith("#EXTVLCOPT:") and pending is not None:
            key, _, value = line[len("#EXTVLCOPT:") :].partition("=")
            pending.options[key] = value
        elif line and not line.startswith("#") and pending is not None:
            pending.url = line
            entries.append(pending)
            pending = None
    return entries


def kodi_catchup_url(source: str, start: int, duration: int) -> str:
    """What Kodi does with a ``catchup="default"`` source for a programme it picked."""
    return source.replace("{utc}", str(start)).replace("{duration}", str(duration))


def decode_with_options(url: str, options: dict[str, str], frames: int = 50) -> int:
    """ffmpeg as VLC would play the entry: the #EXTVLCOPT headers on every request."""
    assert FFMPEG
    args = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-stats",
            "-rw_timeout", "15000000"]  # fmt: skip
    if "http-user-agent" in options:
        args += ["-user_agent", options["http-user-agent"]]
    if "http-referrer" in options:
        args += ["-referer", options["http-referrer"]]
    args += ["-i", url, "-map", "0:v:0", "-frames:v", str(frames), "-f", "null", "-"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    decoded = max((int(n) for n in _FRAME.findall(done.stderr)), default=0)
    assert decoded >= frames, f"decoded {decoded} of {frames} from {url}:\n{done.stderr[-1500:]}"
    return decoded


@dataclass
class Cdn:
    provider_id: int
    channel_id: int  # its best stream is now the CDN one (pinned)
    stream_id: int
    stream_url: str
    archive_channel_id: int  # a channel whose best stream is the CDN one and has an archive


def _cdn_stream(stack: Stack, channel_id: int) -> dict[str, Any] | None:
    streams = stack.api("GET", f"/api/channels/{channel_id}")["streams"]
    return next((s for s in streams if "/cdn/" in s["url"]), None)


@pytest.fixture(scope="module")
def cdn(ready: Ready) -> Iterator[Cdn]:
    stack = ready.stack
    fp = stack.provider
    spec = {"name": "acme cdn", "kind": "m3u", "url": f"{fp.url}/playlist/acme.m3u?cdn=1"}
    pid = stack.api("POST", "/api/providers", json=spec)["id"]
    pinned: list[int] = []
    try:
        stack.run_job(f"/api/providers/{pid}/sync")
        channels = stack.api("GET", "/api/channels", params={"provider_id": pid, "limit": 500})
        archive = archive_ids(fp.url, fp.accounts["acme"])
        chosen: dict[str, tuple[int, dict[str, Any]]] = {}
        for channel in channels["items"]:
            stream = _cdn_stream(stack, channel["id"])
            if stream is None:
                continue
            stream_id = int(urlsplit(stream["url"]).path.rsplit("/", 1)[-1].split(".")[0])
            kind = "archive" if stream_id in archive else "plain"
            chosen.setdefault(kind, (channel["id"], stream))
            if len(chosen) == 2:
                break
        assert set(chosen) == {"plain", "archive"}, chosen
        for _, stream in chosen.values():
            stack.api("POST", f"/api/streams/{stream['id']}/pin", json={"rank": 1})
            pinned.append(stream["id"])
        plain_id, plain = chosen["plain"]
        yield Cdn(pid, plain_id, plain["id"], plain["url"], chosen["archive"][0])
    finally:
        for sid in pinned:
            stack.api("POST", f"/api/streams/{sid}/pin", json={"rank": None})
        stack.http.delete(f"/api/providers/{pid}")
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})


def archive_ids(url: str, password: str) -> set[int]:
    """The fake provider's acme channels with an archive, as its Xtream API lists them."""
    r = httpx.get(
        f"{url}/player_api.php",
        params={"username": "acme", "password": password, "action": "get_live_streams"},
        timeout=30,
    )
    r.raise_for_status()
    return {int(s["stream_id"]) for s in r.json() if str(s.get("tv_archive")) == "1"}


def _m3u(stack: Stack) -> dict[int, KodiEntry]:
    r = stack.http.get("/output/m3u", params={"token": stack.token})
    assert r.status_code == 200, r.text[:300]
    return {int(urlsplit(e.url).path.rstrip("/").split("/")[-1]): e for e in kodi_read(r.text)}


def _no_redirect(url: str) -> httpx.Response:
    """The first answer to a GET, without following it and without reading an endless body."""
    with httpx.stream("GET", url, follow_redirects=False, timeout=30) as r:
        if r.status_code == 200:
            first = next(r.iter_bytes(), b"")
            assert first[:1] == b"\x47", first[:32]  # MPEG-TS sync byte
        else:
            r.read()
        return r


def test_header_protected_stream_in_redirect_mode(ready: Ready, cdn: Cdn) -> None:
    stack = ready.stack
    entry = _m3u(stack)[cdn.channel_id]
    referer = f"{stack.provider.url}/"
    assert entry.options == {"http-user-agent": CDN_USER_AGENT, "http-referrer": referer}
    # Redirected (no credentials in the URL), and the provider refuses a player without them.
    r = _no_redirect(entry.url)
    assert r.status_code == 302 and r.headers["location"] == cdn.stream_url
    assert httpx.get(cdn.stream_url, timeout=10).status_code == 403
    decode_with_options(entry.url, entry.options)


def test_kodi_reads_catchup_and_plays_an_archive(ready: Ready, cdn: Cdn) -> None:
    stack = ready.stack
    entries = _m3u(stack)
    catchup = {cid: e for cid, e in entries.items() if "catchup" in e.attrs}
    assert catchup, "archive channels carry catch-up attributes"
    for e in catchup.values():
        assert e.attrs["catchup"] == "default" and int(e.attrs["catchup-days"]) >= 1
        source = e.attrs["catchup-source"]
        assert source.startswith(f"{stack.url}/play/") and "{utc}" in source, source
        assert "{duration}" in source and stack.token in source

    start, duration = int(time.time()) - 3600, 1800
    # The CDN archive (catchup="append" at the provider): redirected with the programme's start.
    archive = entries[cdn.archive_channel_id]
    url = kodi_catchup_url(archive.attrs["catchup-source"], start, duration)
    r = _no_redirect(url)
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    assert "/cdn/acme/" in location and f"utc={start}" in location
    decode_with_options(url, archive.options)

    # An archive channel whose best stream is the acme account's Xtream one (pinned first, as a
    # user would): its catch-up is proxied, and the account stays with strmline.
    acme_xtream = ready.providers["acme xtream hls"]
    pinned = None
    for cid in catchup:
        if cid == cdn.archive_channel_id:
            continue
        streams = stack.api("GET", f"/api/channels/{cid}")["streams"]
        pinned = next((s["id"] for s in streams if s["provider_id"] == acme_xtream), None)
        if pinned is not None:
            break
    assert pinned is not None, "an archive channel with a stream of the acme Xtream account"
    stack.api("POST", f"/api/streams/{pinned}/pin", json={"rank": 1})
    try:
        _play_xtream_archive(stack, catchup[cid].attrs["catchup-source"], start, duration)
    finally:
        stack.api("POST", f"/api/streams/{pinned}/pin", json={"rank": None})


def _play_xtream_archive(stack: Stack, source: str, start: int, duration: int) -> None:
    url = kodi_catchup_url(source, start, duration)
    r = _no_redirect(url)
    assert r.status_code == 200 and "location" not in r.headers
    decode_frames(url)
    # Where it reads from, shown by redirecting once the user allows credentials in URLs.
    stack.api("PATCH", "/api/settings", json={"playback": {"redirect_credentials": True}})
    try:
        location = _no_redirect(url).headers["location"]
    finally:
        stack.api("PATCH", "/api/settings", json={"playback": {"redirect_credentials": False}})
    stamp = time.strftime("%Y-%m-%d:%H-%M", time.gmtime(start))
    assert re.search(rf"/timeshift/acme/[^/]+/30/{stamp}/\d+\.ts$", location), location


def test_xtream_streams_are_proxied_by_default(ready: Ready) -> None:
    stack = ready.stack
    passwords = list(stack.provider.accounts.values())
    xtream = ready.providers["globex xtream ts"]
    channel = stack.api("GET", "/api/channels", params={"provider_id": xtream, "limit": 20})
    checked = 0
    for item in channel["items"]:
        streams = stack.api("GET", f"/api/channels/{item['id']}")["streams"]
        if not streams or "/live/" not in streams[0]["url"]:
            continue
        for path in (f"/play/{item['id']}", f"/play/stream/{streams[0]['id']}"):
            r = _no_redirect(f"{stack.url}{path}?token={stack.token}")
            assert r.status_code == 200, (path, r.status_code)
            location = r.headers.get("location", "")
            assert not any(pw in location for pw in passwords)
        checked += 1
        if checked == 2:
            break
    assert checked, "a channel whose best stream is an Xtream stream"


def test_play_stream_honours_proxy_mode(ready: Ready, cdn: Cdn) -> None:
    stack = ready.stack
    url = f"{stack.url}/play/stream/{cdn.stream_id}?token={stack.token}"
    assert _no_redirect(url).status_code == 302  # redirect mode: the provider's URL
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    try:
        r = _no_redirect(url)
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp2t"
        # The player sends nothing: strmline sends the Referer the stream needs.
        decode_frames(url)
    finally:
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})


def test_proxy_fails_over_from_a_referer_protected_stream(ready: Ready, cdn: Cdn) -> None:
    """The CDN stream (403 without its Referer) is first: strmline sends the Referer, plays it,
    and when it dies mid-stream the same player keeps decoding from the next stream."""
    stack = ready.stack
    stack.wait_no_viewers()  # earlier players would hold the provider's connections
    parts = urlsplit(cdn.stream_url).path.strip("/").split("/")  # cdn/<account>/<id>.ts
    account, fake_id = parts[1], int(parts[-1].split(".")[0])
    # A TS response in progress ignores new faults: this one ends after ~5 s of media.
    stack.provider.control(
        "stream-fault",
        {"stream_id": fake_id, "account": account, "kind": "die_after",
         "after_bytes": 600_000, "times": 1},
    )  # fmt: skip
    stack.api("PATCH", "/api/settings", json={"playback": {"mode": "proxy"}})
    url = f"{stack.url}/play/{cdn.channel_id}?token={stack.token}"

    def viewer() -> dict[str, Any] | None:
        items = stack.api("GET", "/api/streams/active")["items"]
        return next((v for v in items if v["channel_id"] == cdn.channel_id), None)

    try:
        with ThreadPoolExecutor(1) as pool:
            decoding = pool.submit(decode_frames, url, frames=400, timeout=120)
            first = stack.wait_for("the viewer on the CDN stream", viewer, timeout=30)
            assert first["stream_id"] == cdn.stream_id, first
            switched = stack.wait_for(
                "the switch off the dying CDN stream",
                # Counted when the stream fails; the next one is current once it plays.
                lambda: (
                    (v := viewer())
                    and v["switches"] >= 1
                    and v["stream_id"] not in (None, cdn.stream_id)
                    and v
                ),
                timeout=60,
            )
            assert switched["stream_id"] is not None, switched
            assert decoding.result(timeout=150) >= 400
    finally:
        stack.provider.control("clear", {})
        stack.api("PATCH", "/api/settings", json={"playback": {"mode": "redirect"}})
