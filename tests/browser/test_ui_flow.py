"""The first-run path a new user takes, end to end in a real browser against the real server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.conftest import ADMIN, LiveServer, expect

pytestmark = pytest.mark.browser


def test_setup_login_provider_sync_search_move(
    page: Any, live_server: LiveServer, fake_provider: Any
) -> None:
    url = live_server.url

    # First run: the app asks for the admin account.
    page.goto(url + "/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    page.get_by_label("Username").fill(ADMIN["username"])
    page.get_by_label("Password", exact=True).fill(ADMIN["password"])
    page.get_by_label("Repeat the password").fill(ADMIN["password"])
    page.get_by_role("button", name="Create admin and continue").click()
    expect(page).to_have_url(re.compile(r"/providers$"))
    expect(page.get_by_role("heading", name="No providers yet")).to_be_visible()

    # Log out and back in; a wrong password is explained in words.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill(ADMIN["username"])
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Log in").click()
    # Logging out starts over (the next person to log in may not be allowed on the page left):
    # the dashboard tells a new user what to do first.
    expect(page).to_have_url(url + "/")
    expect(page.get_by_role("heading", name="Add your first provider")).to_be_visible()

    # Add the fake provider's M3U and test the connection.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Providers").click()
    page.get_by_role("button", name="Add provider", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Acme")
    dialog.get_by_label("Playlist URL").fill(fake_provider.playlist_url("acme"))
    dialog.get_by_role("button", name="Add and test connection").click()
    expect(dialog.get_by_text("Connection works")).to_be_visible()
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()

    # Sync: the download is held back a little so the live progress is seen before the result.
    fake_provider.faults.set(
        "slow", account="acme", endpoint="m3u", delay=0.1, chunk_size=1024, times=1
    )
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Acme"))
    card.get_by_role("button", name="Sync Acme").click()
    expect(card.get_by_role("progressbar", name="Sync Acme")).to_be_visible()
    expect(card.get_by_text(re.compile(r"^Done"))).to_be_visible(timeout=30_000)
    expect(card.get_by_role("progressbar")).to_have_count(0)

    # Two channels from the synced catalog, through the API with the page's own token.
    tokens = json.loads(page.evaluate("localStorage.getItem('strmline.tokens')"))
    r = live_server.api("GET", "/api/channels", tokens["access_token"], params={"limit": 50})
    channels = [c for c in r.json()["items"] if c["stream_count"] >= 1]
    assert len(channels) >= 2, r.text
    source, target = channels[3], channels[10]

    # Search as you type, then open the drawer.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Channels").click()
    page.get_by_label("Search channels").fill(source["name"])
    row = page.locator("[data-channel-index]").filter(has_text=source["name"]).first
    expect(row).to_be_visible()
    expect(page).to_have_url(re.compile(r"q="))
    row.click()
    drawer = page.get_by_role("dialog", name=source["name"])
    expect(drawer).to_be_visible()
    streams = drawer.get_by_test_id("stream")
    expect(streams.first).to_be_visible()
    stream_name = streams.first.locator("strong").first.inner_text()

    # Move the first stream to the other channel, found with the channel picker.
    drawer.get_by_role("button", name=re.compile(r"to another channel$")).first.click()
    drawer.get_by_label("Target channel").fill(target["name"])
    drawer.get_by_role("button", name=f"Move here {target['name']}").first.click()
    expect(
        page.get_by_role("dialog", name=target["name"])
        .get_by_text(stream_name)
        .or_(page.get_by_role("status").filter(has_text=f"Moved to {target['name']}"))
        .first
    ).to_be_visible()

    # After a reload the target channel lists the moved stream.
    page.goto(f"{url}/channels?channel={target['id']}")
    page.reload()
    drawer = page.get_by_role("dialog", name=target["name"])
    expect(drawer).to_be_visible()
    expect(drawer.get_by_test_id("stream").filter(has_text=stream_name)).to_have_count(1)
    expect(drawer.get_by_text("moved by hand")).to_be_visible()
