"""Parse in a worker thread, batch by batch, into the staging table (small transactions)."""

from __future__ import annotations

import asyncio
import lzma
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Table, delete

from strmline.db.bulk import insert_rows
from strmline.db.models import EpgProgrammeStaging, EpgSource
from strmline.errors import FormatError
from strmline.formats.xmltv import XmltvChannel, XmltvParser
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.epg.repair import Repair, take_rows
from strmline.providers import epg as epg_fetch

STAGING = cast(Table, EpgProgrammeStaging.__table__)


async def stage(
    ctx: PipelineContext,
    source: EpgSource,
    path: Path,
    shown: str,
    window: tuple[datetime, datetime],
) -> tuple[dict[str, XmltvChannel], Repair, XmltvParser]:
    await clear_staging(ctx, source.id)
    repair = Repair(source.id, timedelta(minutes=source.offset_minutes or 0), window)
    channels: dict[str, XmltvChannel] = {}
    # lxml trees must stay on the thread that parses them: one dedicated thread, not the pool.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="strmline-xmltv")
    loop = asyncio.get_running_loop()
    settings = ctx.settings
    opened = partial(
        epg_fetch.open_guide,
        path,
        max_bytes=settings.epg.max_xml_mb * 1_000_000,
        max_ratio=settings.http.max_compression_ratio,
        source=shown,
    )
    stream = await loop.run_in_executor(executor, opened)
    staged = 0
    parser = XmltvParser(stream, source=shown)
    items = iter(parser)
    try:
        done = False
        while not done:
            ctx.check_cancelled()
            try:
                rows, done = await loop.run_in_executor(
                    executor, take_rows, items, repair, channels, ctx.settings.epg.batch_size
                )
            except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
                raise FormatError(
                    f"corrupt or truncated compressed data near line {parser.last_line} ({exc})",
                    source=shown,
                ) from None
            if repair.read + parser.stats.skipped > settings.epg.max_programmes:
                raise FormatError(
                    f"the guide has more than {settings.epg.max_programmes:,} programmes "
                    "(limit); refused",
                    source=shown,
                )
            if rows:
                async with ctx.session_factory() as session, session.begin():
                    staged += await insert_rows(session, STAGING, rows, batch=len(rows))
            await ctx.report(
                staged,
                None,
                f"{source.name}: {staged:,} programmes, {parser.bytes_read / 1e6:.0f} MB",
            )
    finally:
        await loop.run_in_executor(executor, _close, items, stream)
        executor.shutdown(wait=False)
    if not channels and not staged:
        raise FormatError("no channels and no programmes in the guide", source=shown)
    return channels, repair, parser


def _close(items: Iterator[Any], stream: IO[bytes]) -> None:
    close = getattr(items, "close", None)
    if close is not None:
        close()
    stream.close()


async def clear_staging(ctx: PipelineContext, source_id: int) -> None:
    async with ctx.session_factory() as session, session.begin():
        await session.execute(
            delete(EpgProgrammeStaging).where(EpgProgrammeStaging.source_id == source_id)
        )
