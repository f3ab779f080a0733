"""``/play``: where playlist entries point. Picks the stream when the client tunes in.

Redirect mode (the default) answers with a 302 to the provider, but only after checking the
stream the way a health check does (first bytes must be MPEG-TS; HLS is followed to its first
segment) under a short budget. A stream that fails is recorded like a failed health check, which
re-ranks the channel, and the next ranked stream is tried; when every stream tried fails the
player gets a 503 with the reasons. A stream that passed is trusted for a short while (the app
cache, so all API processes share it with Redis), so zapping back and forth costs no new check.

Headers the provider needs (User-Agent, Referer) cannot travel with a redirect; the check sends
them anyway so a stream is judged as it would play, and proxy mode serves such streams.
"""

from __future__ import annotations

import logging
import zlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from strmline.api.cache import Cache
from strmline.api.deps import SessionDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.outputs import proxy
from strmline.api.outputs.common import NO_STORE
from strmline.api.params import IdPath
from strmline.config import Settings
from strmline.pipelines import health
from strmline.playback.failures import record_failures
from strmline.providers.http import DEFAULT_USER_AGENT
from strmline.services import tuning

log = logging.getLogger(__name__)

router = APIRouter(tags=["outputs"])

CHECK_NAMESPACE = "play_check"

_RESPONSES: dict[int | str, dict[str, str]] = {
    302: {"description": "redirect to the stream"},
    404: {"description": "unknown or disabled"},
    503: {"description": "nothing playable right now"},
}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


def _unavailable(exc: tuning.NoPlayableStream) -> ApiError:
    return ApiError(503, exc.code, exc.message)


class _CheckFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_key(candidate: tuning.PlayCandidate) -> str:
    # The URL is part of the key: a sync that changes it (a rotated token) must not inherit a
    # pass earned by the old URL.
    return f"{candidate.id}:{zlib.crc32(candidate.url.encode()):08x}"


async def _check(cache: Cache, settings: Settings, candidate: tuning.PlayCandidate) -> str | None:
    """None when the stream passed (now, or recently enough to be cached), else why not."""
    opts = settings.playback

    async def check() -> int | None:
        outcome = await health.check_url(
            candidate.url,
            headers=candidate.headers,
            seconds=opts.check_seconds,
            connect_timeout=min(settings.health.connect_timeout, opts.check_seconds),
            user_agent=settings.http.user_agent or DEFAULT_USER_AGENT,
        )
        if not outcome.ok:
            # Raised, not returned: the cache stores only what the loader returns, and a failure
            # must be checked again on the next tune-in.
            raise _CheckFailed(outcome.reason or "check failed")
        return outcome.response_ms

    try:
        if opts.check_cache_seconds > 0:
            await cache.get_or_set(
                CHECK_NAMESPACE, check_key(candidate), check, ttl=opts.check_cache_seconds
            )
        else:
            await check()
    except _CheckFailed as exc:
        return exc.reason
    return None


async def _redirect_with_failover(
    request: Request, session: SessionDep, channel_id: int, settings: Settings
) -> Response:
    opts = settings.playback
    if opts.check_seconds <= 0:
        stream = await tuning.best_stream(session, channel_id)
        return _redirect(stream.url)
    candidates = await tuning.play_candidates(session, channel_id)
    # End the read transaction before waiting on providers: a request must not hold a pooled
    # connection (or SQLite's read snapshot) through seconds of network checks.
    await session.commit()
    cache: Cache = request.app.state.cache
    failures: list[tuple[int, str]] = []
    chosen: tuning.PlayCandidate | None = None
    for candidate in candidates[: opts.check_streams]:
        try:
            reason = await _check(cache, settings, candidate)
        except Exception:
            # A fault of the checker itself says nothing about the stream: play it unchecked
            # rather than turn a bug into an outage, and record nothing against it.
            log.exception("could not check stream %s; redirecting unchecked", candidate.id)
            reason = None
        if reason is None:
            chosen = candidate
            break
        failures.append((candidate.id, reason))
    if failures:
        # Awaited, not spawned: the next tune-in must already see the new ranks.
        await record_failures(request.app.state.session_factory, settings, channel_id, failures)
    if chosen is not None:
        return _redirect(chosen.url)
    untried = len(candidates) - len(failures)
    reasons = "; ".join(f"stream {sid}: {why}" for sid, why in failures)
    more = f" ({untried} more not tried; they are tried first next time)" if untried else ""
    raise ApiError(
        503,
        "no_working_stream",
        f"no stream of channel {channel_id} works right now: {reasons}{more}",
        [{"stream_id": sid, "reason": why} for sid, why in failures],
    )


@router.get(
    "/play/{channel_id}",
    summary="Play a channel: redirect to its best working stream",
    response_class=RedirectResponse,
    status_code=302,
    responses=_RESPONSES,
)
async def play_channel(
    channel_id: IdPath, user: TokenUser, session: SessionDep, request: Request
) -> Response:
    settings = request.app.state.settings
    if await tuning.play_mode(session, channel_id, settings.playback.mode) == "proxy":
        # The request's (read-only) transaction ends here: its session lives until the response
        # is over, and a proxied stream must not hold a pooled connection for hours.
        await session.commit()
        return await proxy.proxy_response(
            request,
            channel_id=channel_id,
            user=user,
            settings=settings,
            session_factory=request.app.state.session_factory,
        )
    try:
        return await _redirect_with_failover(request, session, channel_id, settings)
    except tuning.NoPlayableStream as exc:
        raise _unavailable(exc) from exc


@router.get(
    "/play/stream/{stream_id}",
    summary="Play one specific stream (the entries of ?quality=all)",
    response_class=RedirectResponse,
    status_code=302,
    responses=_RESPONSES,
)
async def play_stream(stream_id: IdPath, user: TokenUser, session: SessionDep) -> RedirectResponse:
    try:
        stream = await tuning.get_stream(session, stream_id)
    except tuning.NoPlayableStream as exc:
        raise _unavailable(exc) from exc
    return _redirect(stream.url)
