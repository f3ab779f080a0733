"""A small cache for read-mostly aggregates, invalidated by bumping a namespace's version.

Keys are ``<prefix>:cache:<namespace>:<version>:<key>``. A write bumps the namespace version, so
every key of the old version stops being read at once, in every process when Redis is shared, and
the old entries simply expire. Values are stored as JSON in both modes so a cached value reads the
same (datetimes as strings) whether it came from Redis or from this process's memory.

    page = await cache.get_or_set("providers", f"{cursor}:{limit}", load_page, ttl=30)
    await cache.bump("providers")   # after a write

Every process gets one from its composition root (``strmline.jobs.context``), so a job that
finishes anywhere can invalidate what the API processes serve. The cache is a courtesy: when
Redis fails the loader runs and the request still succeeds.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# What changes when a provider is written or any job (sync, health, epg…) finishes: the provider
# list, the dashboard and the category list are all derived from the catalog.
CATALOG_NAMESPACES = ("providers", "dashboard", "categories")
LOCAL_MAX_ENTRIES = 2048

Loader = Callable[[], Awaitable[Any]]


class Cache:
    def __init__(self, redis: Redis | None, *, prefix: str = "strmline") -> None:
        self.redis = redis
        self.prefix = f"{prefix}:cache"
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        # In-process mode: namespace versions and (expiry, JSON) entries in insertion order,
        # so the oldest entry is evicted first once the cap is reached.
        self._versions: dict[str, int] = {}
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get_or_set(self, namespace: str, key: str, loader: Loader, ttl: float) -> Any:
        """The cached JSON value of ``key``, or ``await loader()`` stored for ``ttl`` seconds."""
        full = await self._key(namespace, key)
        raw = await self._get(full) if full is not None else None
        if raw is not None:
            self.hits[namespace] += 1
            return orjson.loads(raw)
        self.misses[namespace] += 1
        value = await loader()
        data = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)
        if full is not None:
            await self._set(full, data, ttl)
        return orjson.loads(data)

    async def bump(self, *namespaces: str) -> None:
        """Invalidate every key of ``namespaces``."""
        for namespace in namespaces:
            if self.redis is None:
                self._versions[namespace] = self._versions.get(namespace, 0) + 1
                stale = f"{self.prefix}:{namespace}:"
                for key in [k for k in self._entries if k.startswith(stale)]:
                    del self._entries[key]
                continue
            try:
                await self.redis.incr(self._version_key(namespace))
            except RedisError as exc:
                log.warning("cache: could not invalidate %s: %s", namespace, exc)

    def _version_key(self, namespace: str) -> str:
        return f"{self.prefix}:{namespace}:version"

    async def _key(self, namespace: str, key: str) -> str | None:
        if self.redis is None:
            version = self._versions.get(namespace, 0)
        else:
            try:
                raw = await self.redis.get(self._version_key(namespace))
            except RedisError as exc:
                log.warning("cache: Redis unavailable, loading %s directly: %s", namespace, exc)
                return None
            version = int(raw or 0)
        return f"{self.prefix}:{namespace}:{version}:{key}"

    async def _get(self, key: str) -> bytes | None:
        if self.redis is None:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            return entry[1]
        try:
            raw = await self.redis.get(key)
        except RedisError as exc:
            log.warning("cache: read failed: %s", exc)
            return None
        return raw.encode() if isinstance(raw, str) else raw

    async def _set(self, key: str, data: bytes, ttl: float) -> None:
        if self.redis is None:
            self._entries.pop(key, None)
            self._entries[key] = (time.monotonic() + ttl, data)
            while len(self._entries) > LOCAL_MAX_ENTRIES:
                self._entries.popitem(last=False)
            return
        try:
            await self.redis.set(key, data, px=max(1, int(ttl * 1000)))
        except RedisError as exc:
            log.warning("cache: write failed: %s", exc)
