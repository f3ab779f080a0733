"""Live channels (the ``process`` layout): ``Live TV/[Category/]Name.strm``, one per channel."""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel
from strmline.formats.names import safe_name
from strmline.pipelines.strm.library import LibraryRun, unique_paths

LIVE_DIR = "Live TV"


async def write_live(session: AsyncSession, run: LibraryRun) -> None:
    """One file per enabled channel that has streams, by display name."""
    opts = run.opts
    channels = (
        await session.execute(
            select(Channel.id, Channel.name, Channel.category).where(
                Channel.enabled.is_(True), Channel.stream_count > 0
            )
        )
    ).all()
    live_paths = unique_paths(
        channels,
        lambda r: (
            safe_name(r.category or "", fallback="Uncategorized") if opts.live_by_category else ""
        ),
        lambda r: safe_name(r.name),
    )
    for channel in channels:
        rel = PurePosixPath(LIVE_DIR) / live_paths[channel.id]
        rel = rel.with_name(f"{rel.name}.strm")
        run.library.write(rel, f"{run.base}/play/{channel.id}?token={run.token}\n")
        run.result.live += 1
