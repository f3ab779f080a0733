"""The guide import: one source's XMLTV into staging, then swapped in one short transaction.

fetch (to a temp file) → parse in a worker thread, batch by batch → repair times per channel
(offset, missing stop, overlaps, stop before start, retention) → staging rows in small
transactions → swap: upsert the source's guide channels, replace its programmes from staging
→ match channels to guide channels.

Readers see the old guide until the swap commits and the new one after; a fetch or parse that
fails (network, truncated file, garbage) never reaches the swap, so the previous guide stays.
"""

from __future__ import annotations

import asyncio
import logging
import lzma
import tempfile
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Table, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.bulk import insert_rows
from strmline.db.models import (
    Channel,
    EpgChannel,
    EpgProgramme,
    EpgProgrammeStaging,
    EpgSource,
    Provider,
)
from strmline.errors import FormatError, NotFound, StrmlineError
from strmline.formats.xmltv import MAX_DURATION, XmltvChannel, XmltvParser, XmltvProgramme
from strmline.formats.xtream import xmltv_url
from strmline.matching.names import normalize, parse_name
from strmline.pipelines.context import PipelineContext
from strmline.providers import epg as epg_fetch
from strmline.providers.http import redact_text, redact_url
from strmline.services import epg_match

log = logging.getLogger(__name__)

STAGING = cast(Table, EpgProgrammeStaging.__table__)
CHANNELS = cast(Table, EpgChannel.__table__)


@dataclass
class ImportResult:
    source: str
    source_id: int
    status: str  # ok | unchanged | failed
    channels: int = 0
    programmes: int = 0
    # Every programme element read ends in exactly one place: kept (``programmes``, of which
    # ``repaired`` counts those changed, each under its first repair) or in one ``dropped``
    # reason, so ``read == programmes + sum(dropped.values())``.
    read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    pruned: int = 0  # ended programmes removed from an unchanged guide
    errors: int = 0
    matched: int = 0
    seconds: float = 0.0
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class EpgImportFailed(StrmlineError):
    code = "epg_import_failed"


class _Pending:
    """A staging row waiting for the next programme of its channel, and its first repair."""

    __slots__ = ("fix", "row")

    def __init__(self, row: dict[str, Any], fix: str | None) -> None:
        self.row = row
        self.fix = fix


class _Repair:
    """Per-channel time repair while streaming; holds one pending programme per channel.

    A programme is written once the next one of its channel is seen: only then is it known where
    it really ends (missing stop, overlap with the next). Inputs are grouped by channel in
    practice; a programme out of order is kept as it is and counted.

    Each programme is counted once: in ``dropped`` under the reason it was dropped for, or, when
    kept, in ``repaired`` under the first repair it needed (or nowhere when it needed none).
    """

    def __init__(self, source_id: int, offset: timedelta, window: tuple[datetime, datetime] | None):
        self.source_id = source_id
        self.offset = offset
        self.window = window
        self.pending: dict[str, _Pending] = {}
        self.dropped: dict[str, int] = {}
        self.repaired: dict[str, int] = {}
        self.read = 0
        self.channel_ids: set[str] = set()

    def _drop(self, reason: str) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + 1

    def feed(self, p: XmltvProgramme, out: list[dict[str, Any]]) -> None:
        self.read += 1
        start = p.start + self.offset
        stop = p.stop + self.offset if p.stop is not None else None
        fix = "unreadable_stop" if p.stop_unreadable else None
        if stop is not None and stop <= start:
            fix = "stop_before_start"
            stop = None  # ends where the next one starts, or is dropped with the last ones
        row = {
            "source_id": self.source_id,
            "xmltv_id": p.channel,
            "start": start,
            "stop": stop,
            "title": p.title,
            "sub_title": p.sub_title,
            "description": p.desc,
            "categories": list(p.categories) or None,
            "episode_num": p.episode_num,
            "episode_onscreen": p.episode_onscreen,
            "icon": p.icon,
            "rating": p.rating,
        }
        self.channel_ids.add(p.channel)
        current = _Pending(row, fix)
        prev = self.pending.get(p.channel)
        self.pending[p.channel] = current
        if prev is None:
            return
        before = prev.row
        if start >= before["start"]:
            if before["stop"] is None:
                before["stop"] = start
            elif before["stop"] > start:
                prev.fix = prev.fix or "overlap_trimmed"
                before["stop"] = start
            if before["stop"] <= before["start"]:
                self._drop("duplicate_start")  # the next one starts at the same time
                return
        else:
            # The document went back in time: this one is kept as it is, unchecked.
            current.fix = current.fix or "out_of_order"
            if before["stop"] is None:
                self._drop("no_stop")  # nothing after it tells where it ends
                return
        self._emit(prev, out)

    def _emit(self, pending: _Pending, out: list[dict[str, Any]]) -> None:
        row = pending.row
        if row["stop"] - row["start"] > MAX_DURATION:
            row["stop"] = row["start"] + MAX_DURATION
            pending.fix = pending.fix or "longer_than_24h"
        if self.window is not None:
            earliest, latest = self.window
            if row["stop"] <= earliest or row["start"] >= latest:
                self._drop("outside_retention")
                return
        out.append(row)
        if pending.fix is not None:
            self.repaired[pending.fix] = self.repaired.get(pending.fix, 0) + 1

    def flush(self, out: list[dict[str, Any]]) -> None:
        for pending in self.pending.values():
            if pending.row["stop"] is None:
                self._drop("no_stop")  # the last programme of a channel without a stop
            else:
                self._emit(pending, out)
        self.pending.clear()


