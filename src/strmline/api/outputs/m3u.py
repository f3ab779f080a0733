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
from strmline.formats.m3u import M3UEntry, M3UHeader, write_m3u
from strmline.services import tuning
from strmline.services.tuning import LineupChannel, LineupPage, LineupStream, guide_id

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
    pages: AsyncIterator[LineupPage], *, base: str, token: str, every_stream: bool
) -> AsyncIterator[bytes]:
    header = M3UHeader(attrs={"x-tvg-url": f"{base}/output/xmltv?{token_query(token)}"})
    yield "".join(write_m3u((), header=header)).encode()
    urls = PlayUrls.of(base, token)
    async for page in pages:
        if every_stream:
            entries = [
                stream_entry(c, s, urls) for c in page.channels for s in page.streams.get(c.id, ())
            ]
        else:
            entries = [channel_entry(c, urls) for c in page.channels]
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
    # Read in a session of its own: the request's is closed once the handler returns.
    pages = tuning.lineup_pages(
        request.app.state.session_factory,
        first_free_number=state.first_free_number,
        category=category,
        page_size=settings.outputs.page_size,
        with_streams=every_stream,
    )
    body = _body(pages, base=base, token=user.api_token, every_stream=every_stream)
    if gzip:
        body = gzip_stream(body)
    return StreamingResponse(body, media_type=MEDIA_TYPE, headers=headers)
