"""Benchmark: the web UI's budgets in Chromium (issue 17): bundle sizes, the TV guide over 1,000
channels x 7 days, the movie grid over 50,000 movies.

Builds nothing: it measures the UI already built into src/strmline/web (``make web``). A fresh
data dir gets 50,000 movies inserted straight into SQLite; the real server starts on it; a
1,000-channel M3U file and a 7-day XMLTV file are synced and imported through the API (the real
pipelines); then Debian's Chromium (/usr/bin/chromium, driven by Playwright) loads the pages.
Prints one JSON line per measure with its budget; asserts nothing.

    .venv/bin/python bench/web_ui.py [--channels 1000] [--days 7] [--movies 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from api import server  # noqa: E402

from strmline.api.web import WEB_DIR  # noqa: E402
from strmline.db.base import utcnow  # noqa: E402
from strmline.db.models import VodMovie  # noqa: E402
from tests.browser.conftest import ADMIN, CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.seed import _migrate  # noqa: E402
from tests.dbutil import sqlite_url  # noqa: E402
from tests.e2e.harness import clean_env  # noqa: E402

SHOWS = ("News", "Live", "Tonight", "Special", "Report", "Classics", "Weekly", "Kickoff")


def emit(name: str, value: float | int, budget: str, **extra: Any) -> None:
    # The machine's load rides along: frame times on a busy 2-core box say more about the box.
    load = round(os.getloadavg()[0], 2)
    line = {
        "bench": "web_ui",
        "measure": name,
        "value": value,
        "budget": budget,
        "load1": load,
        **extra,
    }
    print(json.dumps(line), flush=True)


def bundle_sizes() -> None:
    """First-page JS: the entry script and what it preloads; route chunks: every other chunk
    except the video player (hls.js, loaded only when something plays)."""
    html = (WEB_DIR / "index.html").read_text()
    first = set(re.findall(r'(?:src|href)="/?(assets/[^"]+\.js)"', html))
    sizes = {
        p.relative_to(WEB_DIR).as_posix(): len(gzip.compress(p.read_bytes(), 9))
        for p in (WEB_DIR / "assets").glob("*.js")
    }
    emit("first_page_js_gzip_kb", round(sum(sizes[f] for f in first) / 1024, 1), "<= 150")
    routes = {
        k: v for k, v in sizes.items() if k not in first and not Path(k).name.startswith("hls")
    }
    biggest = max(routes, key=lambda k: routes[k])
    emit("largest_route_chunk_gzip_kb", round(routes[biggest] / 1024, 1), "<= 60", chunk=biggest)
    player = [v for k, v in sizes.items() if Path(k).name.startswith("hls")]
    if player:
        emit("player_chunk_gzip_kb", round(player[0] / 1024, 1), "on demand (Play)")


def write_catalog(folder: Path, channels: int, days: int) -> tuple[Path, Path, int]:
    """An M3U of ``channels`` channels and an XMLTV with ``days`` days of 30-90 minute shows."""
    m3u = folder / "bench.m3u"
    lines = ["#EXTM3U"]
    for i in range(channels):
        lines.append(f'#EXTINF:-1 tvg-id="bench{i}.us" tvg-chno="{i + 1}",Bench Channel {i:04d}')
        lines.append(f"http://127.0.0.1:9/live/{i}.ts")
    m3u.write_text("\n".join(lines) + "\n")

    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    end = start + timedelta(days=days + 1)
    xml = folder / "bench.xml"
    count = 0
    with xml.open("w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<tv>\n')
        for i in range(channels):
            out.write(
                f'<channel id="bench{i}.us"><display-name>Bench Channel {i:04d}</display-name></channel>\n'
            )
        fmt = "%Y%m%d%H%M%S +0000"
        for i in range(channels):
            t = start
            n = 0
            while t < end:
                length = timedelta(minutes=30 * (1 + (i + n) % 3))
                title = f"{SHOWS[(i + n) % len(SHOWS)]} {n}"
                out.write(
                    f'<programme start="{t.strftime(fmt)}" stop="{(t + length).strftime(fmt)}" '
                    f'channel="bench{i}.us"><title>{title}</title>'
                    f"<desc>Programme {n} on channel {i}.</desc></programme>\n"
                )
                t += length
                n += 1
                count += 1
        out.write("</tv>\n")
    return m3u, xml, count


def seed_movies(data_dir: Path, movies: int) -> None:
    asyncio.run(_migrate(data_dir / "strmline.db"))
    engine = sa.create_engine(f"sqlite:///{data_dir / 'strmline.db'}")
    now = utcnow()
    try:
        with engine.begin() as conn:
            rows = [
                {
                    "title": f"Bench Movie {i:05d}",
                    "search_title": f"bench movie {i:05d}",
                    "match_key": f"bench movie {i:05d} {1950 + i % 75}",
                    "year": 1950 + i % 75,
                    "category": "Bench",
                    "poster": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(movies)
            ]
            for start in range(0, len(rows), 5000):
                conn.execute(sa.insert(VodMovie), rows[start : start + 5000])
    finally:
        engine.dispose()


def wait_job(http: httpx.Client, job_id: int, seconds: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, Any] = http.get(f"/api/jobs/{job_id}").json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.5)
    raise RuntimeError(f"job {job_id} did not finish in {seconds} s")


def load_guide(http: httpx.Client, m3u: Path, xml: Path) -> None:
    provider = http.post("/api/providers", json={"name": "Bench", "kind": "m3u", "url": str(m3u)})
    provider.raise_for_status()
    sync = http.post(f"/api/providers/{provider.json()['id']}/sync").json()
    job = wait_job(http, sync["job_id"])
    print(f"# sync: {job['state']} {job.get('message')}", file=sys.stderr)
    source = http.post("/api/epg/sources", json={"url": str(xml), "name": "Bench"})
    source.raise_for_status()
    refresh = http.post(f"/api/epg/sources/{source.json()['id']}/refresh").json()
    job = wait_job(http, refresh["job_id"])
    print(f"# guide import: {job['state']} {job.get('message')}", file=sys.stderr)


# Scrolls the element one step per animation frame and records each frame's length and the
# largest number of rows and programme (or poster) elements seen in the DOM.
SCROLL_JS = """
async ([selector, dx, dy, frames, itemSel]) => {
  const el = document.querySelector(selector);
  const deltas = []; let rows = 0; let items = 0;
  let last = await new Promise(requestAnimationFrame);
  for (let i = 0; i < frames; i++) {
    el.scrollTop += dy; el.scrollLeft += dx;
    const t = await new Promise(requestAnimationFrame);
    deltas.push(t - last); last = t;
    rows = Math.max(rows, el.querySelectorAll('[data-row]').length);
    items = Math.max(items, el.querySelectorAll(itemSel).length);
  }
  return { deltas, rows, items };
}
"""


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[18], 1) if len(values) > 20 else max(values)


def measure_pages(base: str, tokens: dict[str, str], days: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        # Logged in from the start: the tokens where the UI keeps them.
        stored = json.dumps({k: tokens[k] for k in ("access_token", "refresh_token")})
        page.add_init_script(
            f"window.localStorage.setItem('strmline.tokens', {json.dumps(stored)});"
        )
        nav = page.get_by_role("navigation", name="Main")

        page.goto(base + "/")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        started = time.monotonic()
        nav.get_by_role("link", name="TV guide").click()
        expect(page.locator(".guide-prog").first).to_be_visible(timeout=30_000)
        emit("guide_interactive_ms", round((time.monotonic() - started) * 1000), "<= 1000")

        started = time.monotonic()
        page.goto(base + "/guide")
        expect(page.locator(".guide-prog").first).to_be_visible(timeout=30_000)
        emit("guide_cold_load_ms", round((time.monotonic() - started) * 1000), "<= 1000")

        scroll = '[data-testid="guide-scroll"]'
        down = page.evaluate(SCROLL_JS, [scroll, 0, 40, 600, ".guide-prog"])
        side = page.evaluate(SCROLL_JS, [scroll, 40, 0, 120, ".guide-prog"])
        frames = down["deltas"] + side["deltas"]
        emit("guide_scroll_frame_p95_ms", p95(frames), "<= 20", frames=len(frames))
        emit("guide_max_rows_in_dom", down["rows"], "<= 300")
        emit("guide_max_programmes_in_dom", max(down["items"], side["items"]), "<= 300")

        day_ms = []
        for day in range(1, days):
            started = time.monotonic()
            page.get_by_label("Day").select_option(value=str(day))
            page.wait_for_function(
                f"() => location.search.includes('day={day}') && document.querySelector('.guide-prog')"
            )
            day_ms.append((time.monotonic() - started) * 1000)
        if day_ms:
            emit("guide_other_day_ms_max", round(max(day_ms)), "<= 1000", days=len(day_ms))

        page.goto(base + "/")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        started = time.monotonic()
        nav.get_by_role("link", name="Movies").click()
        expect(page.get_by_test_id("poster").first).to_be_visible(timeout=30_000)
        emit("movies_interactive_ms", round((time.monotonic() - started) * 1000), "<= 1000")
        grid = page.evaluate(
            SCROLL_JS, ['[data-testid="poster-scroll"]', 0, 300, 600, "[data-testid=poster]"]
        )
        emit("movies_scroll_frame_p95_ms", p95(grid["deltas"]), "<= 20")
        emit("movies_max_tiles_in_dom", grid["items"], "<= 300")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--movies", type=int, default=50_000)
    args = parser.parse_args()
    if not (WEB_DIR / "index.html").is_file():
        sys.exit("the web UI is not built: run `make web`")
    bundle_sizes()
    with tempfile.TemporaryDirectory(prefix="strmline-web-bench-") as tmp:
        data = Path(tmp)
        seed_movies(data, args.movies)
        sources = data / "sources"  # the only folder the server reads local playlists from
        sources.mkdir()
        m3u, xml, programmes = write_catalog(sources, args.channels, args.days)
        print(f"# {args.channels} channels, {programmes} programmes", file=sys.stderr)
        asyncio.run(serve_and_measure(data, m3u, xml, args.days))


async def serve_and_measure(data: Path, m3u: Path, xml: Path, days: int) -> None:
    # The environment of a user's shell: leftover STRMLINE_* settings stay out of the server.
    async with server(sqlite_url(data / "strmline.db"), data, env=clean_env()) as base:
        # Playwright's sync API refuses to run on a thread whose event loop is running.
        await asyncio.to_thread(measure, base, m3u, xml, days)


def measure(base: str, m3u: Path, xml: Path, days: int) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        tokens: dict[str, str] = http.post("/api/setup", json=ADMIN).raise_for_status().json()
        http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
        load_guide(http, m3u, xml)
    measure_pages(base, tokens, days)


if __name__ == "__main__":
    main()
