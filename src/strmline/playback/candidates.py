"""The streams a proxied channel may play, in the order the hub tries them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.models import Channel, Provider, Stream
from strmline.playback.connections import limit_from

__all__ = ["FORWARDED_HEADERS", "Candidate", "load_candidates", "upstream_headers"]

# Headers a provider may require, as stored for a stream (any case; Kodi/VLC spellings too).
FORWARDED_HEADERS = {
    "user-agent": "User-Agent",
    "user_agent": "User-Agent",
    "referer": "Referer",
    "referrer": "Referer",
    "origin": "Origin",
    "cookie": "Cookie",
}


@dataclass(frozen=True, slots=True)
class Candidate:
    stream_id: int
    provider_id: int
    url: str
    user_agent: str | None
    limit: int | None
    # Sent with every upstream request (playlists, keys, segments): User-Agent, Referer…
    headers: dict[str, str] = field(default_factory=dict)
    profile: str | None = None  # the stream profile: the channel's, else the provider's


def upstream_headers(stream_headers: Any, provider_agent: str | None) -> dict[str, str]:
    """What the proxy sends upstream: the entry's own headers over the provider's User-Agent."""
    headers: dict[str, str] = {}
    if provider_agent:
        headers["User-Agent"] = provider_agent
    if isinstance(stream_headers, dict):
        for key, value in stream_headers.items():
            name = FORWARDED_HEADERS.get(str(key).lower())
            if name is not None and isinstance(value, str) and value.strip():
                headers[name] = value.strip()
    return headers


async def load_candidates(
    factory: async_sessionmaker[AsyncSession], channel_id: int
) -> list[Candidate]:
    """The channel's streams in play order: rank already puts active, working, better ones first."""
    async with factory() as session:
        rows = await session.execute(
            select(
                Stream.id,
                Stream.provider_id,
                Stream.url,
                Stream.headers,
                Provider.user_agent,
                Provider.max_connections,
                Provider.account,
                func.coalesce(Channel.stream_profile, Provider.stream_profile),
            )
            .join(Provider, Provider.id == Stream.provider_id)
            .join(Channel, Channel.id == Stream.channel_id)
            .where(
                Stream.channel_id == channel_id,
                Stream.removed_at.is_(None),
                Provider.enabled.is_(True),
                Channel.enabled.is_(True),
            )
            .order_by(Stream.active.desc(), Stream.rank, Stream.id)
        )
        out = []
        for sid, pid, url, headers, agent, max_conn, account, profile in rows:
            sent = upstream_headers(headers, agent)
            limit = limit_from(max_conn, account)
            out.append(Candidate(sid, pid, url, sent.get("User-Agent"), limit, sent, profile))
        return out
