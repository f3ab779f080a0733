"""``GET /output/xmltv``: the guide of the merged lineup, for media servers and players.

Channel ids are :func:`guide_id` of each channel, the same string ``/output/m3u`` puts in
``tvg-id``. The document is streamed: the XMLTV DTD puts every ``<channel>`` before any
``<programme>``, so the lineup is read page by page once for the channels that have programmes in the window, then programmes are
read in chunks of guide channels, each chunk one range query on (epg_channel_id, start).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.deps import SessionDep, SettingsDep, TokenUser
from strmline.api.outputs.common import etag_matches, make_etag
from strmline.api.outputs.ids import guide_id
from strmline.api.outputs.m3u import head_response
from strmline.db.base import utcnow
from strmline.db.models import Channel, EpgProgramme, EpgSource
from strmline.formats.xmltv import channel_element, programme_element
from strmline.services import tuning

router = APIRouter(tags=["outputs"])

MEDIA_TYPE = "application/xml"
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE tv SYSTEM "xmltv.dtd">\n'
    '<tv generator-info-name="strmline">\n'
)
GUIDE_CHUNK = 500  # guide channels per programme query
FLUSH_BYTES = 256 * 1024


def _in_window(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    """Programmes overlapping [start, end). The bound on ``start`` keeps this a range scan of
    (epg_channel_id, start): a programme that began over a day before ``start`` is left out."""
    p = EpgProgramme
    return (p.start >= start - timedelta(days=1), p.start < end, p.stop > start)


async def render_guide(
    session: AsyncSession,
    *,
    start: datetime,
    days: int,
    first_free_number: int,
    page_size: int = 2000,
) -> AsyncIterator[bytes]:
    end = start + timedelta(days=days)
    yield HEADER.encode()
    # guide channel → the output ids showing it (two lineup channels may share one guide).
    shown: dict[int, list[str]] = defaultdict(list)
    seen: set[str] = set()
    async for page in tuning.iter_lineup(
        session, first_free_number=first_free_number, page_size=page_size
    ):
        # Only channels with programmes in the window: a <channel> without any is an error
        # to tv_validate_file, and of no use to a media server.
        has_programmes = (
            select(EpgProgramme.id)
            .where(EpgProgramme.epg_channel_id == Channel.epg_channel_id, *_in_window(start, end))
            .exists()
        )
        rows = await session.execute(
            select(Channel.id, Channel.epg_channel_id).where(
                Channel.id.in_([c.id for c in page]), has_programmes
            )
        )
        # A Result has .keys(), which would make dict() treat it as a mapping.
        links: dict[int, int] = {row[0]: row[1] for row in rows if row[1] is not None}
        parts = []
        for channel in page:
            guide = links.get(channel.id)
            ident = guide_id(channel)
            if guide is None or ident in seen:
                continue  # two channels with one tvg-id: the first in lineup order owns it
            seen.add(ident)
            parts.append(channel_element(ident, [channel.name], channel.logo))
            shown[guide].append(ident)
        yield "".join(parts).encode()
    guides = sorted(shown)
    buffer: list[str] = []
    size = 0
    p = EpgProgramme
    for first in range(0, len(guides), GUIDE_CHUNK):
        chunk = guides[first : first + GUIDE_CHUNK]
        result = await session.stream(
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
            .where(p.epg_channel_id.in_(chunk), *_in_window(start, end))
            .order_by(p.epg_channel_id, p.start)
            .execution_options(yield_per=5000)
        )
        async for row in result:
            for ident in shown[row[0]]:
                text = programme_element(
                    ident,
                    row[1],
                    row[2],
                    row[3],
                    sub_title=row[4],
                    desc=row[5],
                    categories=row[6],
                    icon=row[7],
                    episode_num=row[8],
                    episode_onscreen=row[9],
                    rating=row[10],
                )
                buffer.append(text)
                size += len(text)
            if size >= FLUSH_BYTES:
                yield "".join(buffer).encode()
                buffer, size = [], 0
    buffer.append("</tv>\n")
    yield "".join(buffer).encode()


async def _body(
    factory: async_sessionmaker[AsyncSession],
    *,
    start: datetime,
    days: int,
    first_free_number: int,
    page_size: int,
) -> AsyncIterator[bytes]:
    # The request's session is closed once the handler returns; the body reads in its own.
    async with factory() as session:
        async for chunk in render_guide(
            session,
            start=start,
            days=days,
            first_free_number=first_free_number,
            page_size=page_size,
        ):
            yield chunk


async def _version(session: AsyncSession, state: tuning.LineupState) -> str:
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
    return f"{state.version}|{tuple(guide)}|{tuple(links)}"


@router.get(
    "/output/xmltv",
    summary="XMLTV guide of the merged lineup (authenticated by ?token=)",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "the guide"},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
)
async def xmltv(
    request: Request,
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
    days: Annotated[int | None, Query(ge=1, le=31, description="days of guide from now")] = None,
) -> Response:
    days = days or settings.epg.output_days
    # The window moves with the clock; an hour's granularity keeps ETags useful.
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    state = await tuning.lineup_state(session)
    etag = make_etag(
        "xmltv", await _version(session, state), days, start.isoformat(), user.api_token
    )
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="strmline.xml"'
    if request.method == "HEAD":
        return head_response(headers, MEDIA_TYPE)
    return StreamingResponse(
        _body(
            request.app.state.session_factory,
            start=start,
            days=days,
            first_free_number=state.first_free_number,
            page_size=settings.outputs.page_size,
        ),
        media_type=MEDIA_TYPE,
        headers=headers,
    )
