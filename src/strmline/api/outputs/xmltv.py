"""``GET /output/xmltv``: the guide of the merged lineup, for media servers and players.

Channel ids are :func:`~strmline.services.tuning.guide_id` of each channel, the same string
``/output/m3u`` puts in ``tvg-id``. The document is streamed: the XMLTV DTD puts every
``<channel>`` before any ``<programme>``, so the channels come first, page by page, then the
programmes (what is read, and how, is :mod:`strmline.services.guide_export`). A channel's
``<icon>`` is strmline's logo cache under the public address, as in the M3U
(``outputs.proxy_logos``); programme icons stay the guide's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from strmline.api.deps import SessionDep, SettingsDep, TokenUser
from strmline.api.outputs.common import etag_matches, make_etag, public_base
from strmline.api.outputs.lineup_view import LineupView
from strmline.api.outputs.logos import logo_url, output_links
from strmline.api.outputs.m3u import head_response
from strmline.db.base import utcnow
from strmline.formats.logos import LogoLinks
from strmline.formats.xmltv import channel_element, programme_element
from strmline.services import guide_export, tuning
from strmline.services.guide_export import GuideExport

router = APIRouter(tags=["outputs"])

MEDIA_TYPE = "application/xml"
HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE tv SYSTEM "xmltv.dtd">\n'
    '<tv generator-info-name="strmline">\n'
)
FLUSH_BYTES = 256 * 1024


async def render_guide(guide: GuideExport, logos: LogoLinks | None = None) -> AsyncIterator[bytes]:
    yield HEADER.encode()
    async for page in guide.channels():
        yield "".join(
            channel_element(c.ident, [c.name], logo_url(logos, c.logo, c.name)) for c in page
        ).encode()
    buffer: list[str] = []
    size = 0
    async for idents, row in guide.programmes():
        for ident in idents:
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
    guide: AbstractAsyncContextManager[GuideExport], logos: LogoLinks | None
) -> AsyncIterator[bytes]:
    async with guide as export:
        async for chunk in render_guide(export, logos):
            yield chunk


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
    view: LineupView,
    days: Annotated[int | None, Query(ge=1, le=31, description="days of guide from now")] = None,
) -> Response:
    days = days or settings.epg.output_days
    # The window moves with the clock; an hour's granularity keeps ETags useful.
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    state = await tuning.lineup_state(session, lineup_id=view.id)
    base = public_base(request, settings)
    logos = output_links(settings, base)
    etag = make_etag(
        "xmltv",
        await guide_export.guide_version(session, state.version),
        days,
        start.isoformat(),
        user.api_token,
        view.slug,
        # Logo URLs carry the public address: another address is another document.
        base if logos is not None else None,
    )
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="strmline.xml"'
    if request.method == "HEAD":
        return head_response(headers, MEDIA_TYPE)
    # Read in a session of its own: the request's is closed once the handler returns.
    guide = guide_export.open_guide(
        request.app.state.session_factory,
        start=start,
        days=days,
        first_free_number=state.first_free_number,
        page_size=settings.outputs.page_size,
        lineup_id=view.id,
    )
    return StreamingResponse(
        _body(guide, logos),
        media_type=MEDIA_TYPE,
        headers=headers,
    )
