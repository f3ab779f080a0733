"""Channels at scale, lineups and provider group filters, in Chromium against the real server.

Multi-select with Shift ranges and "all matching", bulk enable/category/lineup/renumber/merge,
category spellings merged, a lineup built from rules and given to a viewer (its M3U fetched), and
a provider's categories untaken (and a filter taking nothing refused in words).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import (
    VIEWER,
    LiveServer,
    add_synced_provider,
    admin_tokens,
    expect,
    log_in_page,
)
from tests.browser.seed import seed_channels

pytestmark = pytest.mark.browser

CHANNELS = 1_234


@pytest.fixture(scope="module")
def seeded(server_factory: Any) -> LiveServer:
    server: LiveServer = server_factory("scale", lambda d: seed_channels(d, CHANNELS))
    return server


@pytest.fixture(scope="module")
def synced(server_factory: Any, fake_provider_server: Any) -> LiveServer:
    """The fake provider's two accounts (two spellings of each category), synced."""
    fake_provider_server.reset()
    live: LiveServer = server_factory("lineups", None)
    token = admin_tokens(live)["access_token"]
    for name in ("Acme", "Globex"):
        add_synced_provider(live, token, fake_provider_server.url, name)
    live.api("POST", "/api/users", token, json=VIEWER | {"role": "user"}).raise_for_status()
    return live


def _items(server: LiveServer, token: str, **params: Any) -> list[dict[str, Any]]:
    r = server.api("GET", "/api/channels", token, params={"limit": 500} | params)
    r.raise_for_status()
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_multi_select_bulk_edit(page: Any, seeded: LiveServer) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    token = admin_tokens(seeded)["access_token"]
    news = seeded.api("GET", "/api/channels", token, params={"category": "News", "limit": 1})
    news_total = news.json()["total"]
    assert 100 < news_total < CHANNELS
    log_in_page(page, seeded, admin_tokens(seeded))
    page.goto(seeded.url + "/channels?category=News")
    expect(page.get_by_test_id("channel-total")).to_have_text(f"{news_total:,} channels")

    # Click the first box, Shift-click the fifth: five rows, as in a file manager.
    boxes = page.get_by_test_id("select-channel")
    boxes.nth(0).click()
    boxes.nth(4).click(modifiers=["Shift"])
    expect(page.get_by_test_id("selected-count")).to_have_text("5 channels selected")
    first_five = [c["id"] for c in _items(seeded, token, category="News")[:5]]
    bulk = page.get_by_role("region", name="Bulk actions")
    bulk.get_by_role("button", name="Disable", exact=True).click()
    expect(bulk.get_by_text("5 channels disabled.")).to_be_visible()
    after = {c["id"]: c["enabled"] for c in _items(seeded, token, category="News")}
    assert [after[i] for i in first_five] == [False] * 5
    assert sum(1 for v in after.values() if not v) == 5

    # Renumber three of them from 50,000, by name.
    page.get_by_test_id("select-channel").nth(4).click()
    page.get_by_test_id("select-channel").nth(3).click()
    expect(page.get_by_test_id("selected-count")).to_have_text("3 channels selected")
    bulk.get_by_role("button", name="Renumber…").click()
    bulk.get_by_label("First number").fill("50000")
    bulk.get_by_role("button", name="Renumber 3 channels").click()
    expect(bulk.get_by_text(re.compile(r"3 channels numbered 50000–50002"))).to_be_visible()
    numbers = sorted(c["number"] for c in _items(seeded, token, category="News")[:3])
    assert numbers == [50000, 50001, 50002]

    # Merge two, after choosing which stays and confirming.
    page.get_by_role("button", name="Clear selection").click()
    boxes.nth(0).click()
    boxes.nth(1).click()
    before = _items(seeded, token, category="News")[:2]
    bulk.get_by_role("button", name="Merge…").click()
    confirm = bulk.get_by_role("group", name="Confirm merge")
    confirm.get_by_label(before[1]["name"]).check()
    confirm.get_by_role(
        "button", name=re.compile(rf"^Merge 1 channel .* into {before[1]['name']}$")
    ).click()
    expect(bulk.get_by_text(f"Merged 1 channel into {before[1]['name']}.")).to_be_visible()
    gone = seeded.api("GET", f"/api/channels/{before[0]['id']}", token)
    assert gone.status_code == 404
    expect(page.get_by_test_id("channel-total")).to_have_text(f"{news_total - 1:,} channels")

    # Every channel matching the filter, far more than the rows loaded: a new category.
    boxes.nth(0).click()
    bulk.get_by_role("button", name=f"Select all {news_total - 1:,} matching this filter").click()
    expect(page.get_by_test_id("selected-count")).to_have_text(
        f"All {news_total - 1:,} matching channels selected"
    )
    bulk.get_by_role("button", name="Set category…").click()
    bulk.get_by_label(re.compile(r"^Category for ")).fill("World News")
    bulk.get_by_role("button", name="Apply").click()
    expect(bulk.get_by_text(f"{news_total - 1:,} channels moved to “World News”.")).to_be_visible()
    moved = seeded.api("GET", "/api/channels", token, params={"category": "World News"})
    assert moved.json()["total"] == news_total - 1
    assert (
        seeded.api("GET", "/api/channels", token, params={"category": "News"}).json()["total"] == 0
    )
    # The DOM stays bounded while all of that happened.
    assert page.locator("[data-row]").count() <= 300
    assert errors == []


