"""playback.max_streams_per_user: a user watches at most that many channels at once through the
proxy; the next one is refused with a clear reason until one stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.demo import FakeProviderServer
from strmline.playback.connections import ConnectionTracker
from strmline.playback.errors import ConnectionLimited
from strmline.playback.registry import ProxyRegistry, Subscription
from tests.integration.test_proxy import globex_ids, make_channel, make_settings

pytestmark = pytest.mark.timeout(30)


async def stop_watching(subscription: Subscription) -> None:
    packets = subscription.packets()
    assert await anext(packets)
    await packets.aclose()  # as when the player disconnects


async def test_a_user_at_the_limit_is_refused_until_a_stream_stops(
    fake_provider: FakeProviderServer,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, max_streams_per_user=1)
    registry = ProxyRegistry(settings, session_factory, tracker=ConnectionTracker())
    _, cid, _ = await make_channel(session_factory, fake_provider, globex_ids(fake_provider, 1))
    try:
        watching = await registry.subscribe(cid, user_id=7)
        with pytest.raises(ConnectionLimited, match="already watches 1 channel at once"):
            await registry.subscribe(cid, user_id=7)
        await stop_watching(await registry.subscribe(cid, user_id=8))  # another user
        await stop_watching(watching)  # the user stops: the slot is free again
        await stop_watching(await registry.subscribe(cid, user_id=7))
        assert await registry.subscribe(cid, user_id=None)  # no user (the tuner), no limit
    finally:
        await registry.close()
