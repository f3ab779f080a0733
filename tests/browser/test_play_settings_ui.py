"""A provider's play mode and stream profile, and a channel's own stream profile, set in the web
UI in Chromium against the real server, and what a viewer does not see of them.

One server for the module, started with a PATH that holds only a stand-in ``ffmpeg`` (never run:
nothing is played), so which command profiles can run is known: the ffmpeg ones can, streamlink
cannot.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import (
    VIEWER,
    LiveServer,
    add_synced_provider,
    admin_tokens,
    expect,
    log_in_page,
)

pytestmark = pytest.mark.browser


def _start_with_path(server_factory: Any, bin_dir: Path) -> LiveServer:
    # The server copies the environment when it starts; only its PATH differs from this one.
    before = os.environ.get("PATH")
    os.environ["PATH"] = str(bin_dir)
    try:
        live: LiveServer = server_factory("play-settings", None)
    finally:
        if before is None:
            del os.environ["PATH"]
        else:
            os.environ["PATH"] = before
    return live


@pytest.fixture(scope="module")
def server(
    server_factory: Any, fake_provider_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> LiveServer:
    fake_provider_server.reset()
    bin_dir = tmp_path_factory.mktemp("bin")
    (bin_dir / "ffmpeg").write_text("#!/bin/sh\nexit 1\n")
    (bin_dir / "ffmpeg").chmod(0o755)
    live = _start_with_path(server_factory, bin_dir)
    token = admin_tokens(live)["access_token"]
    add_synced_provider(live, token, fake_provider_server.url)
    live.api("POST", "/api/users", token, json=VIEWER | {"role": "user"}).raise_for_status()
    return live


def _token(server: LiveServer) -> str:
    return str(admin_tokens(server)["access_token"])


def _provider(server: LiveServer, name: str) -> dict[str, Any]:
    items = server.api("GET", "/api/providers", _token(server)).json()["items"]
    found = next(p for p in items if p["name"] == name)
    # The single read, not only the (cached) list, says the same.
    one: dict[str, Any] = server.api("GET", f"/api/providers/{found['id']}", _token(server)).json()
    return one


def _card(page: Any, name: str) -> Any:
    return page.get_by_role("article").filter(has=page.get_by_role("heading", name=name))


def _playback(dialog: Any) -> Any:
    """The form's Playback section, opened."""
    summary = dialog.locator("summary").filter(has_text="Playback")
    summary.click()
    expect(dialog.get_by_label("Play mode")).to_be_visible()
    return summary