def test_drag_and_drop_stream_order_and_category_spellings(page: Any, synced: LiveServer) -> None:
    token = admin_tokens(synced)["access_token"]
    log_in_page(page, synced, admin_tokens(synced))
    # A channel both accounts offer has two streams: drag the second above the first.
    two = next(c for c in _items(synced, token) if c["stream_count"] >= 2)
    detail = synced.api("GET", f"/api/channels/{two['id']}", token).json()
    order = [s["id"] for s in detail["streams"]]
    page.goto(f"{synced.url}/channels?channel={two['id']}")
    drawer = page.get_by_role("dialog", name=two["name"])
    streams = drawer.get_by_test_id("stream")
    expect(streams).to_have_count(len(order))
    streams.nth(1).drag_to(streams.nth(0))
    expect(drawer.locator(".badge", has_text="pinned").first).to_be_visible()
    detail = synced.api("GET", f"/api/channels/{two['id']}", token).json()
    assert [s["id"] for s in detail["streams"]][:2] == [order[1], order[0]]
    drawer.get_by_role("button", name="Close").click()

    # Categories tab: the two accounts' spellings of one category, merged in one click.
    page.goto(synced.url + "/channels?tab=categories")
    section = page.get_by_role("region", name="Same category, different spellings")
    expect(section).to_be_visible()
    before = {c["name"]: c["count"] for c in synced.api("GET", "/api/categories", token).json()}
    button = section.get_by_role("button", name=re.compile(r"^Merge into ")).first
    target = re.sub(r"^Merge into “(.*)”$", r"\1", button.inner_text())
    button.click()
    expect(page.get_by_text(re.compile(rf"channels? now in “{re.escape(target)}”"))).to_be_visible()
    after = {c["name"]: c["count"] for c in synced.api("GET", "/api/categories", token).json()}
    assert after[target] > before[target]
    assert len(after) < len(before)


