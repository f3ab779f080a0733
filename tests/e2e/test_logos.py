"""Logos through a real ``strmline serve``: the channel list hands out /logo URLs, and a client
with no session (a player reading the M3U, an <img> tag) gets the fake provider's logo, fetched
once into ``<data dir>/logos/``, while a forged key gets nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
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


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, fake_provider_proc: FakeProviderProc
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("e2e-logos")
    data_dir = workdir / "data"
    env = clean_env(STRMLINE_DATA_DIR=str(data_dir))
    run_cli(["db", "upgrade"], env=env, cwd=workdir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    st = Stack("embedded", url, workdir, data_dir, env, fake_provider_proc)
    try:
        server = start("serve", [*STRMLINE, "serve", "--host", "127.0.0.1", "--port", str(port)],
                       env=env, cwd=workdir)  # fmt: skip
        st.procs.append(server)
        wait_http(f"{url}/api/health", server)
        yield st
    finally:
        st.close()


def test_a_player_gets_cached_logos_without_a_session(served: Stack) -> None:
    _login(served)
    fp = served.provider
    provider = served.api(
        "POST",
        "/api/providers",
        json={"name": "acme", "kind": "m3u", "url": f"{fp.url}/playlist/acme.m3u"},
    )
    job = served.run_job(f"/api/providers/{provider['id']}/sync")
    assert job["state"] == "succeeded", job
    items = served.api("GET", "/api/channels", params={"limit": 500})["items"]
    with_logo = [c for c in items if c["logo_proxy"]]
    assert with_logo, "the fake provider's playlist has logos"
    channel = with_logo[0]
    assert channel["logo"].startswith(fp.url)  # the provider's URL is kept as it came

    with httpx.Client(base_url=served.url, timeout=30) as player:  # no Authorization header
        r = player.get(channel["logo_proxy"])
        assert r.status_code == 200, r.text[:200]
        assert r.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(r.content)) as image:
            image.verify()
        key = urlsplit(channel["logo_proxy"]).path.rsplit("/", 1)[1]
        assert (served.data_dir / "logos" / f"{key}.png").read_bytes() == r.content
        again = player.get(channel["logo_proxy"], headers={"If-None-Match": r.headers["etag"]})
        assert again.status_code == 304
        forged = player.get(f"/logo/{'0' * 32}", params={"src": channel["logo"]})
        assert forged.status_code == 404
