"""What ``/output/xmltv`` shows: the lineup's channels that have programmes in a window, then
those programmes, read for a streamed document.

The XMLTV DTD puts every ``<channel>`` before any ``<programme>``, so :meth:`GuideExport.channels`
reads the lineup page by page once (one extra statement per page finds which channels have
programmes), and :meth:`GuideExport.programmes` then reads programmes in chunks of guide
channels, each chunk one range query on (epg_channel_id, start), streamed with ``yield_per``.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.models import Channel, EpgProgramme, EpgSource
from strmline.services import tuning

__all__ = ["GuideChannel", "GuideExport", "GuideProgramme", "guide_version", "open_guide"]

GUIDE_CHUNK = 500  # guide channels per programme query


class GuideChannel(NamedTuple):
    ident: str  # tuning.guide_id: the M3U's tvg-id of the channel
    name: str
    logo: str | None


class GuideProgramme(NamedTuple):
    """The columns of one programme, in this order (rows are read positionally)."""

    epg_channel_id: int
    start: datetime
    stop: datetime
    title: str
    sub_title: str | None
    description: str | None
    categories: list[str] | None
    icon: str | None
    episode_num: str | None
    episode_onscreen: str | None
    rating: str | None


def _in_window(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Programmes overlapping [start, end). The bound on ``start`` keeps this a range scan of
    (epg_channel_id, start): a programme that began over a day before ``start`` is left out."""
    p = EpgProgramme
    return (p.start >= start - timedelta(days=1), p.start < end, p.stop > start)


async def guide_version(session: AsyncSession, lineup_version: str) -> str:
    """Changes whenever the guide document may change (with the lineup's version, for ETags)."""
    guide = (
        await session.execute(
            select(
                func.max(EpgSource.last_import_at),
                func.sum(EpgSource.programme_count),
                func.count(EpgSource.id),
            )
        )
    ).one()
    links = (
        await session.execute(
            select(func.sum(Channel.epg_channel_id), func.count(Channel.epg_channel_id))
        )
    ).one()
    return f"{lineup_version}|{tuple(guide)}|{tuple(links)}"


class GuideExport:
    """Read :meth:`channels` to the end, then :meth:`programmes`."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        start: datetime,
        days: int,
        first_free_number: int,
        page_size: int = 2000,
        lineup_id: int | None = None,
    ) -> None:
        self.session = session
        self.start = start
        self.end = start + timedelta(days=days)
        self.first_free_number = first_free_number
        self.page_size = page_size
        self.lineup_id = lineup_id
        # guide channel → the output ids showing it (two lineup channels may share one guide).
        self._shown: dict[int, list[str]] = defaultdict(list)

    async def channels(self) -> AsyncIterator[list[GuideChannel]]:
        """The lineup's channels with programmes in the window, a page at a time, in order."""
        session, start, end = self.session, self.start, self.end
        seen: set[str] = set()
        async for page in tuning.iter_lineup(
            session,
            first_free_number=self.first_free_number,
            page_size=self.page_size,
            lineup_id=self.lineup_id,
        ):
            # Only channels with programmes in the window: a <channel> without any is an error
            # to tv_validate_file, and of no use to a media server.
            has_programmes = (
                select(EpgProgramme.id)
                .where(
                    EpgProgramme.epg_channel_id == Channel.epg_channel_id,
                    *_in_window(start, end),
                )
                .exists()
            )
            rows = await session.execute(
                select(Channel.id, Channel.epg_channel_id).where(
                    Channel.id.in_([c.id for c in page]), has_programmes
                )
            )
            # A Result has .keys(), which would make dict() treat it as a mapping.
            links: dict[int, int] = {row[0]: row[1] for row in rows if row[1] is not None}
            out = []
            for channel in page:
                guide = links.get(channel.id)
                ident = tuning.guide_id(channel)
                if guide is None or ident in seen:
                    continue  # two channels with one tvg-id: the first in lineup order owns it
                seen.add(ident)
                out.append(GuideChannel(ident, channel.name, channel.logo))
                self._shown[guide].append(ident)
            yield out

    async def programmes(self) -> AsyncIterator[tuple[list[str], GuideProgramme]]:
        """(output ids, programme) for every programme of the channels :meth:`channels` gave,
        by guide channel and start."""
        guides = sorted(self._shown)
        p = EpgProgramme
        for first in range(0, len(guides), GUIDE_CHUNK):
            chunk = guides[first : first + GUIDE_CHUNK]
            result = await self.session.stream(
                select(
                    p.epg_channel_id,
                    p.start,
                    p.stop,
                    p.title,
                    p.sub_title,
                    p.description,
                    p.categories,
                    p.icon,
                    p.episode_num,
                    p.episode_onscreen,
                    p.rating,
                )
                .where(p.epg_channel_id.in_(chunk), *_in_window(self.start, self.end))
                .order_by(p.epg_channel_id, p.start)
                .execution_options(yield_per=5000)
            )
            async for row in result:
                # A Row reads like the named tuple (same columns, same order); no copy per row.
                yield self._shown[row[0]], cast(GuideProgramme, row)


@contextlib.asynccontextmanager
async def open_guide(
    factory: async_sessionmaker[AsyncSession],
    *,
    start: datetime,
    days: int,
    first_free_number: int,
    page_size: int = 2000,
    lineup_id: int | None = None,
) -> AsyncIterator[GuideExport]:
    """A :class:`GuideExport` in a session of its own, for a body read after the request's
    session is closed."""
    async with factory() as session:
        yield GuideExport(
            session,
            start=start,
            days=days,
            first_free_number=first_free_number,
            page_size=page_size,
            lineup_id=lineup_id,
        )
