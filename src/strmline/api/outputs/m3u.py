"""``GET /output/m3u``: the merged playlist for media servers and players.

One entry per enabled channel with streams, pointing at ``/play/{channel}`` so the best working
stream is chosen when the client tunes in, not when it downloaded the list. ``quality=all``
lists every playable stream as its own entry instead.

The body is streamed: channels are read in keyset pages and written page by page, so a 100k
channel playlist needs the memory of one page and a fixed number of statements per page.

Players that are redirected to the provider must send the headers it wants themselves: entries
whose stream is handed out by redirect get ``#EXTVLCOPT:http-user-agent=…`` and
``http-referrer=…`` lines (VLC, Kodi's IPTV Simple and most Android players read them); proxied
ones need none, strmline sends them. Channels with an archive get ``catchup="default"``,
``catchup-days`` and a ``catchup-source`` on ``/play/{id}/timeshift`` (see
:mod:`strmline.api.outputs.catchup`). ``tvg-logo`` is strmline's logo cache under the same
public address as the play URLs (``outputs.proxy_logos``, :mod:`strmline.api.outputs.logos`).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from strmline.api.outputs.lineup_view import LineupView, view_query
from strmline.api.outputs.logos import logo_url, output_links
from strmline.config import Settings
from strmline.formats.logos import LogoLinks
from strmline.formats.m3u import M3UEntry, M3UHeader, write_m3u
from strmline.formats.playurls import vlc_options
from strmline.playback.sessions import SessionFactory
from strmline.services import playhints, tuning
from strmline.services.playhints import ChannelHints, StreamHint
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


def _attrs(channel: LineupChannel, logos: LogoLinks | None) -> dict[str, str]:
    attrs = {
        # The same id /output/xmltv gives the channel, so players join playlist and guide.
        "tvg-id": guide_id(channel),
        "tvg-name": channel.name,
        "tvg-chno": channel.chno,
    }
    logo = logo_url(logos, channel.logo, channel.name)
    if logo:
        attrs["tvg-logo"] = logo
    if channel.category:
        attrs["group-title"] = channel.category
    return attrs


@dataclass(frozen=True, slots=True)
class StreamModes:
    """The settings that decide whether a stream is redirected (its players need headers)."""

    mode: str
    redirect_credentials: bool

    @classmethod
    def of(cls, settings: Settings) -> StreamModes:
        return cls(settings.playback.mode, settings.playback.redirect_credentials)

    def of_stream(self, hint: StreamHint, override: str | None) -> str:
        return playhints.effective_mode(
            self.mode,
            override,
            credentials=hint.credentials,
            redirect_credentials=self.redirect_credentials,
            provider_mode=hint.provider_mode,
            profile=hint.profile,
        )


def timeshift_url(urls: PlayUrls, channel_id: int) -> str:
    """The channel's catch-up URL with Kodi's placeholders, which TiviMate reads as well."""
    return (
        f"{urls.channel_prefix}{channel_id}/timeshift{urls.suffix}"
        "&start={utc}&duration={duration}"
    )


def _catchup_attrs(channel_id: int, hint: StreamHint | None, urls: PlayUrls) -> dict[str, str]:
    if hint is None or hint.catchup is None:
        return {}
    attrs = {"catchup": "default", "catchup-source": timeshift_url(urls, channel_id)}
    if hint.catchup.days:
        attrs["catchup-days"] = str(hint.catchup.days)
    return attrs


def _options(hint: StreamHint | None, override: str | None, modes: StreamModes) -> dict[str, str]:
    # Only a redirected player talks to the provider; through the proxy strmline sends them.
    if hint is None or not hint.headers or modes.of_stream(hint, override) != "redirect":
        return {}
    return vlc_options(hint.headers)


def channel_entry(
    channel: LineupChannel,
    urls: PlayUrls,
    hints: ChannelHints | None = None,
    modes: StreamModes | None = None,
    logos: LogoLinks | None = None,
) -> M3UEntry:
    attrs = _attrs(channel, logos)
    options: dict[str, str] = {}
    if hints is not None and modes is not None:
        attrs.update(_catchup_attrs(channel.id, hints.archive, urls))
        options = _options(hints.best, hints.override, modes)
    return M3UEntry(
        name=channel.name,
        url=urls.channel(channel.id),
        duration=-1.0,
        attrs=attrs,
        options=options,
    )


def stream_entry(
    channel: LineupChannel,
    stream: LineupStream,
    urls: PlayUrls,
    hints: ChannelHints | None = None,
    modes: StreamModes | None = None,
    logos: LogoLinks | None = None,
) -> M3UEntry:
    label = f" [{stream.quality}]" if stream.quality else ""
    attrs = _attrs(channel, logos)
    options: dict[str, str] = {}
    if hints is not None and modes is not None:
        hint = next((h for h in hints.streams if h.id == stream.id), None)
        archive = hints.archive
        if archive is not None and archive.id == stream.id:
            attrs.update(_catchup_attrs(channel.id, archive, urls))
        options = _options(hint, hints.override, modes)
    return M3UEntry(
        name=f"{channel.name}{label} ({stream.provider})",
        url=urls.stream(stream.id),
        duration=-1.0,
        attrs=attrs,
        options=options,
    )


async def _body(
    pages: AsyncIterator[LineupPage],
    *,
    base: str,
    token: str,
    every_stream: bool,
    guide_query: str = "",
    factory: SessionFactory | None = None,
    modes: StreamModes | None = None,
    logos: LogoLinks | None = None,
) -> AsyncIterator[bytes]:
    guide = f"{base}/output/xmltv?{token_query(token)}{guide_query}"
    header = M3UHeader(attrs={"x-tvg-url": guide})
    yield "".join(write_m3u((), header=header)).encode()
    urls = PlayUrls.of(base, token)
    async with contextlib.AsyncExitStack() as stack:
        session = None if factory is None else await stack.enter_async_context(factory())
        async for page in pages:
            hints: dict[int, ChannelHints] = {}
            if session is not None:
                # One statement per page: headers, credentials and archives of its streams.
                hints = await playhints.stream_hints(session, [c.id for c in page.channels])
            if every_stream:
                entries = [
                    stream_entry(c, s, urls, hints.get(c.id), modes, logos)
                    for c in page.channels
                    for s in page.streams.get(c.id, ())
                ]
            else:
                entries = [
                    channel_entry(c, urls, hints.get(c.id), modes, logos) for c in page.channels
                ]
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
    view: LineupView,
    category: Annotated[
        str | None, Query(max_length=200, description="only this group-title")
    ] = None,
    quality: Annotated[
        Literal["best", "all"],
        Query(description="best: one entry per channel; all: one per playable stream"),
    ] = "best",
) -> Response:
    every_stream = quality == "all"
    state = await tuning.lineup_state(session, with_streams=every_stream, lineup_id=view.id)
    base = public_base(request, settings)
    gzip = accepts_gzip(request)
    # One ETag per representation: the gzipped body is other bytes than the plain one.
    etag = make_etag(
        "m3u", state.version, category, quality, user.api_token, base, gzip, view.slug,
        StreamModes.of(settings), settings.outputs.proxy_logos,
    )  # fmt: skip
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
        lineup_id=view.id,
    )
    body = _body(
        pages,
        base=base,
        token=user.api_token,
        every_stream=every_stream,
        guide_query=view_query(view),
        factory=request.app.state.session_factory,
        modes=StreamModes.of(settings),
        logos=output_links(settings, base),
    )
    if gzip:
        body = gzip_stream(body)
    return StreamingResponse(body, media_type=MEDIA_TYPE, headers=headers)
