"""A big catalog written straight into SQLite, before the server starts (no sync, no HTTP)."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import insert

from strmline.db.base import utcnow
from strmline.db.engine import create_engine
from strmline.db.migrate import upgrade
from strmline.db.models import Channel, Provider
from strmline.matching.names import normalize
from tests.dbutil import sqlite_url

WORDS = [
    "News",
    "Sport",
    "Movies",
    "Kids",
    "Music",
    "Docs",
    "Comedy",
    "Drama",
    "Nature",
    "History",
    "Science",
    "Travel",
    "Food",
    "Cinema",
    "Action",
    "Family",
    "World",
    "Arena",
    "Prime",
    "Gold",
]
COUNTRIES = ["US", "UK", "CA", "DE", "FR", "ES", "IT", "NL"]
CATEGORIES = ["News", "Sports", "Movies", "Kids", "Music", "Documentary", "Entertainment"]
QUALITIES = ["SD", "HD", "FHD", "UHD"]
BATCH = 5000


def channel_rows(count: int, seed: int = 0) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    now = utcnow()
    rows = []
    words = {(a, b): normalize(f"{a} {b}") for a in WORDS for b in WORDS}  # normalize once per pair
    for i in range(count):
        a, b = rnd.choice(WORDS), rnd.choice(WORDS)
        key = f"{words[a, b]} {i:06d}"
        streams = rnd.randint(1, 4)
        rows.append(
            {
                "name": f"{a} {b} {i:06d}",
                "search_name": key,
                "match_key": key,
                "country": rnd.choice(COUNTRIES),
                "category": rnd.choice(CATEGORIES),
                "number": float(i + 1),
                "logo": None,
                "enabled": True,
                "manual": False,
                "stream_count": streams,
                "active_stream_count": rnd.randint(0, streams),
                "best_quality": rnd.choice(QUALITIES),
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def _migrate(db: Path) -> None:
    engine = create_engine(sqlite_url(db))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def _insert(db: Path, count: int) -> None:
    # The synchronous driver: one executemany per batch without a thread hop per call.
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(Provider),
                [{"name": "Seeded", "kind": "m3u", "url": "http://127.0.0.1:9/none.m3u"}],
            )
            rows = channel_rows(count)
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(Channel), rows[start : start + BATCH])
    finally:
        engine.dispose()


def seed_channels(data_dir: Path, count: int = 100_000) -> None:
    """Migrate ``data_dir``'s SQLite database and insert ``count`` channels in batches.

    Runs in a thread of its own: Playwright's sync API keeps an event loop in the test thread.
    """
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_migrate(data_dir / "strmline.db"))
            _insert(data_dir / "strmline.db", count)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run, name="seed")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