def test_lineup_page_rules_members_users_and_urls(page: Any, synced: LiveServer) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    token = admin_tokens(synced)["access_token"]
    category = synced.api("GET", "/api/categories", token).json()[0]
    log_in_page(page, synced, admin_tokens(synced))
    page.goto(synced.url + "/lineups")
    expect(page.get_by_test_id("lineup-card").first).to_contain_text("All channels")
    page.get_by_label("New lineup name").fill("Family")
    page.get_by_role("button", name="Create lineup").click()
    detail = page.get_by_role("region", name="Lineup Family")
    expect(detail).to_be_visible()

    # A rule: one category. A broken regular expression is caught at the field first.
    detail.get_by_role("tab", name=re.compile(r"^Rules")).click()
    detail.get_by_role("button", name="Add a rule").click()
    detail.get_by_label("Name matches (regular expression)").fill("([")
    detail.get_by_role("button", name="Save rules").click()
    expect(detail.get_by_text("Not a valid regular expression.")).to_be_visible()
    detail.get_by_label("Name matches (regular expression)").fill("")
    detail.get_by_label("Category is").fill(category["name"])
    detail.get_by_role("button", name="Save rules").click()
    expect(detail.get_by_text(re.compile(r"Rules saved and applied"))).to_be_visible()
    lineup = next(
        x for x in synced.api("GET", "/api/lineups", token).json() if x["name"] == "Family"
    )
    assert lineup["channels"] == category["count"] > 0

    # Its channels, renumbered from 100; one taken out by hand.
    detail.get_by_role("tab", name="Channels").click()
    rows = detail.get_by_test_id("member-row")
    expect(rows).to_have_count(category["count"])
    detail.get_by_label("Number from").fill("100")
    detail.get_by_role("button", name=re.compile(r"^Renumber ")).click()
    expect(detail.get_by_text(re.compile(r"Renumbered \d+ channels?"))).to_be_visible()
    expect(rows.first.locator(".chno")).to_have_text("100")
    rows.first.get_by_role("checkbox").check()
    detail.get_by_role("button", name="Take out of the lineup").click()
    expect(detail.get_by_text("Taken out. Rules will not add them back.")).to_be_visible()
    expect(rows).to_have_count(category["count"] - 1)

    # Given to the viewer, whose URLs then show it.
    detail.get_by_role("tab", name="Users").click()
    detail.get_by_label("viewer has Family").click()
    users = synced.api("GET", "/api/users", token).json()
    viewer = next(
        u
        for u in (users["items"] if isinstance(users, dict) else users)
        if u["username"] == "viewer"
    )
    expect(detail.get_by_label("viewer has Family")).to_be_checked()
    assigned = synced.api("GET", f"/api/lineups/users/{viewer['id']}", token).json()
    assert [x["name"] for x in assigned["lineups"]] == ["Family"]

    # Its URLs; the M3U is a playlist of exactly its channels, for a real client.
    detail.get_by_role("tab", name="URLs").click()
    m3u = detail.get_by_label("M3U playlist", exact=True).input_value()
    assert "lineup=family" in m3u
    playlist = httpx.get(m3u, timeout=30)
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    assert playlist.text.count("#EXTINF") == category["count"] - 1
    assert (
        detail.get_by_label("HDHomeRun tuner (Plex, Jellyfin, Emby)", exact=True)
        .input_value()
        .endswith("/lineup/family/")
    )

    # From the channel list: select two channels and add them to the lineup.
    page.goto(synced.url + "/channels")
    boxes = page.get_by_test_id("select-channel")
    boxes.nth(0).click()
    boxes.nth(1).click()
    bulk = page.get_by_role("region", name="Bulk actions")
    bulk.get_by_role("button", name="Lineup…").click()
    bulk.get_by_label("Lineup", exact=True).select_option(value=str(lineup["id"]))
    bulk.get_by_role("button", name="Add 2 channels").click()
    expect(bulk.get_by_text(re.compile(r"added to Family"))).to_be_visible()
    members = synced.api(
        "GET", f"/api/lineups/{lineup['id']}/channels", token, params={"limit": 500}
    ).json()["items"]
    listed = {c["id"] for c in _items(synced, token)[:2]}
    assert listed <= {m["channel_id"] for m in members}
    assert errors == []


