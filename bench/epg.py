"""Guide benchmark: generate an XMLTV of 2,000 channels × 7 days, import it, read it back.

    .venv/bin/python bench/epg.py [--channels 2000] [--days 7] [--postgres URL]

Prints one JSON line per measurement (epg_import, epg_now_next, epg_output). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
from sqlalchemy import text

from strmline.config import Settings
from strmline.db.engine import create_engine, make_session_factory
from strmline.db.migrate import upgrade
from strmline.formats.xmltv import channel_element, programme_element
from strmline.pipelines import epg
from strmline.pipelines.context import PipelineContext
from strmline.services import epg_guide, epg_sources

WORDS = [
    "news",
    "live",
    "morning",
    "evening",
    "late",
    "show",
    "world",
    "sport",
    "report",
    "weekly",
    "special",
    "drama",
    "kids",
]
DESC = (
    "A long description of the programme, as real guides carry: who is in it, what happens in "
    "this episode, where it was filmed and why anyone should stay up for it. "
)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, channels: int, days: int, start: datetime) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<tv generator-info-name="bench">\n')
        for c in range(channels):
            out.write(channel_element(f"ch{c}.bench", [f"Bench Channel {c}"], None))
        for c in range(channels):
            t = start
            end = start + timedelta(days=days)
            n = 0
            while t < end:
                length = timedelta(minutes=(30, 60, 90)[(c + n) % 3])
                word = WORDS[(c * 7 + n) % len(WORDS)]
                out.write(
                    programme_element(
                        f"ch{c}.bench",
                        t,
                        t + length,
                        f"{word.title()} {n}",
                        sub_title=f"Episode {n % 20 + 1}",
                        desc=DESC,
                        categories=[word],
                        episode_num=f"0.{n % 20}.",
                        episode_onscreen=f"S01E{n % 20 + 1:02d}",
                    )
                )
                t += length
                n += 1
                count += 1
        out.write("</tv>\n")
    return count


def emit(**fields: object) -> None:
    sys.stdout.write(orjson.dumps(fields).decode() + "\n")
    sys.stdout.flush()


async def run(url: str, xml: Path, programmes: int, start: datetime, label: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    factory = make_session_factory(engine)
    settings = Settings(data_dir=xml.parent, sources_dir=xml.parent)  # reads the guide there
    ctx = PipelineContext(session_factory=factory, settings=settings)
    async with factory() as session, session.begin():
        source = await epg_sources.create(session=session, url=str(xml), name="bench")
        source_id = source.id
    began = time.perf_counter()
    result = await epg.import_source(ctx, source_id=source_id, now=start)
    seconds = time.perf_counter() - began
    emit(
        bench="epg_import",
        db=label,
        programmes=result.programmes,
        generated=programmes,
        seconds=round(seconds, 2),
        programmes_per_s=round(result.programmes / seconds),
        peak_rss_mb=round(peak_rss_mb(), 1),
        status=result.status,
    )
    # 1000 channels, each linked to one guide channel.
    async with factory() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO channels (name, search_name, match_key, enabled, manual, stream_count,"
                " active_stream_count, epg_channel_id, epg_manual, created_at, updated_at) "
                "SELECT 'Bench ' || id, 'bench', 'bench', true, false, 1, 1, id, true,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM epg_channels WHERE source_id = :s"
                " ORDER BY id LIMIT 1000"
            ),
            {"s": source_id},
        )
    async with factory() as session:
        ids = list((await session.execute(text("SELECT id FROM channels ORDER BY id"))).scalars())
        at = start + timedelta(days=3, minutes=17)
        await epg_guide.now_next(session, now=at, channel_ids=ids)  # warm the cache
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            rows = await epg_guide.now_next(session, now=at, channel_ids=ids)
            runs.append((time.perf_counter() - t0) * 1000)
        emit(bench="epg_now_next", db=label, channels=len(rows), ms=round(min(runs), 2))
    from strmline.api.outputs.xmltv import render_guide
    from strmline.services.guide_export import GuideExport

    async with factory() as session:
        t0 = time.perf_counter()
        size = 0
        guide = GuideExport(session, start=start, days=7, first_free_number=1, page_size=2000)
        async for chunk in render_guide(guide):
            size += len(chunk)
        emit(bench="epg_output", db=label, seconds=round(time.perf_counter() - t0, 2), bytes=size)
    await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=2000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--postgres", default=os.environ.get("STRMLINE_BENCH_POSTGRES_URL"))
    args = ap.parse_args()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="strmline-bench-epg-") as tmp:
        xml = Path(tmp) / "guide.xml"
        t0 = time.perf_counter()
        programmes = generate(xml, args.channels, args.days, start)
        emit(
            bench="epg_generate",
            programmes=programmes,
            bytes=xml.stat().st_size,
            seconds=round(time.perf_counter() - t0, 2),
        )
        asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", xml, programmes, start, "sqlite"))
        if args.postgres:
            asyncio.run(run(args.postgres, xml, programmes, start, "postgresql"))


if __name__ == "__main__":
    main()
