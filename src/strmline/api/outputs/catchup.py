"""Catch-up: a past programme of a channel whose provider keeps an archive.

The M3U output gives such channels ``catchup="default"`` and a ``catchup-source`` pointing here
(``/play/{id}/timeshift?start={utc}&duration={duration}``, Kodi's placeholders, which TiviMate
reads too); Xtream clients ask for ``/timeshift/U/P/MINUTES/YYYY-MM-DD:HH-MM/ID.ts`` with the
strmline Xtream account. Either way the channel's best stream with an archive is found, its
provider's archive URL built (:func:`strmline.formats.playurls.archive_url`) and played by the
rules of ``/play/stream/{id}``: redirected, or proxied when the mode says so or the URL carries
the provider's credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from strmline.api.deps import SessionDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.outputs import play
from strmline.api.params import IdPath
from strmline.db.models import User
from strmline.formats.playurls import archive_url
from strmline.services import playhints
from strmline.services import xtream as xtream_service

router = APIRouter(tags=["outputs"])

MAX_DURATION = 24 * 3600
# Players ask for "now minus a little" when a programme has just started: allow clock skew.
FUTURE_SLACK = timedelta(minutes=5)

_RESPONSES: dict[int | str, dict[str, str]] = {
    302: {"description": "redirect to the provider's archive"},
    404: {"description": "no such channel, or no archive for it (or that far back)"},
    422: {"description": "a start in the future or a duration out of range"},
}


async def play_archive(
    request: Request,
    session: SessionDep,
    user: User,
    channel_id: int,
    start: datetime,
    duration: int,
) -> Response:
    """``duration`` seconds of ``channel_id``'s archive from ``start`` (aware)."""
    await play.require_watchable(session, user, channel_id)
    now = datetime.now(UTC)
    if start > now + FUTURE_SLACK:
        raise ApiError(
            422, "invalid_start", f"catch-up start {start:%Y-%m-%d %H:%M} UTC is in the future"
        )
    if not 0 < duration <= MAX_DURATION:
        raise ApiError(422, "invalid_duration", f"catch-up duration must be 1 to {MAX_DURATION} s")
    target = await playhints.catchup_target(session, channel_id)
    info = target.catchup
    assert info is not None  # catchup_target returns only streams with an archive
    if info.days is not None and start < now - timedelta(days=info.days, hours=1):
        raise ApiError(
            404,
            "outside_archive",
            f"channel {channel_id} keeps {info.days} day(s) of archive; "
            f"{start:%Y-%m-%d %H:%M} UTC is older",
        )
    url = archive_url(target.url, info, start, duration, now=now, server_tz=target.server_tz or UTC)
    if url is None:
        raise ApiError(404, "no_archive", f"stream {target.stream_id} has no usable archive URL")
    return await play.play_target(request, session, target, url)


@router.get(
    "/play/{channel_id}/timeshift",
    summary="Catch-up: play a past programme from the channel's archive",
    response_class=Response,
    responses=_RESPONSES,
)
async def timeshift(
    channel_id: IdPath,
    user: TokenUser,
    session: SessionDep,
    request: Request,
    start: Annotated[int, Query(ge=0, description="programme start, Unix seconds ({utc})")],
    duration: Annotated[
        int | None, Query(ge=1, description="seconds to play ({duration}); or give end")
    ] = None,
    end: Annotated[int | None, Query(ge=0, description="programme end, Unix seconds")] = None,
) -> Response:
    if duration is None:
        if end is None or end <= start:
            raise ApiError(422, "invalid_duration", "give duration (seconds) or an end after start")
        duration = end - start
    return await play_archive(
        request, session, user, channel_id, datetime.fromtimestamp(start, UTC), duration
    )


def _xtream_start(text: str) -> datetime:
    # Xtream panels write YYYY-MM-DD:HH-MM in the zone their server_info names (UTC here).
    for fmt in ("%Y-%m-%d:%H-%M", "%Y-%m-%d:%H-%M-%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ApiError(
        422, "invalid_start", f"not an Xtream timeshift start: {text!r} (YYYY-MM-DD:HH-MM)"
    )


@router.get(
    "/timeshift/{username}/{password}/{minutes:int}/{start}/{channel_id:int}.{ext}",
    summary="Xtream catch-up: MINUTES of channel ID's archive from START (YYYY-MM-DD:HH-MM, UTC)",
    response_class=Response,
    responses={**_RESPONSES, 401: {"description": "wrong credentials"}},
)
async def xtream_timeshift(
    username: str,
    password: str,
    minutes: int,
    start: str,
    channel_id: int,
    ext: str,
    session: SessionDep,
    request: Request,
) -> Response:
    user = await xtream_service.authenticate(session, username, password)
    if user is None:
        raise ApiError(401, "invalid_credentials", "wrong Xtream username or password")
    if ext.lower() not in ("ts", "m3u8"):
        raise ApiError(404, "not_found", f"no such stream format: .{ext}")
    start_at = _xtream_start(start)
    return await play_archive(request, session, user, channel_id, start_at, minutes * 60)
