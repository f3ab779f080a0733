"""The category picker (a searchable combobox) over hundreds of categories, in Chromium against the
real server: the channel filter narrowed by typing and picked with the keyboard, the bulk bar's
"Set category…" taking a suggestion or a new name, and the category manager's merge target."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa

from tests.browser.conftest import LiveServer, admin_tokens, expect, log_in_page
from tests.browser.seed import seed_channels

pytestmark = pytest.mark.browser

CHANNELS = 100_000
MAX_OPTIONS = 100  # what the picker may put in the DOM at once, whatever the number of categories
COUNTRIES = [
    "AR",
    "AT",
    "BE",
    "BR",
    "CA",
    "CH",
    "DE",
    "ES",
    "FR",
    "IT",
    "MX",
    "NL",
    "PT",
    "UK",
    "US",
]
GENRES = [
    "Action", "Animation", "Business", "Cinéma", "Classics", "Comedy", "Cooking", "Crime",
    "Documentaires", "Drama", "Education", "Entertainment", "Fashion", "Fishing", "Football",
    "Gaming", "General", "Golf", "Health", "History", "Hunting", "Kids", "Lifestyle", "Local",
    "Motors", "Music", "Nature", "News", "Religion", "Science",
]  # fmt: skip
# About as many as a big provider's list has (445 at 100,000 channels), plus two that rank first.
CATEGORIES = [f"{c} | {g}" for c in COUNTRIES for g in GENRES] + ["Cinéma", "Cinémathèque"]


def _spread_categories(data_dir: Path) -> None:
    """Seed the channels, then deal them out over CATEGORIES (one statement, not one per row)."""
    seed_channels(data_dir, CHANNELS)
    engine = sa.create_engine(f"sqlite:///{data_dir / 'strmline.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("CREATE TEMP TABLE picker_categories (i INTEGER PRIMARY KEY, name TEXT)")
            )
            conn.execute(
                sa.text("INSERT INTO picker_categories (i, name) VALUES (:i, :name)"),
                [{"i": i, "name": name} for i, name in enumerate(CATEGORIES)],
            )
            conn.execute(
                sa.text(
                    "UPDATE channels SET category = (SELECT name FROM picker_categories"
                    " WHERE i = channels.id % :n)"
                ),
                {"n": len(CATEGORIES)},
            )
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def picker_server(server_factory: Any) -> LiveServer:
    server: LiveServer = server_factory("picker", _spread_categories)
    return server


def _options_in_dom(page: Any) -> int:
    count: int = page.locator("[role='option']").count()
    return count


def _active_label(page: Any, box: Any) -> str:
    active = box.get_attribute("aria-activedescendant")
    assert active, "no option is active"
    label: str = page.locator(f"[id='{active}'] .combobox-label").inner_text()
    return label


def _category_in_url(page: Any) -> list[str] | None:
    return parse_qs(urlsplit(page.url).query).get("category")


def _total(server: LiveServer, token: str, category: str) -> int:
    r = server.api("GET", "/api/channels", token, params={"category": category, "limit": 1})
    r.raise_for_status()
    total: int = r.json()["total"]
    return total


def test_filter_by_typing_and_keyboard(page: Any, picker_server: LiveServer) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    tokens = admin_tokens(picker_server)
    categories = picker_server.api("GET", "/api/categories", tokens["access_token"]).json()
    assert len(categories) == len(CATEGORIES) > MAX_OPTIONS
    log_in_page(page, picker_server, tokens)
    page.goto(picker_server.url + "/channels")
    expect(page.locator("[data-channel-index='0']")).to_be_visible()

    # Still found by its label (and its old id), now a combobox.
    box = page.get_by_label("Category", exact=True)
    expect(box).to_have_attribute("role", "combobox")
    expect(box).to_have_id("f-category")
    expect(box).to_have_attribute("aria-expanded", "false")

    # Opened with nothing typed: a bounded first screen, and a word on the rest.
    box.click()
    listbox = page.get_by_role("listbox", name="Categories")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option").first).to_have_text("All categories")
    assert _options_in_dom(page) <= MAX_OPTIONS
    expect(page.get_by_text(re.compile(r"^\d+ more — keep typing$"))).to_be_visible()

    # Typed without the accent: the exact name first, then the prefix, then "XX | Cinéma".
    box.press_sequentially("cinema")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2 + len(COUNTRIES))
    expect(options.nth(0).locator(".combobox-label")).to_have_text("Cinéma")
    expect(options.nth(1).locator(".combobox-label")).to_have_text("Cinémathèque")
    expect(options.nth(2).locator(".combobox-label")).to_have_text(
        re.compile(r"^[A-Z]{2} \| Cinéma$")
    )
    assert _options_in_dom(page) <= MAX_OPTIONS
    assert _active_label(page, box) == "Cinéma"  # the best match is ready for Enter

    # Down twice, Up once, Enter: the second option, by keyboard alone.
    box.press("ArrowDown")
    box.press("ArrowDown")
    box.press("ArrowUp")
    chosen = _active_label(page, box)
    assert chosen == "Cinémathèque"
    box.press("Enter")
    expect(box).to_have_attribute("aria-expanded", "false")
    expect(box).to_have_value(chosen)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("category") == [chosen])
    total = _total(picker_server, tokens["access_token"], chosen)
    assert 0 < total < CHANNELS
    expect(page.get_by_test_id("channel-total")).to_have_text(f"{total:,} channels")

    # Typing then Escape puts the chosen name back and leaves the filter alone.
    box.fill("news")
    expect(listbox.get_by_role("option").first).to_be_visible()
    box.press("Escape")
    expect(box).to_have_value(chosen)
    assert _category_in_url(page) == [chosen]

    # A reload keeps it (it lives in the URL); a name typed in full and Tab picks it.
    page.reload()
    box = page.get_by_label("Category", exact=True)
    expect(box).to_have_value(chosen)
    box.fill("us | news")
    box.press("Tab")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("category") == ["US | News"])
    expect(box).to_have_value("US | News")
    news = _total(picker_server, tokens["access_token"], "US | News")
    expect(page.get_by_test_id("channel-total")).to_have_text(f"{news:,} channels")

    # Emptied and left: every category again.
    box.fill("")
    box.press("Tab")
    page.wait_for_url(lambda url: "category" not in parse_qs(urlsplit(url).query))
    expect(page.get_by_test_id("channel-total")).to_have_text(f"{CHANNELS:,} channels")
    assert errors == []


def test_bulk_set_category_with_the_picker(page: Any, picker_server: LiveServer) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    tokens = admin_tokens(picker_server)
    token = tokens["access_token"]
    source = "DE | Golf"
    items = picker_server.api(
        "GET", "/api/channels", token, params={"category": source, "limit": 3}
    ).json()["items"]
    log_in_page(page, picker_server, tokens)
    page.goto(picker_server.url + "/channels?" + urlencode({"category": source}))
    expect(page.get_by_label("Category", exact=True)).to_have_value(source)
    boxes = page.get_by_test_id("select-channel")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    bulk = page.get_by_role("region", name="Bulk actions")
    expect(bulk.get_by_test_id("selected-count")).to_have_text("3 channels selected")

    # An existing category, picked from the suggestions: Enter takes it and does not submit yet.
    bulk.get_by_role("button", name="Set category…").click()
    picker = bulk.get_by_label(re.compile(r"^Category for "))
    expect(picker).to_have_attribute("role", "combobox")
    picker.press_sequentially("cinémathè")
    listbox = bulk.get_by_role("listbox", name="Categories")
    expect(listbox.get_by_role("option")).to_have_count(1)
    picker.press("ArrowDown")
    picker.press("Enter")
    expect(picker).to_have_value("Cinémathèque")
    expect(picker).to_have_attribute("aria-expanded", "false")
    first = picker_server.api("GET", f"/api/channels/{items[0]['id']}", token).json()
    assert first["category"] == source  # picked, not applied yet
    bulk.get_by_role("button", name="Apply").click()
    expect(bulk.get_by_text("3 channels moved to “Cinémathèque”.")).to_be_visible()
    for item in items:
        moved = picker_server.api("GET", f"/api/channels/{item['id']}", token).json()
        assert moved["category"] == "Cinémathèque"

    # A new name, typed and submitted with Enter: free text is the value.
    bulk.get_by_role("button", name="Clear selection").click()
    page.get_by_test_id("select-channel").nth(0).click()
    expect(bulk.get_by_test_id("selected-count")).to_have_text("1 channel selected")
    bulk.get_by_role("button", name="Set category…").click()
    picker = bulk.get_by_label(re.compile(r"^Category for "))
    picker.press_sequentially("Golf Highlights")
    expect(bulk.get_by_text("Not in the list yet: “Golf Highlights”")).to_be_visible()
    assert _options_in_dom(page) <= MAX_OPTIONS
    picker.press("Enter")
    expect(bulk.get_by_text("1 channel moved to “Golf Highlights”.")).to_be_visible()
    assert _total(picker_server, token, "Golf Highlights") == 1
    assert errors == []


def test_merge_target_picked_in_the_category_manager(page: Any, picker_server: LiveServer) -> None:
    tokens = admin_tokens(picker_server)
    token = tokens["access_token"]
    before = {
        c["name"]: c["count"] for c in picker_server.api("GET", "/api/categories", token).json()
    }
    log_in_page(page, picker_server, tokens)
    page.goto(picker_server.url + "/channels?tab=categories")
    page.get_by_label("Find a category").fill("hunting")
    page.get_by_label("Select category AT | Hunting").check()
    page.get_by_label("Select category BE | Hunting").check()
    form = page.get_by_role("form", name="Merge categories")
    into = form.get_by_role("combobox")
    into.press_sequentially("ch | hun")
    expect(form.get_by_role("option")).to_have_count(1)
    into.press("ArrowDown")
    into.press("Enter")
    expect(into).to_have_value("CH | Hunting")
    form.get_by_role("button", name="Merge into “CH | Hunting”").click()
    expect(page.get_by_text(re.compile(r"channels? now in “CH \| Hunting”"))).to_be_visible()
    after = {
        c["name"]: c["count"] for c in picker_server.api("GET", "/api/categories", token).json()
    }
    assert "AT | Hunting" not in after and "BE | Hunting" not in after
    expected = before["CH | Hunting"] + before["AT | Hunting"] + before["BE | Hunting"]
    assert after["CH | Hunting"] == expected
