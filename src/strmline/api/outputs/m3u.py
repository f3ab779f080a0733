"""``GET /output/m3u``: the merged playlist for media servers and players.

One entry per enabled channel with streams, pointing at ``/play/{channel}`` so the best working
stream is chosen when the client tunes in, not when it downloaded the list. ``quality=all``
lists every playable stream as its own entry instead.

The body is streamed: channels are read in keyset pages and written page by page, so a 100k
channel playlist needs the memory of one page and a fixed number of statements per page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import islice
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.api.deps import SessionDep, SettingsDep, TokenUser
from strmline.api.outputs.common import (
    PlayUrls,
    accepts_gzip,
    etag_matches,
    gzip_stream,
    make_etag,
    public_base,
    token_query,
)
from strmline.api.outputs.ids import guide_id
from strmline.formats.m3u import M3UEntry, M3UHeader, write_m3u
from strmline.services import tuning
from strmline.services.tuning import LineupChannel, LineupStream

router = APIRouter(tags=["outputs"])

MEDIA_TYPE = "audio/x-mpegurl"


def head_response(headers: dict[str, str], media_type: str) -> Response:
    """What a streamed output answers to HEAD: the GET's headers, without reading the catalog."""
    response = Response(status_code=200, headers=headers, media_type=media_type)
    # The GET streams without a length; "Content-Length: 0" would tell clients the list is empty.
    del response.headers["content-length"]
    # The GZip middleware marks the streamed GET as varying by encoding; a HEAD has no body
    # for it to look at, so it says so itself.
    if "vary" not in response.headers:
        response.headers["Vary"] = "Accept-Encoding"
    return response


def _attrs(channel: LineupChannel) -> dict[str, str]:
    attrs = {
        # The same id /output/xmltv gives the channel, so players join playlist and guide.
        "tvg-id": guide_id(channel),
        "tvg-name": channel.name,
        "tvg-chno": channel.chno,
    }
    if channel.logo:
        attrs["tvg-logo"] = channel.logo
    if channel.category:
        attrs["group-title"] = channel.category
    return attrs


def channel_entry(channel: LineupChannel, urls: PlayUrls) -> M3UEntry:
    return M3UEntry(
        name=channel.name,
        url=urls.channel(channel.id),
        duration=-1.0,
        attrs=_attrs(channel),
    )


def stream_entry(channel: LineupChannel, stream: LineupStream, urls: PlayUrls) -> M3UEntry:
    label = f" [{stream.quality}]" if stream.quality else ""
    return M3UEntry(
        name=f"{channel.name}{label} ({stream.provider})",
        url=urls.stream(stream.id),
        duration=-1.0,
        attrs=_attrs(channel),
    )


async def _body(
    factory: async_sessionmaker[AsyncSession],
    *,
    base: str,
    token: str,
    category: str | None,
    every_stream: bool,
    first_free_number: int,
    page_size: int,
) -> AsyncIterator[bytes]:
    header = M3UHeader(attrs={"x-tvg-url": f"{base}/output/xmltv?{token_query(token)}"})
    yield "".join(write_m3u((), header=header)).encode()
    urls = PlayUrls.of(base, token)
    # The request's own session is closed once the handler returns; the body reads in its own.
    async with factory() as session:
        pages = tuning.iter_lineup(
            session,
            first_free_number=first_free_number,
            category=category,
            page_size=page_size,
        )
        async for page in pages:
            if every_stream:
                streams = await tuning.streams_for(session, [c.id for c in page])
                entries = [stream_entry(c, s, urls) for c in page for s in streams.get(c.id, ())]
            else:
                entries = [channel_entry(c, urls) for c in page]
            # write_m3u opens every document with #EXTM3U; only the first chunk keeps it.
            yield "".join(islice(write_m3u(entries), 1, None)).encode()


@router.get(
    "/output/m3u",
    summary="Merged M3U playlist (authenticated by ?token=)",
    response_class=Response,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "the playlist"},
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
    },
)
async def m3u(
    request: Request,
    user: TokenUser,
    session: SessionDep,
    settings: SettingsDep,
    category: Annotated[
        str | None, Query(max_length=200, description="only this group-title")
    ] = None,
    quality: Annotated[
        Literal["best", "all"],
        Query(description="best: one entry per channel; all: one per playable stream"),
    ] = "best",
) -> Response:
    every_stream = quality == "all"
    state = await tuning.lineup_state(session, with_streams=every_stream)
    base = public_base(request, settings)
    gzip = accepts_gzip(request)
    # One ETag per representation: the gzipped body is other bytes than the plain one.
    etag = make_etag("m3u", state.version, category, quality, user.api_token, base, gzip)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = 'inline; filename="strmline.m3u"'
    if gzip:
        headers["Content-Encoding"] = "gzip"
    if request.method == "HEAD":
        return head_response(headers, MEDIA_TYPE)
    body = _body(
        request.app.state.session_factory,
        base=base,
        token=user.api_token,
        category=category,
        every_stream=every_stream,
        first_free_number=state.first_free_number,
        page_size=settings.outputs.page_size,
    )
    if gzip:
        body = gzip_stream(body)
    return StreamingResponse(body, media_type=MEDIA_TYPE, headers=headers)
