"""The home page's numbers: a fixed handful of aggregate queries, whatever the catalog's size."""

from __future__ import annotations

from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel, Job, Stream, VodEpisode, VodMovie, VodSeries
from strmline.formats.redact import redact_text
from strmline.services import channels as channel_service
from strmline.services import providers as provider_service

HEALTH_STATES = ("ok", "slow", "failed", "unknown")
RECENT_JOBS = 10
RUNNING_JOBS = 50


async def summary(*, session: AsyncSession) -> dict[str, Any]:
    """Counts, per-provider state, stream health and VOD totals in four statements."""
    health = dict.fromkeys(HEALTH_STATES, 0) | {"inactive": 0}
    streams = active = working = unchecked = 0
    rows = await session.execute(
        select(Stream.status, Stream.active, func.count())
        .where(Stream.removed_at.is_(None))
        .group_by(Stream.status, Stream.active)
    )
    for status, is_active, n in rows:
        streams += n
        # "active" only means not deactivated: a stream never checked is active too, so only
        # a passed last check counts as working (the same rule as the channel list).
        match channel_service.stream_state(bool(is_active), status):
            case "working":
                working += n
            case "unchecked":
                unchecked += n
        if is_active:
            active += n
        else:
            health["inactive"] += n
        health[status if status in HEALTH_STATES else "unknown"] += n

    channels, categories = (
        await session.execute(
            select(func.count(), func.count(distinct(Channel.category))).where(
                Channel.stream_count > 0
            )
        )
    ).one()

    vod = (
        await session.execute(
            select(
                _count(VodMovie).label("movies"),
                _count(VodSeries).label("series"),
                _count(VodEpisode).label("episodes"),
            )
        )
    ).one()

    providers = [
        {
            "id": p.id,
            "name": p.name,
            "kind": p.kind,
            "enabled": p.enabled,
            "last_sync_at": p.last_sync_at,
            "last_sync_status": p.last_sync_status,
            "last_sync_message": redact_text(p.last_sync_message or "", [p.password]) or None,
            "stream_count": n,
            # What the provider listed at its last good sync (a refused fetch leaves it as is).
            "entries": p.last_good_entries,
        }
        for p, n in await provider_service.list_all(session=session)
    ]
    return {
        "counts": {
            "providers": len(providers),
            "channels": int(channels),
            "streams": streams,
            "active_streams": active,
            "working_streams": working,
            "unchecked_streams": unchecked,
            "failed_streams": health["failed"],
            "categories": int(categories),
        },
        "providers": providers,
        "health": health,
        "vod": {
            "movies": int(vod.movies),
            "series": int(vod.series),
            "episodes": int(vod.episodes),
        },
    }


def _count(model: type[VodMovie] | type[VodSeries] | type[VodEpisode]) -> Any:
    return (
        select(func.count()).select_from(model).where(model.removed_at.is_(None)).scalar_subquery()
    )


async def list_jobs(*, session: AsyncSession) -> tuple[list[Job], list[Job]]:
    """The queued and running jobs, newest first, and the last few finished: two indexed reads.

    Not part of :func:`summary`'s cached numbers: jobs change by the second.
    """
    running = await session.scalars(
        select(Job)
        .where(Job.state.in_(("queued", "running")))
        .order_by(Job.id.desc())
        .limit(RUNNING_JOBS)
    )
    recent = await session.scalars(
        select(Job)
        .where(Job.state.in_(("succeeded", "failed", "cancelled")))
        .order_by(Job.id.desc())
        .limit(RECENT_JOBS)
    )
    return list(running), list(recent)
