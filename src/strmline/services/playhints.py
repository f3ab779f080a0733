"""How a stream is handed to a player: redirect or proxy, headers to send, catch-up archive.

:mod:`strmline.services.tuning` decides *which* stream plays; this module says *how*: redirect
or proxy, by the channel's override, the provider's play mode (auto, proxy, redirect) and the
stream profile, and whether a redirect would show the player the provider's credentials (then
it is proxied unless the user allowed that), which headers a player must send when it gets the provider URL (``#EXTVLCOPT``,
Kodi's ``url|Header=…``), and which stream of a channel offers an archive for catch-up.

Every function costs one statement, whatever the number of channels or streams asked about.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Channel, Provider, Stream
from strmline.errors import NotFound
from strmline.formats.playurls import (
    CatchupInfo,
    catchup_info,
    has_credentials,
    player_headers,
    timezone_of,
    xtream_parts,
)
from strmline.playback.connections import limit_from
from strmline.services.tuning import NoPlayableStream

__all__ = [
    "ChannelHints",
    "StreamHint",
    "Target",
    "catchup_target",
    "effective_mode",
    "proxied_streams",
    "redirects_somewhere",
    "stream_hints",
    "stream_target",
    "usable_archive",
]

Mode = Literal["redirect", "proxy"]


def effective_mode(
    setting: str,
    override: str | None,
    *,
    credentials: bool,
    redirect_credentials: bool,
    provider_mode: str | None = None,
    profile: str | None = None,
) -> Mode:
    """``redirect`` or ``proxy`` for one stream. The first that says: the channel's override,
    the provider's play mode, the stream profile (``redirect``, or any other: the proxy runs
    it), the setting. A redirect that would hand a player the provider's credentials becomes
    a proxy unless the user allowed it, globally (``playback.redirect_credentials``) or by
    choosing redirect for that provider (auto, its None, never does)."""
    if override in ("redirect", "proxy"):
        mode = override
    elif provider_mode in ("redirect", "proxy"):
        mode = provider_mode
    elif profile:
        mode = "redirect" if profile == "redirect" else "proxy"
    else:
        mode = setting
    if mode != "redirect":
        return "proxy"
    if credentials and not (redirect_credentials or provider_mode == "redirect"):
        return "proxy"
    return "redirect"


def _exposes(url: str, kind: str | None, username: str | None, password: str | None) -> bool:
    # Every Xtream stream URL carries the account; an M3U provider's may carry its login too.
    return kind == "xtream" or has_credentials(url, (username, password))


@dataclass(frozen=True, slots=True)
class StreamHint:
    id: int
    url: str
    headers: dict[str, str]  # what a player must send (User-Agent, Referer…)
    credentials: bool  # the URL shows the provider's credentials
    catchup: CatchupInfo | None
    provider_mode: str | None = None  # the provider's play mode (None: auto)
    profile: str | None = None  # the stream profile: the channel's, else the provider's


@dataclass(frozen=True, slots=True)
class ChannelHints:
    override: str | None  # the channel's own play mode
    streams: list[StreamHint]  # playable, best first

    @property
    def best(self) -> StreamHint | None:
        return self.streams[0] if self.streams else None

    @property
    def archive(self) -> StreamHint | None:
        """The best stream with a usable archive: the one ``/play/{id}/timeshift`` plays."""
        for hint in self.streams:
            if _usable(hint.url, hint.catchup):
                return hint
        return None


def _usable(url: str, info: CatchupInfo | None) -> bool:
    return info is not None and (info.mode != "xc" or xtream_parts(url) is not None)


def _playable() -> Any:
    return and_(
        Stream.active.is_(True),
        Stream.removed_at.is_(None),
        Provider.enabled.is_(True),
        Channel.enabled.is_(True),
    )


async def stream_hints(
    session: AsyncSession, channel_ids: Sequence[int]
) -> dict[int, ChannelHints]:
    """Hints for a page of channels: one statement, streams in play order."""
    if not channel_ids:
        return {}
    conn = await session.connection()
    rows = await conn.execute(
        select(
            Stream.id,
            Stream.channel_id,
            Stream.url,
            Stream.headers,
            Stream.attrs,
            Provider.user_agent,
            Provider.kind,
            Provider.username,
            Provider.password,
            Channel.play_mode,
            Provider.play_mode,
            func.coalesce(Channel.stream_profile, Provider.stream_profile),
        )
        .join(Provider, Provider.id == Stream.provider_id)
        .join(Channel, Channel.id == Stream.channel_id)
        .where(Stream.channel_id.in_(channel_ids), _playable())
        .order_by(Stream.channel_id, Stream.rank, Stream.id)
    )
    streams: dict[int, list[StreamHint]] = defaultdict(list)
    overrides: dict[int, str | None] = {}
    for row in rows:
        sid, cid, url, headers, attrs, agent, kind, user, password, override = row[:10]
        overrides[cid] = override
        streams[cid].append(
            StreamHint(
                sid,
                url,
                player_headers(headers, agent),
                _exposes(url, kind, user, password),
                catchup_info(attrs),
                row[10],
                row[11],
            )
        )
    return {cid: ChannelHints(overrides[cid], hints) for cid, hints in streams.items()}


def usable_archive(url: str, attrs: Any) -> CatchupInfo | None:
    """The archive a stream's kept attributes describe, when ``/timeshift`` can play it."""
    info = catchup_info(attrs)
    return info if _usable(url, info) else None


