"""The job: import one source (or all), record the outcome, match channels to guides."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from strmline.db.base import utcnow
from strmline.db.models import EpgSource
from strmline.errors import NotFound, StrmlineError
from strmline.formats.redact import redact_url
from strmline.formats.xmltv import XmltvParser
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.epg import guard
from strmline.pipelines.epg.fetch import failure_message, fetch_guide, resolve_url
from strmline.pipelines.epg.repair import Repair
from strmline.pipelines.epg.stage import clear_staging, stage
from strmline.pipelines.epg.swap import prune, swap
from strmline.services import epg_match

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    source: str
    source_id: int
    status: str  # ok | unchanged | refused | failed
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
                source.name,
                source.id,
                "failed",
                message=failure_message(source.name, source.url, exc, []),
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
            path, content_hash = await fetch_guide(ctx, url, secrets, Path(tmp), source.name)
        except StrmlineError as exc:
            result.message = failure_message(source.name, shown, exc, secrets)
            return await _finish(ctx, source, result, started, None)
        if content_hash == source.content_hash and source.last_status == "ok" and not force:
            await _unchanged(ctx, source, result, window[0])
            await _match(ctx, result, match)
            return await _finish(ctx, source, result, started, content_hash)
        try:
            channels, repair, parser = await stage(ctx, source, path, shown, window)
        except StrmlineError as exc:
            await clear_staging(ctx, source.id)
            result.message = (
                f"{failure_message(source.name, shown, exc, secrets)}; previous guide kept"
            )
            return await _finish(ctx, source, result, started, None)
    async with ctx.session_factory() as session:
        staged, on_air = await guard.staged_counts(session, source.id, now)
    refused = guard.refusal(source, staged, on_air, settings, force)
    if refused:
        await clear_staging(ctx, source.id)
        result.status = "refused"
        result.message = f"{source.name} ({shown}): {refused}"
        return await _finish(ctx, source, result, started, None)
    _count(result, repair, parser)
    await ctx.report(0, None, f"{source.name}: swapping in the new guide")
    async with ctx.session_factory() as session, session.begin():
        result.channels, result.programmes = await swap(session, source.id, channels, repair)
    await clear_staging(ctx, source.id)
    result.status = "ok"
    notes = f", {parser.stats.errors:,} XML errors recovered" if parser.stats.errors else ""
    result.message = (
        f"{source.name}: {result.channels:,} channels, {result.programmes:,} programmes{notes}"
    )
    await _match(ctx, result, match)
    return await _finish(ctx, source, result, started, content_hash)


async def _unchanged(
    ctx: PipelineContext, source: EpgSource, result: ImportResult, earliest: datetime
) -> None:
    """Nothing to parse, but the retention window has moved since the last import."""
    async with ctx.session_factory() as session, session.begin():
        result.pruned = await prune(session, source.id, earliest)
    result.status = "unchanged"
    result.channels = source.channel_count
    result.programmes = max(source.programme_count - result.pruned, 0)
    result.message = f"{source.name}: guide unchanged since the last import"
    if result.pruned:
        result.message += f"; {result.pruned:,} ended programmes removed"


def _count(result: ImportResult, repair: Repair, parser: XmltvParser) -> None:
    """Where every programme read went: kept, repaired, or dropped for a reason."""
    result.errors = parser.stats.errors
    result.read = repair.read + parser.stats.skipped
    result.dropped = dict(sorted(repair.dropped.items()))
    if parser.stats.skipped:
        result.dropped["no_channel_or_start"] = parser.stats.skipped
    result.repaired = dict(sorted(repair.repaired.items()))


async def _match(ctx: PipelineContext, result: ImportResult, match: bool) -> None:
    if match:
        result.matched = await match_all(ctx)


async def match_all(ctx: PipelineContext) -> int:
    """Link every channel not assigned by hand to its best guide; the number linked."""
    async with ctx.session_factory() as session, session.begin():
        stats = await epg_match.match_channels(session, threshold=ctx.settings.epg.fuzzy_threshold)
    return stats.matched


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
    if result.status not in ("failed", "refused"):
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
        if result.status in ("failed", "refused"):
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
    failed = [r for r in results if r.status in ("failed", "refused")]
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
    words = {"ok": "imported", "unchanged": "unchanged", "failed": "failed", "refused": "refused"}
    head = ", ".join(f"{n} {words.get(k, k)}" for k, n in counts.items())
    text = f"{len(results)} guide source(s): {head}"
    if failed:
        text += "; " + "; ".join(r.message for r in failed)
    return text
