"""Live channels (the ``process`` layout): ``Live TV/[Category/]Name.strm``, one per channel.

A file holds the channel's ``/play`` URL, or with ``url_mode=direct`` its best stream's
provider URL, followed by the headers the provider wants the Kodi way (``url|User-Agent=…``)
when ``kodi_headers`` asks (Jellyfin and Emby would read the suffix as part of the URL).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel
from strmline.formats.names import safe_name
from strmline.formats.playurls import kodi_url
from strmline.pipelines.strm.library import LibraryRun, unique_paths
from strmline.services.playhints import stream_hints

LIVE_DIR = "Live TV"
# Channels whose best stream is looked up per statement (direct mode): a bounded IN-list.
DIRECT_BATCH = 2000


async def _direct_urls(session: AsyncSession, run: LibraryRun, ids: list[int]) -> dict[int, str]:
    """channel id → its best stream's provider URL (with Kodi headers when asked)."""
    urls: dict[int, str] = {}
    for start in range(0, len(ids), DIRECT_BATCH):
        hints = await stream_hints(session, ids[start : start + DIRECT_BATCH])
        for channel_id, channel in hints.items():
            best = channel.best
            if best is not None:
                urls[channel_id] = (
                    kodi_url(best.url, best.headers) if run.opts.kodi_headers else best.url
                )
    return urls


async def write_live(session: AsyncSession, run: LibraryRun) -> None:
    """One file per enabled channel that has streams (a playable one, direct), by name."""
    opts = run.opts
    channels = (
        await session.execute(
            select(Channel.id, Channel.name, Channel.category).where(
                Channel.enabled.is_(True), Channel.stream_count > 0
            )
        )
    ).all()
    direct = await _direct_urls(session, run, [c.id for c in channels]) if run.direct else {}
    live_paths = unique_paths(
        channels,
        lambda r: (
            safe_name(r.category or "", fallback="Uncategorized") if opts.live_by_category else ""
        ),
        lambda r: safe_name(r.name),
    )
    for channel in channels:
        if run.direct:
            url = direct.get(channel.id)
            if url is None:
                continue  # nothing playable right now: no file rather than a dead one
        else:
            url = f"{run.base}/play/{channel.id}?token={run.token}"
        rel = PurePosixPath(LIVE_DIR) / live_paths[channel.id]
        rel = rel.with_name(f"{rel.name}.strm")
        run.library.write(rel, f"{url}\n")
        run.result.live += 1