def test_provider_play_mode_and_profile(
    page: Any, server: LiveServer, fake_provider_server: Any
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in_page(page, server, admin_tokens(server))
    page.goto(server.url + "/providers")

    # A new provider, added with its playback chosen.
    page.get_by_role("button", name="Add provider", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Xtream Codes").click()
    dialog.get_by_label("Name", exact=True).fill("Globex")
    dialog.get_by_label("Server URL").fill(fake_provider_server.url)
    dialog.get_by_label("Username").fill("globex")
    dialog.get_by_label("Password").fill("hunter2")
    _playback(dialog)
    profile = dialog.get_by_label("Stream profile")
    expect(profile).to_have_value("")
    expect(profile.locator("option", has_text="Default (from settings)")).to_have_count(1)
    # The server has no streamlink: offered, explained, not choosable.
    expect(
        profile.locator("option", has_text="streamlink (streamlink not installed)")
    ).to_be_disabled()
    expect(profile.locator("option", has_text="ffmpeg-remux: through ffmpeg")).to_be_enabled()
    dialog.get_by_label("Play mode").select_option("proxy")
    profile.select_option("ffmpeg-remux")
    expect(dialog.get_by_text("read by the ffmpeg-remux profile (ffmpeg)")).to_be_visible()
    dialog.get_by_role("button", name="Add provider").click()
    expect(dialog).to_be_hidden()
    globex = _provider(server, "Globex")
    assert (globex["play_mode"], globex["stream_profile"]) == ("proxy", "ffmpeg-remux")
    globex_card = _card(page, "Globex")
    expect(globex_card.get_by_text("Through strmline", exact=True)).to_be_visible()
    expect(globex_card.get_by_text("Profile: ffmpeg-remux", exact=True)).to_be_visible()
    # A provider that plays the default way carries no mark.
    expect(
        _card(page, "Acme").get_by_text(re.compile(r"^Profile: |^Through strmline$"))
    ).to_have_count(0)

    # An existing provider changed: redirect, with the warning that players see the login.
    page.get_by_role("button", name="Edit Acme").click()
    dialog = page.get_by_role("dialog", name="Edit provider")
    _playback(dialog)
    expect(dialog.get_by_label("Play mode")).to_have_value("auto")
    dialog.get_by_label("Play mode").select_option("redirect")
    expect(dialog.get_by_text(re.compile(r"can see them\.$"))).to_be_visible()
    dialog.get_by_label("Stream profile").select_option("redirect")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    acme = _provider(server, "Acme")
    assert (acme["play_mode"], acme["stream_profile"]) == ("redirect", "redirect")
    expect(_card(page, "Acme").get_by_text("Straight to provider", exact=True)).to_be_visible()

    # After a reload the form shows what was saved, in the summary before it is opened too.
    page.reload()
    page.get_by_role("button", name="Edit Globex").click()
    dialog = page.get_by_role("dialog", name="Edit provider")
    expect(dialog.locator("summary").filter(has_text="Playback")).to_contain_text(
        "Through strmline · Profile: ffmpeg-remux"
    )
    _playback(dialog)
    expect(dialog.get_by_label("Play mode")).to_have_value("proxy")
    expect(dialog.get_by_label("Stream profile")).to_have_value("ffmpeg-remux")
    # Back to no profile: null on the server; the play mode stays.
    dialog.get_by_label("Stream profile").select_option("")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    globex = _provider(server, "Globex")
    assert (globex["play_mode"], globex["stream_profile"]) == ("proxy", None)
    expect(_card(page, "Globex").get_by_text(re.compile(r"^Profile: "))).to_have_count(0)
    assert errors == []


def _acme_channel(server: LiveServer, token: str) -> dict[str, Any]:
    items = server.api("GET", "/api/channels", token, params={"limit": 50}).json()["items"]
    channel: dict[str, Any] = items[0]
    return channel


def test_channel_stream_profile(page: Any, server: LiveServer) -> None:
    token = _token(server)
    acme = _provider(server, "Acme")
    # What the channel inherits, whatever the other test left.
    server.api(
        "PATCH",
        f"/api/providers/{acme['id']}",
        token,
        json={"play_mode": "auto", "stream_profile": "proxy"},
    ).raise_for_status()
    channel = _acme_channel(server, token)
    log_in_page(page, server, admin_tokens(server))
    page.goto(f"{server.url}/channels?channel={channel['id']}")
    drawer = page.get_by_role("dialog", name=channel["name"])
    drawer.get_by_role("tab", name="Edit details").click()
    select = drawer.get_by_label("Stream profile")
    expect(select).to_have_value("")
    expect(select.locator("option").first).to_have_text("Provider\u2019s (proxy)")
    expect(
        select.locator("option", has_text="streamlink (streamlink not installed)")
    ).to_be_disabled()
    expect(drawer.locator("#ce-play-mode")).to_contain_text(
        "automatic (as Settings › Playback says), from Acme"
    )

    select.select_option("ffmpeg-transcode")
    drawer.get_by_role("button", name="Save details").click()
    expect(drawer.get_by_text("Saved.", exact=False)).to_be_visible()
    saved = server.api("GET", f"/api/channels/{channel['id']}", token).json()
    assert saved["stream_profile"] == "ffmpeg-transcode"

    page.reload()
    drawer = page.get_by_role("dialog", name=channel["name"])
    drawer.get_by_role("tab", name="Edit details").click()
    select = drawer.get_by_label("Stream profile")
    expect(select).to_have_value("ffmpeg-transcode")
    # Back to the provider's: null on the server.
    select.select_option("")
    drawer.get_by_role("button", name="Save details").click()
    expect(drawer.get_by_text("Saved.", exact=False)).to_be_visible()
    saved = server.api("GET", f"/api/channels/{channel['id']}", token).json()
    assert saved["stream_profile"] is None


def test_viewer_sees_no_play_settings(page: Any, server: LiveServer) -> None:
    token = _token(server)
    channel = _acme_channel(server, token)
    viewer = server.api("POST", "/api/auth/login", json=VIEWER)
    viewer.raise_for_status()
    assert (
        server.api("GET", "/api/stream-profiles", viewer.json()["access_token"]).status_code == 403
    )
    log_in_page(page, server, viewer.json())
    page.goto(f"{server.url}/channels?channel={channel['id']}")
    drawer = page.get_by_role("dialog", name=channel["name"])
    expect(drawer.get_by_role("button", name="Play")).to_be_visible()
    expect(drawer.get_by_role("tab", name="Edit details")).to_have_count(0)
    expect(drawer.get_by_label("Stream profile")).to_have_count(0)
    # The providers page, where play modes are set, is not theirs.
    page.goto(server.url + "/providers")
    expect(page).to_have_url(server.url + "/")
    expect(page.get_by_label("Play mode")).to_have_count(0)
