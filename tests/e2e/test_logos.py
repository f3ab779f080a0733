"""Logos through a real ``strmline serve``: the channel list, the guide grid and the players'
outputs hand out /logo URLs, and a client with no session (a player reading the M3U, an <img>
tag) gets the fake provider's logo, fetched once into ``<data dir>/logos/``, while a forged key
gets nothing. The cache is kept within its limits from the start."""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image

from tests.e2e.conftest import _login
from tests.e2e.harness import (
    STRMLINE,
    FakeProviderProc,
    Stack,
    clean_env,
    free_port,
    run_cli,
    start,
    wait_http,
)

DAY = 86400


def _left_in_cache(logos: Path) -> dict[str, Path]:
    """What a previous run left in the cache, seeded before the server starts: a logo past the
    default 30 days, a recent one, a stale failure marker and a killed write."""
    logos.mkdir(parents=True)
    now = time.time()
    files = {
        "expired": (logos / f"{'a' * 32}.png", 60 * DAY),
        "recent": (logos / f"{'b' * 32}.png", DAY),
        "stale miss": (logos / f"{'c' * 32}.miss", 3600),
        "killed write": (logos / f"{'d' * 32}.png.99999.tmp", 2 * 3600),
    }
    for path, age in files.values():
        path.write_bytes(b"\x89PNG" + b"\0" * 100)
        os.utime(path, (now - age, now - age))
    return {name: path for name, (path, _) in files.items()}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, fake_provider_proc: FakeProviderProc
) -> Iterator[tuple[Stack, dict[str, Path]]]:
    workdir = tmp_path_factory.mktemp("e2e-logos")
    data_dir = workdir / "data"
    env = clean_env(STRMLINE_DATA_DIR=str(data_dir))
    run_cli(["db", "upgrade"], env=env, cwd=workdir)
    left = _left_in_cache(data_dir / "logos")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    st = Stack("embedded", url, workdir, data_dir, env, fake_provider_proc)
    try:
        server = start("serve", [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)],
                       env=env, cwd=workdir)  # fmt: skip
        st.procs.append(server)
        wait_http(f"{url}/api/health", server)
        yield st, left
    finally:
        st.close()


@pytest.fixture(scope="module")
def channels(served: tuple[Stack, dict[str, Path]]) -> list[dict[str, Any]]:
    """The fake provider's playlist synced; its channels as the API lists them."""
    stack, _ = served
    _login(stack)
    fp = stack.provider
    provider = stack.api(
        "POST",
        "/api/providers",
        json={"name": "acme", "kind": "m3u", "url": f"{fp.url}/playlist/acme.m3u"},
    )
    job = stack.run_job(f"/api/providers/{provider['id']}/sync")
    assert job["state"] == "succeeded", job
    items: list[dict[str, Any]] = stack.api("GET", "/api/channels", params={"limit": 500})["items"]
    return items


def test_the_start_prunes_what_a_previous_run_left(served: tuple[Stack, dict[str, Path]]) -> None:
    stack, left = served
    assert left["recent"].exists()
    gone = [name for name in ("expired", "stale miss", "killed write") if not left[name].exists()]
    assert gone == ["expired", "stale miss", "killed write"], stack.logs()


def test_a_player_gets_cached_logos_without_a_session(
    served: tuple[Stack, dict[str, Path]], channels: list[dict[str, Any]]
) -> None:
    stack, _ = served
    with_logo = [c for c in channels if c["logo_proxy"]]
    assert with_logo, "the fake provider's playlist has logos"
    channel = with_logo[0]
    assert channel["logo"].startswith(stack.provider.url)  # the provider's URL is kept as it came

    with httpx.Client(base_url=stack.url, timeout=30) as player:  # no Authorization header
        r = player.get(channel["logo_proxy"])
        assert r.status_code == 200, r.text[:200]
        assert r.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(r.content)) as image:
            image.verify()
        key = urlsplit(channel["logo_proxy"]).path.rsplit("/", 1)[1]
        assert (stack.data_dir / "logos" / f"{key}.png").read_bytes() == r.content
        again = player.get(channel["logo_proxy"], headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        forged = player.get(f"/logo/{'0' * 32}", params={"src": channel["logo"]})
        assert forged.status_code == 404


def _m3u_logos(text: str) -> dict[int, str]:
    """Channel id (from its /play URL) → tvg-logo, for the entries that have one."""
    logos: dict[int, str] = {}
    logo: str | None = None
    for line in text.splitlines():
        if line.startswith("#EXTINF"):
            found = re.search(r'tvg-logo="([^"]+)"', line)
            logo = found.group(1) if found else None
        elif line and not line.startswith("#"):
            played = re.search(r"/play/(\d+)\?", line)
            if played and logo:
                logos[int(played.group(1))] = logo
            logo = None
    return logos


def test_playlists_and_the_guide_hand_out_the_cache(
    served: tuple[Stack, dict[str, Path]], channels: list[dict[str, Any]]
) -> None:
    stack, _ = served
    proxied = {c["id"]: c["logo_proxy"] for c in channels if c["logo_proxy"]}
    with httpx.Client(base_url=stack.url, timeout=60) as player:  # a player: no session
        playlist = player.get("/output/m3u", params={"token": stack.token})
        assert playlist.status_code == 200
        logos = _m3u_logos(playlist.text)
        assert logos and set(logos) <= set(proxied)
        # Absolute, on this server, the same signed URL the channel list gives the UI.
        assert logos == {cid: stack.url + proxied[cid] for cid in logos}
        cid, url = max(logos.items())
        r = player.get(url)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text[:200]
        with Image.open(io.BytesIO(r.content)) as image:
            assert image.format == "PNG" and max(image.size) <= 256
            image.load()

        account = stack.api("GET", "/api/auth/xtream")
        live = player.get(
            "/player_api.php",
            params={
                "username": account["username"],
                "password": account["password"],
                "action": "get_live_streams",
            },
        ).json()
        icons = {s["stream_id"]: s["stream_icon"] for s in live if s["stream_icon"]}
        assert icons == logos

    grid = stack.api("GET", "/api/epg/guide", params={"limit": 500})["items"]
    by_id = {g["channel_id"]: g for g in grid}
    assert by_id[cid]["logo_proxy"] == proxied[cid]
    assert all(g["logo_proxy"] is None for g in grid if not g["logo"])