def test_provider_categories_panel(page: Any, synced: LiveServer) -> None:
    token = admin_tokens(synced)["access_token"]
    provider = next(
        p for p in synced.api("GET", "/api/providers", token).json()["items"] if p["name"] == "Acme"
    )
    groups = synced.api("GET", f"/api/providers/{provider['id']}/groups", token).json()
    biggest = groups["groups"][0]
    log_in_page(page, synced, admin_tokens(synced))
    page.goto(synced.url + "/providers")
    page.get_by_role("button", name="Categories of Acme").click()
    dialog = page.get_by_role("dialog", name="Categories of Acme")
    expect(dialog.get_by_test_id("group-row").first).to_be_visible()

    # Skip the biggest category, stop taking new ones: saved for the next sync.
    dialog.get_by_label(f"Take {biggest['name']}", exact=True).uncheck()
    dialog.get_by_label("Take categories the provider adds later").uncheck()
    dialog.get_by_role("button", name="Save categories").click()
    expect(dialog.get_by_text(re.compile(r"^Saved: the next sync takes"))).to_be_visible()
    stored = synced.api("GET", f"/api/providers/{provider['id']}/groups", token).json()
    assert stored["take_new_groups"] is False
    assert next(g for g in stored["groups"] if g["name"] == biggest["name"])["taken"] is False
    assert stored["taken_entries"] == groups["taken_entries"] - biggest["entries"]

    # Skipping everything is refused, in words, and nothing changes.
    dialog.get_by_role("button", name="Skip all").click()
    expect(dialog.get_by_text("No category is ticked")).to_be_visible()
    dialog.get_by_role("button", name="Save categories").click()
    expect(dialog.get_by_role("alert")).to_contain_text("takes none of the")
    again = synced.api("GET", f"/api/providers/{provider['id']}/groups", token).json()
    assert again["taken_entries"] == stored["taken_entries"]