def _take(
    items: Iterator[XmltvChannel | XmltvProgramme],
    repair: _Repair,
    channels: dict[str, XmltvChannel],
    size: int,
) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``size`` staging rows (runs in a worker thread); True when the document ended."""
    rows: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, XmltvProgramme):
            repair.feed(item, rows)
            if len(rows) >= size:
                return rows, False
        elif item.id in channels:
            known = channels[item.id]
            names = known.display_names + tuple(
                n for n in item.display_names if n not in known.display_names
            )
            channels[item.id] = XmltvChannel(item.id, names, known.icon or item.icon, known.line)
        else:
            channels[item.id] = item
    repair.flush(rows)
    return rows, True


async def resolve_url(session: AsyncSession, source: EpgSource) -> tuple[str, list[str]]:
    """The URL to fetch (credentials included) and the secrets to hide in messages."""
    if source.kind in ("xtream", "m3u_header"):
        provider = await session.get(Provider, source.provider_id) if source.provider_id else None
        if provider is None:
            raise NotFound("the provider of this guide source no longer exists")
        secrets = [s for s in (provider.password, provider.username) if s]
        if source.kind == "xtream":
            url = xmltv_url(provider.url, provider.username or "", provider.password or "")
            return url, secrets
        if not provider.epg_url:
            raise NotFound("the provider's playlist no longer names a guide (x-tvg-url)")
        return provider.epg_url, secrets
    return source.url, []


def _failure(name: str, shown: str, exc: StrmlineError, secrets: list[str]) -> str:
    """ "NAME (URL): reason", the URL redacted and named once."""
    reason = redact_text(str(exc), secrets)
    for prefix in (f"{shown}: ", f"{exc.source}: " if exc.source else None):
        if prefix and reason.startswith(prefix):
            reason = reason[len(prefix) :]
    return f"{name} ({shown}): {reason}"


async def import_source(
    ctx: PipelineContext,
    *,
    source_id: int,
    force: bool = False,
    now: datetime | None = None,
    match: bool = True,
) -> ImportResult:
    """Import one source. ``match``: link channels to guides afterwards (also when the guide
    is unchanged: sources may have come or gone since); a caller importing several sources
    passes False and matches once at the end."""
    started = time.monotonic()
    settings = ctx.settings.epg
    async with ctx.session_factory() as session:
        source = await session.get(EpgSource, source_id)
        if source is None:
            raise NotFound(f"no guide source with id {source_id}")
        session.expunge(source)
        try:
            url, secrets = await resolve_url(session, source)
        except StrmlineError as exc:
            result = ImportResult(
                source.name, source.id, "failed", message=_failure(source.name, source.url, exc, [])
            )
            return await _finish(ctx, source, result, started, None)
    result = ImportResult(source=source.name, source_id=source.id, status="failed")
    shown = redact_url(url, secrets)
    now = now or utcnow()
    window = (
        now - timedelta(days=settings.past_days),
        now + timedelta(days=settings.future_days),
    )
    await ctx.report(0, None, f"{source.name}: fetching")
    with tempfile.TemporaryDirectory(prefix="strmline-epg-") as tmp:
        try:
            path, content_hash = await _fetch(ctx, url, secrets, Path(tmp), source.name)
        except StrmlineError as exc:
            result.message = _failure(source.name, shown, exc, secrets)
            return await _finish(ctx, source, result, started, None)
        if content_hash == source.content_hash and source.last_status == "ok" and not force:
            # Nothing to parse, but the retention window has moved since the last import.
            async with ctx.session_factory() as session, session.begin():
                result.pruned = await _prune(session, source.id, window[0])
            result.status = "unchanged"
            result.channels = source.channel_count
            result.programmes = max(source.programme_count - result.pruned, 0)
            result.message = f"{source.name}: guide unchanged since the last import"
            if result.pruned:
                result.message += f"; {result.pruned:,} ended programmes removed"
            await _match(ctx, result, match)
            return await _finish(ctx, source, result, started, content_hash)
        try:
            channels, repair, parser = await _stage(ctx, source, path, shown, window)
        except StrmlineError as exc:
            await _clear_staging(ctx, source.id)
            result.message = f"{_failure(source.name, shown, exc, secrets)}; previous guide kept"
            return await _finish(ctx, source, result, started, None)
    result.errors = parser.stats.errors
    result.read = repair.read + parser.stats.skipped
    result.dropped = dict(sorted(repair.dropped.items()))
    if parser.stats.skipped:
        result.dropped["no_channel_or_start"] = parser.stats.skipped
    result.repaired = dict(sorted(repair.repaired.items()))
    await ctx.report(0, None, f"{source.name}: swapping in the new guide")
    async with ctx.session_factory() as session, session.begin():
        result.channels, result.programmes = await _swap(session, source.id, channels, repair)
    await _clear_staging(ctx, source.id)
    result.status = "ok"
    notes = f", {parser.stats.errors:,} XML errors recovered" if parser.stats.errors else ""
    result.message = (
        f"{source.name}: {result.channels:,} channels, {result.programmes:,} programmes{notes}"
    )
    await _match(ctx, result, match)
    return await _finish(ctx, source, result, started, content_hash)


async def _match(ctx: PipelineContext, result: ImportResult, match: bool) -> None:
    if match:
        result.matched = await match_all(ctx)


async def match_all(ctx: PipelineContext) -> int:
    """Link every channel not assigned by hand to its best guide; the number linked."""
    async with ctx.session_factory() as session, session.begin():
        stats = await epg_match.match_channels(session, threshold=ctx.settings.epg.fuzzy_threshold)
    return stats.matched


async def _prune(session: AsyncSession, source_id: int, earliest: datetime) -> int:
    """Remove the source's programmes that ended before the retention window."""
    res = await session.execute(
        delete(EpgProgramme)
        .where(
            EpgProgramme.stop <= earliest,
            EpgProgramme.epg_channel_id.in_(
                select(EpgChannel.id).where(EpgChannel.source_id == source_id)
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


async def _fetch(
    ctx: PipelineContext, url: str, secrets: list[str], tmp: Path, name: str
) -> tuple[Path, str]:
    if not epg_fetch.is_remote(url):
        path = epg_fetch.local_path(url)
        return path, await asyncio.to_thread(epg_fetch.file_hash, path)
    latest = [0]
    async with ctx.http_client() as client:
        path = tmp / "guide"
        digest = await epg_fetch.download(
            client,
            url,
            path,
            max_bytes=ctx.settings.epg.max_download_mb * 1_000_000,
            secrets=secrets,
            on_progress=lambda n: latest.__setitem__(0, n),
        )
        await ctx.report(0, None, f"{name}: downloaded {latest[0] / 1e6:.1f} MB")
        return path, digest


async def _stage(
    ctx: PipelineContext,
    source: EpgSource,
    path: Path,
    shown: str,
    window: tuple[datetime, datetime],
) -> tuple[dict[str, XmltvChannel], _Repair, XmltvParser]:
    await _clear_staging(ctx, source.id)
    repair = _Repair(source.id, timedelta(minutes=source.offset_minutes or 0), window)
    channels: dict[str, XmltvChannel] = {}
    # lxml trees must stay on the thread that parses them: one dedicated thread, not the pool.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="strmline-xmltv")
    loop = asyncio.get_running_loop()
    stream = await loop.run_in_executor(executor, epg_fetch.open_guide, path)
    staged = 0
    parser = XmltvParser(stream, source=shown)
    items = iter(parser)
    try:
        done = False
        while not done:
            ctx.check_cancelled()
            try:
                rows, done = await loop.run_in_executor(
                    executor, _take, items, repair, channels, ctx.settings.epg.batch_size
                )
            except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
                raise FormatError(
                    f"corrupt or truncated compressed data near line {parser.last_line} ({exc})",
                    source=shown,
                ) from None
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


async def _clear_staging(ctx: PipelineContext, source_id: int) -> None:
    async with ctx.session_factory() as session, session.begin():
        await session.execute(
            delete(EpgProgrammeStaging).where(EpgProgrammeStaging.source_id == source_id)
        )


def _match_key(names: tuple[str, ...], xmltv_id: str) -> str:
    return normalize(parse_name(names[0] if names else xmltv_id).display)[:300]


async def _swap(
    session: AsyncSession, source_id: int, channels: dict[str, XmltvChannel], repair: _Repair
) -> tuple[int, int]:
    """Upsert the source's guide channels and replace its programmes, set-based."""
    wanted: dict[str, tuple[list[str], str | None]] = {
        ident: (list(c.display_names) or [ident], c.icon) for ident, c in channels.items()
    }
    for ident in repair.channel_ids - wanted.keys():
        wanted[ident] = ([ident], None)  # programmes for a channel the document never declared
    existing = {
        row.xmltv_id: row
        for row in await session.execute(
            select(
                EpgChannel.id, EpgChannel.xmltv_id, EpgChannel.display_names, EpgChannel.icon
            ).where(EpgChannel.source_id == source_id)
        )
    }
    new = [
        {
            "source_id": source_id,
            "xmltv_id": ident,
            "display_names": names,
            "match_key": _match_key(tuple(names), ident),
            "icon": icon,
        }
        for ident, (names, icon) in wanted.items()
        if ident not in existing
    ]
    changed = [
        {
            "b_id": row.id,
            "b_names": wanted[ident][0],
            "b_key": _match_key(tuple(wanted[ident][0]), ident),
            "b_icon": wanted[ident][1],
        }
        for ident, row in existing.items()
        if ident in wanted
        and (row.display_names != wanted[ident][0] or row.icon != wanted[ident][1])
    ]
    gone = [row.id for ident, row in existing.items() if ident not in wanted]
    if new:
        await insert_rows(session, CHANNELS, new, batch=5000)
    if changed:
        await session.execute(
            update(CHANNELS)
            .where(CHANNELS.c.id == bindparam("b_id"))
            .values(
                display_names=bindparam("b_names"),
                match_key=bindparam("b_key"),
                icon=bindparam("b_icon"),
            ),
            changed,
        )
    if gone:
        # A guide channel somebody assigned by hand stays (without programmes) until they change it.
        manual = set(
            (
                await session.execute(
                    select(Channel.epg_channel_id).where(
                        Channel.epg_manual.is_(True), Channel.epg_channel_id.in_(gone)
                    )
                )
            ).scalars()
        )
        doomed = [i for i in gone if i not in manual]
        for start in range(0, len(doomed), 5000):
            await session.execute(
                delete(EpgChannel).where(EpgChannel.id.in_(doomed[start : start + 5000]))
            )
    await session.execute(
        text(
            "DELETE FROM epg_programmes WHERE epg_channel_id IN "
            "(SELECT id FROM epg_channels WHERE source_id = :s)"
        ),
        {"s": source_id},
    )
    inserted = await session.execute(
        text(
            "INSERT INTO epg_programmes (epg_channel_id, start, stop, title, sub_title, description,"
            " categories, episode_num, episode_onscreen, icon, rating) "
            "SELECT c.id, s.start, s.stop, s.title, s.sub_title, s.description, s.categories,"
            " s.episode_num, s.episode_onscreen, s.icon, s.rating "
            "FROM epg_programme_staging s JOIN epg_channels c"
            " ON c.source_id = s.source_id AND c.xmltv_id = s.xmltv_id "
            "WHERE s.source_id = :s"
        ),
        {"s": source_id},
    )
    return len(wanted), int(getattr(inserted, "rowcount", 0) or 0)


async def _finish(
    ctx: PipelineContext,
    source: EpgSource,
    result: ImportResult,
    started: float,
    content_hash: str | None,
) -> ImportResult:
    result.seconds = round(time.monotonic() - started, 3)
    values: dict[str, Any] = {
        "last_import_at": utcnow(),
        "last_status": result.status,
        "last_message": result.message[:2000],
    }
    if result.status != "failed":
        values.update(channel_count=result.channels, programme_count=result.programmes)
        values["content_hash"] = content_hash
    async with ctx.session_factory() as session, session.begin():
        await session.execute(update(EpgSource).where(EpgSource.id == source.id).values(**values))
    return result


async def epg_import_job(
    ctx: PipelineContext,
    *,
    source_id: int | None = None,
    source_ids: list[int] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Job entry point: one source, the given ones (the scheduler's), or every enabled one
    (automatic sources refreshed first). Channels are matched once, after the last import.

    One failed source fails a single-source job; of several, the job fails only when all did,
    and its message names each failed source and its (redacted) URL.
    """
    from strmline.services import epg_sources

    if source_id is not None:
        result = await import_source(ctx, source_id=source_id, force=force)
        if result.status == "failed":
            raise EpgImportFailed(result.message, details=result.as_dict())
        return result.as_dict()
    if source_ids is None:
        async with ctx.session_factory() as session, session.begin():
            await epg_sources.ensure_auto_sources(session, ctx.settings)
            source_ids = await epg_sources.enabled_ids(session)
    results: list[ImportResult] = []
    for i in source_ids:
        try:
            results.append(await import_source(ctx, source_id=i, force=force, match=False))
        except NotFound:
            log.info("guide source %s was removed before its import", i)
    matched = await match_all(ctx)
    failed = [r for r in results if r.status == "failed"]
    summary = _summary(results, failed)
    await ctx.report(len(results), len(results), summary)
    out = {"sources": [r.as_dict() for r in results], "matched": matched, "message": summary}
    if results and len(failed) == len(results):
        raise EpgImportFailed(summary, details=out)
    return out


def _summary(results: list[ImportResult], failed: list[ImportResult]) -> str:
    if not results:
        return "no guide sources to import"
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    words = {"ok": "imported", "unchanged": "unchanged", "failed": "failed"}
    head = ", ".join(f"{n} {words.get(k, k)}" for k, n in counts.items())
    text = f"{len(results)} guide source(s): {head}"
    if failed:
        text += "; " + "; ".join(r.message for r in failed)
    return text
