"""Login attempts per client address: a fixed window, in-process or shared through Redis."""

from __future__ import annotations

import time
from collections import defaultdict

from redis.asyncio import Redis


class RateLimiter:
    def __init__(
        self,
        *,
        limit: int = 10,
        window: float = 300.0,
        redis: Redis | None = None,
        prefix: str = "strmline",
    ) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self.prefix = prefix
        self._hits: dict[str, list[float]] = defaultdict(list)

    async def hit(self, key: str) -> float | None:
        """Count one attempt; returns seconds to wait when over the limit, else None."""
        if self.redis is not None:
            slot = int(time.time() // self.window)
            name = f"{self.prefix}:ratelimit:{key}:{slot}"
            count = await self.redis.incr(name)
            if count == 1:
                await self.redis.expire(name, int(self.window) + 1)
            return (slot + 1) * self.window - time.time() if count > self.limit else None
        now = time.monotonic()
        hits = [t for t in self._hits[key] if now - t < self.window]
        hits.append(now)
        self._hits[key] = hits
        if len(self._hits) > 10_000:  # forget idle addresses so memory stays bounded
            for stale in [k for k, v in self._hits.items() if now - v[-1] > self.window]:
                del self._hits[stale]
        return self.window - (now - hits[0]) if len(hits) > self.limit else None

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)
