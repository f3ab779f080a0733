"""The streams a proxied channel may play, in the order the hub tries them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db.models import Channel, Provider, Stream
from strmline.playback.connections import limit_from

__all__ = ["Candidate", "load_candidates"]


@dataclass(frozen=True, slots=True)
class Candidate:
    stream_id: int
    provider_id: int
    url: str
    user_agent: str | None
    limit: int | None


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
        for sid, pid, url, headers, agent, max_conn, account in rows:
            stream_agent = (headers or {}).get("User-Agent") if isinstance(headers, dict) else None
            out.append(
                Candidate(sid, pid, url, stream_agent or agent, limit_from(max_conn, account))
            )
        return out