def test_settings_in_words_with_validation_at_the_field(page: Any, seeded: LiveServer) -> None:
    token = admin_tokens(seeded)["access_token"]
    log_in_page(page, seeded, admin_tokens(seeded))
    page.goto(seeded.url + "/settings")
    checks = page.get_by_role("form", name="Stream checks")
    expect(checks).to_be_visible()
    # Plain words, never the config keys.
    expect(page.get_by_text("Slow ms", exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Epg")).to_have_count(0)
    expect(page.get_by_role("heading", name="TV guide")).to_be_visible()

    # A number below its minimum is refused at the field, before anything is sent.
    slow = checks.get_by_label("Call a stream slow above")
    assert slow.get_attribute("type") == "number" and slow.get_attribute("min") == "1"
    slow.fill("0")
    checks.get_by_role("button", name="Save stream checks").click()
    expect(checks.get_by_text("At least 1.")).to_be_visible()
    slow.fill("2500")
    # The schedule says in words when it runs; nonsense is flagged.
    cron = checks.get_by_label("Check streams on this schedule")
    cron.fill("30 2 * * 1")
    expect(checks.get_by_text("Runs every Monday at 02:30 UTC.")).to_be_visible()
    checks.get_by_role("button", name="Save stream checks").click()
    expect(checks.get_by_text(re.compile(r"^Saved\."))).to_be_visible()
    health = seeded.api("GET", "/api/settings", token).json()["health"]
    assert health["slow_ms"]["value"] == 2500 and health["cron"]["value"] == "30 2 * * 1"

    # Percentages are shown as percentages and stored as shares.
    providers = page.get_by_role("form", name="Providers and syncing")
    shrink = providers.get_by_label("Refuse a list that shrank below")
    expect(shrink).to_have_value("50")
    shrink.fill("40")
    providers.get_by_role("button", name="Save providers and syncing").click()
    expect(providers.get_by_text(re.compile(r"^Saved\."))).to_be_visible()
    sync = seeded.api("GET", "/api/settings", token).json()["sync"]
    assert sync["shrink_guard"]["value"] == 0.4

    # What only the server can judge comes back at the field, and nothing is saved.
    library = page.get_by_role("form", name="Movies and series library")
    library.get_by_label("Folder layout").select_option(label="Movies/Genre/Title (Year)")
    library.get_by_label("Jellyfin or Emby address to rescan after writing").fill("not a url")
    library.get_by_role("button", name="Save movies and series library").click()
    expect(library.get_by_text("Not saved: fix the marked field.")).to_be_visible()
    strm = seeded.api("GET", "/api/settings", token).json()["strm"]
    assert strm["media_server_url"]["value"] is None and strm["group_by"]["value"] == "none"
    library.get_by_label("Jellyfin or Emby address to rescan after writing").fill("")
    library.get_by_label("Write .nfo files").check()
    library.get_by_role("button", name="Save movies and series library").click()
    expect(library.get_by_text(re.compile(r"^Saved\."))).to_be_visible()
    strm = seeded.api("GET", "/api/settings", token).json()["strm"]
    assert strm["group_by"]["value"] == "genre" and strm["nfo"]["value"] is True


def test_favourites_viewers_and_history(page: Any, synced: LiveServer) -> None:
    token = admin_tokens(synced)["access_token"]
    channel = _items(synced, token)[2]
    log_in_page(page, synced, admin_tokens(synced))

    # A favourite, and the favourites filter showing just it.
    page.goto(f"{synced.url}/channels?channel={channel['id']}")
    drawer = page.get_by_role("dialog", name=channel["name"])
    drawer.get_by_role("button", name=f"Add {channel['name']} to favourites").click()
    expect(
        drawer.get_by_role("button", name=f"Remove {channel['name']} from favourites")
    ).to_be_visible()
    drawer.get_by_role("button", name="Close").click()
    # A click, not check(): the switch follows the URL, which the router updates a tick later.
    page.get_by_role("switch", name="Only my favourites").click()
    expect(page.get_by_role("switch", name="Only my favourites")).to_be_checked()
    expect(page).to_have_url(re.compile(r"fav=1"))
    expect(page.locator("[data-channel-index]")).to_have_count(1)
    expect(page.locator("[data-channel-index='0']")).to_contain_text(channel["name"])
    assert [c["id"] for c in synced.api("GET", "/api/favorites", token).json()["items"]] == [
        channel["id"]
    ]

    # Someone watches through the proxy: the admin sees it live, then in the history.
    synced.api(
        "PATCH", "/api/settings", token, json={"playback": {"mode": "proxy"}}
    ).raise_for_status()
    api_token = synced.api("GET", "/api/auth/api-token", token).json()["api_token"]
    url = f"{synced.url}/play/{channel['id']}?token={api_token}"
    with httpx.stream("GET", url, timeout=30) as stream:
        assert stream.status_code == 200
        # Read through one iterator kept open: leaving a for loop would close the connection.
        chunks = stream.iter_bytes()
        received = 0
        while received < 200_000:
            received += len(next(chunks))
        page.goto(synced.url + "/viewing")
        live = page.get_by_test_id("active-viewers")
        expect(live).to_be_visible()
        expect(live.get_by_role("link", name=channel["name"])).to_be_visible()
        expect(live.get_by_text("admin")).to_be_visible()
        expect(live.get_by_text(re.compile(r"^Python httpx "))).to_be_visible()
        # The admin stops it: asked first, then the player's stream ends and the row goes.
        live.get_by_role("button", name="Stop").click()
        live.get_by_role("button", name="Stop it").click()
        expect(page.get_by_text("Nobody is watching through strmline right now.")).to_be_visible()
        with pytest.raises(StopIteration):
            for _ in range(10_000):  # what was buffered before the stop, then the end
                next(chunks)
    page.reload()
    history = page.get_by_test_id("history")
    expect(history.get_by_role("link", name=channel["name"]).first).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("viewing-summary")).to_contain_text("1 viewing")
    top = page.get_by_role("table", name="Most watched channels")
    expect(top.get_by_role("link", name=channel["name"])).to_be_visible()


def test_keyboard_selection(page: Any, seeded: LiveServer) -> None:
    log_in_page(page, seeded, admin_tokens(seeded))
    page.goto(seeded.url + "/channels?sort=number")
    first = page.locator("[data-channel-index='0']")
    expect(first).to_be_visible()
    first.focus()
    page.keyboard.press("x")
    expect(page.get_by_test_id("selected-count")).to_have_text("1 channel selected")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Shift+X")
    expect(page.get_by_test_id("selected-count")).to_have_text("3 channels selected")
    # The boxes are not Tab stops: Tab from a row leaves the list instead of walking every box.
    assert page.get_by_test_id("select-channel").first.get_attribute("tabindex") == "-1"