async def proxied_streams(
    session: AsyncSession, stream_ids: Sequence[int], setting: str, redirect_credentials: bool
) -> set[int]:
    """Which of these streams :func:`effective_mode` proxies: one statement."""
    if not stream_ids:
        return set()
    rows = await session.execute(
        select(
            Stream.id,
            Stream.url,
            Provider.kind,
            Provider.username,
            Provider.password,
            Channel.play_mode,
            Provider.play_mode,
            func.coalesce(Channel.stream_profile, Provider.stream_profile),
        )
        .join(Provider, Provider.id == Stream.provider_id)
        .join(Channel, Channel.id == Stream.channel_id)
        .where(Stream.id.in_(stream_ids))
    )
    return {
        sid
        for sid, url, kind, user, pw, override, provider_mode, profile in rows
        if effective_mode(
            setting,
            override,
            credentials=_exposes(url, kind, user, pw),
            redirect_credentials=redirect_credentials,
            provider_mode=provider_mode,
            profile=profile,
        )
        == "proxy"
    }


async def redirects_somewhere(session: AsyncSession, channel_id: int) -> bool:
    """Whether a provider or profile of this channel's streams asks for redirects: only then
    can a channel in proxy mode (setting or override) be redirected. One statement."""
    profile = func.coalesce(Channel.stream_profile, Provider.stream_profile)
    found = await session.scalar(
        select(Stream.id)
        .join(Provider, Provider.id == Stream.provider_id)
        .join(Channel, Channel.id == Stream.channel_id)
        .where(
            Stream.channel_id == channel_id,
            Stream.removed_at.is_(None),
            or_(Provider.play_mode == "redirect", profile == "redirect"),
        )
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True, slots=True)
class Target:
    """One upstream to play as it is (no failover): a specific stream, or an archive."""

    stream_id: int
    channel_id: int
    provider_id: int
    url: str
    headers: dict[str, str]
    limit: int | None  # the provider's connection limit
    credentials: bool
    override: str | None  # the channel's play mode
    catchup: CatchupInfo | None = None
    server_tz: tzinfo | None = None  # Xtream panels read archive start times in their own zone
    provider_mode: str | None = None  # the provider's play mode (None: auto)
    profile: str | None = None  # the stream profile: the channel's, else the provider's


_TARGET_COLUMNS = (
    Stream.id,
    Stream.channel_id,
    Stream.provider_id,
    Stream.url,
    Stream.headers,
    Stream.attrs,
    Stream.active,
    Stream.removed_at,
    Channel.enabled,
    Channel.play_mode,
    Provider.enabled,
    Provider.user_agent,
    Provider.kind,
    Provider.username,
    Provider.password,
    Provider.max_connections,
    Provider.account,
    Provider.play_mode,
    func.coalesce(Channel.stream_profile, Provider.stream_profile),
)


def _server_tz(account: Any) -> tzinfo:
    if isinstance(account, dict):
        info = account.get("server_info")
        name = (info if isinstance(info, dict) else account).get("timezone")
        return timezone_of(name if isinstance(name, str) else None)
    return timezone_of(None)


def _target(row: Any) -> Target:
    sid, cid, pid, url, headers, attrs = row[:6]
    override = row[9]
    agent, kind, user, password, max_conn, account = row[11:17]
    return Target(
        sid,
        cid,
        pid,
        url,
        player_headers(headers, agent),
        limit_from(max_conn, account),
        _exposes(url, kind, user, password),
        override,
        catchup_info(attrs),
        _server_tz(account),
        row[17],
        row[18],
    )


async def stream_target(session: AsyncSession, stream_id: int) -> Target:
    """One specific stream (``/play/stream/{id}``): :class:`NotFound` when gone or disabled,
    :class:`NoPlayableStream` when health checks marked it inactive."""
    row = (
        await session.execute(
            select(*_TARGET_COLUMNS)
            .join(Provider, Provider.id == Stream.provider_id)
            .join(Channel, Channel.id == Stream.channel_id)
            .where(Stream.id == stream_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no stream {stream_id}")
    active, removed_at, channel_on, provider_on = row[6], row[7], row[8], row[10]
    if removed_at is not None or not channel_on or not provider_on:
        raise NotFound(f"stream {stream_id} is no longer offered")
    if not active:
        raise NoPlayableStream(f"stream {stream_id} is marked inactive by health checks")
    return _target(row)


async def catchup_target(session: AsyncSession, channel_id: int) -> Target:
    """The best playable stream of a channel that has an archive; :class:`NotFound` when the
    channel is unknown, disabled or offers no catch-up."""
    rows = (
        await session.execute(
            select(*_TARGET_COLUMNS)
            .join(Provider, Provider.id == Stream.provider_id)
            .join(Channel, Channel.id == Stream.channel_id)
            .where(Stream.channel_id == channel_id, _playable())
            .order_by(Stream.rank, Stream.id)
        )
    ).all()
    for row in rows:
        target = _target(row)
        if _usable(target.url, target.catchup):
            return target
    raise NotFound(f"channel {channel_id} has no stream with a catch-up archive")
