"""Keyboard: the login form in tab order, with a visible focus ring; dark and light themes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import ADMIN, LiveServer, admin_tokens, expect, log_in_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(server_factory: Any) -> LiveServer:
    """One server for this module, with the admin created."""
    live: LiveServer = server_factory("keyboard", None)
    admin_tokens(live)
    return live


def _focused(page: Any) -> dict[str, Any]:
    info: dict[str, Any] = page.evaluate(
        """() => { const el = document.activeElement; const s = getComputedStyle(el);
                   return {id: el.id, text: el.textContent, tag: el.tagName,
                           fv: el.matches(':focus-visible'), outline: s.outlineStyle, width: s.outlineWidth}; }"""
    )
    return info


def test_login_form_by_keyboard(page: Any, server: LiveServer) -> None:
    page.goto(server.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_label("Username")).to_be_focused()  # autofocus
    page.keyboard.type(ADMIN["username"])
    page.keyboard.press("Tab")
    f = _focused(page)
    assert f["id"] == "password"
    assert f["fv"] and f["outline"] != "none" and f["width"] != "0px", f
    page.keyboard.type(ADMIN["password"])
    page.keyboard.press("Tab")
    f = _focused(page)
    assert f["tag"] == "BUTTON" and "Log in" in f["text"]
    assert f["fv"] and f["outline"] != "none", f
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Skip link first in tab order; theme toggle cycles and is remembered.
    page.keyboard.press("Tab")
    assert "Skip to content" in _focused(page)["text"]
    toggle = page.get_by_role("button", name=re.compile(r"^Theme:"))
    toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(15, 17, 21)", bg


def test_phone_sized_screen(browser: Any, server: LiveServer) -> None:
    tokens = admin_tokens(server)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        log_in_page(page, server, tokens)
        page.goto(server.url + "/outputs")
        expect(page.get_by_role("heading", name="Outputs")).to_be_visible()
        # The navigation is behind the menu button and the page does not scroll sideways.
        nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Channels")
        expect(nav_link).not_to_be_in_viewport()
        page.get_by_role("button", name="Menu").click()
        expect(nav_link).to_be_in_viewport()
        nav_link.click()
        expect(page).to_have_url(re.compile(r"/channels"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, width
    finally:
        context.close()


PAGES = [
    "Dashboard",
    "Channels",
    "Providers",
    "Outputs",
    "Jobs",
    "Merge rules",
    "Settings",
    "Users",
]


def test_each_page_opens_with_at_most_two_requests(page: Any, server: LiveServer) -> None:
    tokens = admin_tokens(server)
    log_in_page(page, server, tokens)
    page.goto(server.url + "/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.wait_for_timeout(300)
    calls: list[str] = []
    page.on(
        "request",
        lambda r: calls.append(r.url) if "/api/" in r.url and "/api/events" not in r.url else None,
    )
    for link in PAGES:
        calls.clear()
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=link, exact=True
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(link, re.I))
        page.wait_for_timeout(400)
        assert len(calls) <= 2, (link, calls)
        # Nothing on a fresh install's page is an unexplained error.
        errors = page.locator(".alert-error")
        assert errors.count() == 0, (link, errors.all_inner_texts())
