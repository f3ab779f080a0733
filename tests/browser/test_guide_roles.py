"""The TV guide, movies and series, and what a viewer sees, in Chromium against the real server.

One server for the module: the fake provider's Xtream account synced, its guide imported, and a
viewer account next to the admin.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import (
    ADMIN,
    VIEWER,
    LiveServer,
    add_synced_provider,
    admin_tokens,
    expect,
    log_in_page,
    wait_job,
)
from tests.browser.seed import seed_channels

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(server_factory: Any, fake_provider_server: Any) -> LiveServer:
    fake_provider_server.reset()
    live: LiveServer = server_factory("guide", None)
    token = admin_tokens(live)["access_token"]
    add_synced_provider(live, token, fake_provider_server.url)
    source = live.api(
        "POST",
        "/api/epg/sources",
        token,
        json={"url": fake_provider_server.epg_url("acme"), "name": "Acme XMLTV"},
    )
    source.raise_for_status()
    refresh = live.api("POST", f"/api/epg/sources/{source.json()['id']}/refresh", token)
    wait_job(live, token, refresh.json()["job_id"])
    live.api("POST", "/api/users", token, json=VIEWER | {"role": "user"}).raise_for_status()
    return live


def _log_in(page: Any, server: LiveServer, who: dict[str, str], path: str = "/login") -> None:
    page.goto(server.url + path)
    page.get_by_label("Username").fill(who["username"])
    page.get_by_label("Password").fill(who["password"])
    page.get_by_role("button", name="Log in").click()
    # Logged in once the page has left the form: a goto before then would land on it again.
    page.wait_for_url(lambda url: "/login" not in url)


def _token(server: LiveServer) -> str:
    return str(admin_tokens(server)["access_token"])


def test_guide_grid_details_unmatched_and_import(page: Any, server: LiveServer) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _log_in(page, server, ADMIN)
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="TV guide").click()

    grid = page.get_by_role("grid", name="TV guide")
    expect(grid.get_by_role("rowheader").filter(has_text="ZDF")).to_be_visible()
    on_now = grid.locator(".guide-prog.on-now").first
    expect(on_now).to_be_visible()
    # Virtualised: a screenful of channel rows and their programmes, not the whole catalogue.
    channels = server.api("GET", "/api/epg/guide", _token(server), params={"limit": 500}).json()
    total_rows = len(channels["items"])
    rows = grid.locator("[data-row]").count()
    assert 0 < rows < total_rows, (rows, total_rows)
    assert grid.locator(".guide-prog").count() <= 300
    # Scrolling to the bottom renders the last channel, still with few rows in the DOM.
    grid.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = channels["items"][-1]["channel"]
    expect(grid.get_by_role("rowheader").filter(has_text=last)).to_be_visible()
    assert grid.locator("[data-row]").count() < total_rows
    grid.evaluate("el => { el.scrollTop = 0; }")

    # Programme details on click.
    zdf = grid.get_by_role("row").filter(has=page.get_by_role("rowheader").filter(has_text="ZDF"))
    on_now = zdf.locator(".guide-prog.on-now")
    expect(on_now).to_be_visible()
    title = on_now.get_attribute("aria-label").split(",")[0]
    on_now.click()
    details = page.get_by_role("dialog", name=title)
    expect(details).to_be_visible()
    expect(details.get_by_text("Channel", exact=True)).to_be_visible()
    expect(details.get_by_role("link", name="Open the channel")).to_be_visible()
    details.get_by_role("button", name="Close").click()
    expect(details).to_be_hidden()

    # Another day has its own window.
    page.get_by_label("Day").select_option(label="Tomorrow")
    expect(page).to_have_url(re.compile(r"day=1"))
    expect(grid.get_by_role("rowheader").first).to_be_visible()
    page.get_by_role("button", name="Now").click()
    expect(page).not_to_have_url(re.compile(r"day="))

    # Unmatched channels: the best candidates with scores, assigned with one click.
    page.get_by_role("tab", name="Unmatched channels").click()
    first = page.get_by_role("list", name=re.compile(r"^Best guide matches for ")).first
    expect(first).to_be_visible()
    channel = first.get_attribute("aria-label").removeprefix("Best guide matches for ")
    expect(first.get_by_text(re.compile(r"^\d+%$")).first).to_be_visible()
    use = first.get_by_role("button", name=re.compile(r"^Use .+ for "))
    use.first.click()
    expect(
        page.get_by_role("list", name=f"Best guide matches for {channel}", exact=True)
    ).to_have_count(0)
    unmatched = server.api("GET", "/api/epg/unmatched", _token(server), params={"limit": 500})
    assert channel not in [c["channel"] for c in unmatched.json()["items"]]

    # Sources: import now, with the job's progress and result.
    page.get_by_role("tab", name="Sources").click()
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Acme XMLTV"))
    expect(
        card.get_by_text(re.compile(r"^\d[\d,]* channels? · [\d,]+ programmes?"))
    ).to_be_visible()
    card.get_by_role("button", name="Import Acme XMLTV now").click()
    expect(card.get_by_text(re.compile(r"^Done"))).to_be_visible(timeout=30_000)
    assert errors == []


def test_viewer_sees_what_a_viewer_can_do(page: Any, server: LiveServer) -> None:
    # An admin page in `next=` does not take a viewer there.
    _log_in(page, server, VIEWER, "/login?next=%2Fusers")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page).to_have_url(server.url + "/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="TV guide")).to_be_visible()
    for admin_page in ("Providers", "Merge rules", "Settings", "Users"):
        expect(nav.get_by_role("link", name=admin_page)).to_have_count(0)
    expect(page.get_by_role("button", name="Sync all providers")).to_have_count(0)

    nav.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Check stream health now")).to_have_count(0)
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)

    # A channel: what is on now, play and its streams, no curation.
    nav.get_by_role("link", name="Channels").click()
    expect(page.locator("[data-channel-index]").get_by_text("Now:").first).to_be_visible()
    page.locator("[data-channel-index]").first.click()
    drawer = page.get_by_role("dialog")
    expect(drawer.get_by_role("button", name="Play")).to_be_visible()
    expect(drawer.get_by_test_id("stream").first).to_be_visible()
    expect(drawer.get_by_role("tab", name="Merge")).to_have_count(0)
    expect(drawer.get_by_role("tab", name="Edit details")).to_have_count(0)
    expect(drawer.get_by_role("button", name=re.compile(r"to another channel$"))).to_have_count(0)
    expect(drawer.get_by_label(re.compile(r"^Enabled"))).to_have_count(0)
    drawer.get_by_role("button", name="Close").click()

    # The guide: programmes and candidates to read, nothing to change.
    nav.get_by_role("link", name="TV guide").click()
    expect(page.get_by_role("grid", name="TV guide").locator(".guide-prog").first).to_be_visible()
    page.get_by_role("tab", name="Unmatched channels").click()
    suggestions = page.get_by_role("list", name=re.compile(r"^Best guide matches for ")).first
    expect(suggestions).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Use "))).to_have_count(0)
    page.get_by_role("tab", name="Sources").click()
    expect(page.get_by_role("heading", name="Acme XMLTV")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"^Import .* now$"))).to_have_count(0)

    nav.get_by_role("link", name="Movies").click()
    expect(page.get_by_role("heading", name="Movies", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sync movies and series")).to_have_count(0)

    # Typing an admin address goes back to the dashboard instead of failing calls.
    page.goto(server.url + "/providers")
    expect(page).to_have_url(server.url + "/")


def test_logout_starts_over_for_the_next_user(page: Any, server: LiveServer) -> None:
    _log_in(page, server, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page).to_have_url(server.url + "/users")
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(server.url + "/login")
    page.get_by_label("Username").fill(VIEWER["username"])
    page.get_by_label("Password").fill(VIEWER["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page).to_have_url(server.url + "/")


def test_wrong_password_is_not_added(
    page: Any, server: LiveServer, fake_provider_server: Any
) -> None:
    _log_in(page, server, ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Providers").click()
    page.get_by_role("button", name="Add provider", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Xtream Codes").click()
    dialog.get_by_label("Name", exact=True).fill("Wrong password")
    dialog.get_by_label("Server URL").fill(fake_provider_server.url)
    dialog.get_by_label("Username").fill("acme")
    dialog.get_by_label("Password").fill("not-the-password")
    dialog.get_by_role("button", name="Add and test connection").click()
    expect(dialog.get_by_text("The provider was not added")).to_be_visible(timeout=20_000)
    expect(dialog.get_by_text("Connection failed")).to_be_visible()
    names = [p["name"] for p in server.api("GET", "/api/providers", _token(server)).json()["items"]]
    assert "Wrong password" not in names
    # The provider cards say each figure once, with "1 stream" style plurals.
    dialog.get_by_role("button", name="Close").click()
    card = page.get_by_role("article").filter(has=page.get_by_role("heading", name="Acme"))
    expect(card.get_by_text(re.compile(r"^\d[\d,]* streams? · last sync"))).to_be_visible()


def test_movies_and_series_sync_browse_and_play(page: Any, server: LiveServer) -> None:
    _log_in(page, server, ADMIN)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Movies").click()
    page.get_by_role("button", name="Sync movies and series").click()
    expect(page.get_by_text(re.compile(r"^Done")).first).to_be_visible(timeout=60_000)
    posters = page.get_by_test_id("poster")
    expect(posters.first).to_be_visible()
    assert posters.count() <= 300
    page.get_by_label("Search movies").fill("matrix")
    expect(page).to_have_url(re.compile(r"q=matrix"))
    expect(posters).to_have_count(1)
    posters.first.click()
    details = page.get_by_role("dialog", name=re.compile(r"^The Matrix"))
    expect(details.get_by_text(re.compile(r"provider sources?,"))).to_be_visible()
    details.get_by_role("button", name="Play").click()
    url = details.get_by_role("textbox", name="Play URL").input_value()
    assert re.search(r"/play/movie/\d+\?token=", url), url
    details.get_by_role("button", name="Close").click()

    nav.get_by_role("link", name="Series").click()
    series = page.get_by_test_id("poster").first
    expect(series).to_be_visible()
    series.click()
    drawer = page.get_by_role("dialog")
    episode = drawer.get_by_role("button", name=re.compile(r"^Play episode "))
    expect(episode.first).to_be_visible()
    episode.first.click()
    play = drawer.get_by_role("textbox", name="Play URL").input_value()
    assert re.search(r"/play/episode/\d+\?token=", play), play


def test_channel_header_says_the_true_total(page: Any, server_factory: Any) -> None:
    # More channels than one page (500): the header used to say "500+".
    big: LiveServer = server_factory("total", lambda d: seed_channels(d, 1_234))
    log_in_page(page, big, admin_tokens(big))
    page.goto(big.url + "/channels")
    expect(page.locator("[data-channel-index='0']")).to_be_visible()
    expect(page.get_by_text("1,234 channels", exact=True)).to_be_visible()
    # With a search only the server knows the count, and no made-up figure is shown.
    page.get_by_label("Search channels").fill("Nature")
    expect(page).to_have_url(re.compile(r"q=Nature"))
    expect(
        page.get_by_text(re.compile(r"^\d[\d,]* (channels?|shown, more as you scroll)$"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile(r"\+ channels"))).to_have_count(0)


def test_merge_asks_before_deleting_a_channel(page: Any, server: LiveServer) -> None:
    token = _token(server)
    items = server.api("GET", "/api/channels", token, params={"limit": 50}).json()["items"]
    keep, other = items[0], items[1]
    _log_in(page, server, ADMIN)
    page.goto(f"{server.url}/channels?channel={keep['id']}")
    drawer = page.get_by_role("dialog", name=keep["name"])
    drawer.get_by_role("tab", name="Merge").click()
    drawer.get_by_label("Channel to merge into this one").fill(other["name"])
    drawer.get_by_role("button", name=f"Merge {other['name']}").first.click()
    confirm = drawer.get_by_role("group", name="Confirm merge")
    expect(confirm).to_contain_text(f"{other['name']} is deleted")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_have_count(0)
    assert server.api("GET", f"/api/channels/{other['id']}", token).status_code == 200


def test_finished_jobs_leave_running_now(
    page: Any, server: LiveServer, fake_provider_server: Any
) -> None:
    _log_in(page, server, ADMIN)
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    # The provider answers slowly once, so the sync is seen running before it ends.
    fake_provider_server.faults.set("slow", account="acme", endpoint="api", delay=1.5, times=1)
    try:
        page.get_by_role("button", name="Sync all providers").click()
        running = page.get_by_role("heading", name="Running now")
        expect(running).to_be_visible()
        expect(page.get_by_role("progressbar", name="Sync Acme")).to_be_visible()
        expect(running).to_have_count(0, timeout=30_000)
    finally:
        fake_provider_server.faults.clear()
    recent = page.get_by_role("region", name="Recent jobs")
    expect(recent.get_by_text("succeeded").first).to_be_visible()
