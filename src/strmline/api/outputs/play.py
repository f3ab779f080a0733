"""``/play``: where playlist entries point. Picks the stream when the client tunes in.

Redirect mode (the default) answers with a 302 to the provider, but only after checking the
stream the way a health check does (first bytes must be MPEG-TS; HLS is followed to its first
segment) under a short budget. A stream that fails is recorded like a failed health check, which
re-ranks the channel, and the next ranked stream is tried; when every stream tried fails the
player gets a 503 with the reasons. A stream that passed is trusted for a short while (the app
cache, so all API processes share it with Redis), so zapping back and forth costs no new check.

Headers the provider needs (User-Agent, Referer) cannot travel with a redirect; the check sends
them anyway so a stream is judged as it would play, and the M3U output tells players to send them
(``#EXTVLCOPT``). A stream whose URL carries the provider's username and password (every Xtream
stream) is proxied even in redirect mode, so players never see them, unless the user allowed it
(``playback.redirect_credentials``) or chose redirect for that provider. A provider's play mode
(auto, proxy, redirect) and a stream profile (per provider, overridden per channel) decide per
stream when the channel has no override (:func:`strmline.services.playhints.effective_mode`).
``/play/stream/{id}`` follows the same rules for one stream, without failover
(:mod:`strmline.playback.single` in proxy mode).
"""

from __future__ import annotations

import logging
import zlib

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from strmline.api.cache import Cache
from strmline.api.deps import SessionDep, TokenUser
from strmline.api.errors import ApiError
from strmline.api.outputs import proxy
from strmline.api.outputs.common import NO_STORE
from strmline.api.params import IdPath
from strmline.config import Settings
from strmline.db.models import User
from strmline.errors import StrmlineError
from strmline.formats.playurls import has_credentials
from strmline.pipelines import health
from strmline.playback.failures import record_failures
from strmline.playback.single import SinglePipe, Upstream
from strmline.providers.http import DEFAULT_USER_AGENT
from strmline.services import lineups as lineup_service
from strmline.services import playhints, tuning

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


async def _proxy_channel(
    request: Request, session: SessionDep, channel_id: int, user: User | None
) -> Response:
    # The request's (read-only) transaction ends here: its session lives until the response
    # is over, and a proxied stream must not hold a pooled connection for hours.
    await session.commit()
    return await proxy.proxy_response(
        request,
        channel_id=channel_id,
        user=user,
        settings=request.app.state.settings,
        session_factory=request.app.state.session_factory,
    )


async def _exposed(session: SessionDep, settings: Settings, stream_ids: list[int]) -> set[int]:
    """The streams a redirect must not send a player to: proxied by their provider's play
    mode or stream profile, or because their URL shows credentials."""
    opts = settings.playback
    return await playhints.proxied_streams(
        session, stream_ids, opts.mode, opts.redirect_credentials
    )


async def _redirect_with_failover(
    request: Request, session: SessionDep, channel_id: int, settings: Settings, user: User | None
) -> Response:
    opts = settings.playback
    if opts.check_seconds <= 0:
        stream = await tuning.best_stream(session, channel_id)
        if await _exposed(session, settings, [stream.id]):
            return await _proxy_channel(request, session, channel_id, user)
        return _redirect(stream.url)
    candidates = await tuning.play_candidates(session, channel_id)
    exposed = await _exposed(session, settings, [c.id for c in candidates[: opts.check_streams]])
    if candidates[0].id in exposed:
        # The proxy checks, fails over and keeps the credentials to itself.
        return await _proxy_channel(request, session, channel_id, user)
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
        if chosen.id in exposed:
            return await _proxy_channel(request, session, channel_id, user)
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


async def require_watchable(session: SessionDep, user: User | None, channel_id: int) -> None:
    """A user given lineups plays only their channels; others are as unknown to them (404)."""
    if not await lineup_service.may_watch(session, user, channel_id):
        raise ApiError(404, "not_found", f"no channel {channel_id} in your lineups")


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
    await require_watchable(session, user, channel_id)
    settings = request.app.state.settings
    override = await tuning.play_mode(session, channel_id, "auto")
    if override == "proxy" or (
        override == "auto"
        and settings.playback.mode == "proxy"
        and not await playhints.redirects_somewhere(session, channel_id)
    ):
        return await _proxy_channel(request, session, channel_id, user)
    try:
        return await _redirect_with_failover(request, session, channel_id, settings, user)
    except tuning.NoPlayableStream as exc:
        raise _unavailable(exc) from exc


@router.get(
    "/play/stream/{stream_id}",
    summary="Play one specific stream (the entries of ?quality=all)",
    response_class=RedirectResponse,
    status_code=302,
    responses=_RESPONSES,
)
async def play_stream(
    stream_id: IdPath, user: TokenUser, session: SessionDep, request: Request
) -> Response:
    try:
        target = await playhints.stream_target(session, stream_id)
    except tuning.NoPlayableStream as exc:
        raise _unavailable(exc) from exc
    await require_watchable(session, user, target.channel_id)
    return await play_target(request, session, target, target.url)


async def play_target(
    request: Request, session: SessionDep, target: playhints.Target, url: str
) -> Response:
    """Redirect to ``url`` (``target``'s stream, or its archive) or proxy it, by the same rules
    as a channel, without failover: a specific stream or programme has no alternative."""
    settings: Settings = request.app.state.settings
    mode = playhints.effective_mode(
        settings.playback.mode,
        target.override,
        # An archive URL comes from a template of its own, which may name an account too.
        credentials=target.credentials or has_credentials(url),
        redirect_credentials=settings.playback.redirect_credentials,
        provider_mode=target.provider_mode,
        profile=target.profile,
    )
    await session.commit()  # no pooled connection held while the provider answers
    if mode == "redirect":
        return _redirect(url)
    registry = proxy.registry_for(request.app, settings, request.app.state.session_factory)
    upstream = Upstream(target.provider_id, url, target.headers, target.limit, target.profile)
    pipe = SinglePipe(upstream, settings.playback, registry.tracker)
    try:
        await pipe.open()
    except StrmlineError as exc:
        problem = proxy.api_error(exc)
        message = f"stream {target.stream_id}: {exc.message}"
        raise ApiError(problem.status, problem.code, message) from None
    return StreamingResponse(pipe.body(), media_type="video/mp2t", headers=NO_STORE)
