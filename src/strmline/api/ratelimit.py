"""Failed logins counted per client address and per (address, username), in windows that start
at a key's first attempt, kept in-process or, with Redis configured, shared by every API process.

Why two counters and not one: a single per-address counter that every attempt uses up refuses the
real user's right password once anyone guessing from the same address has spent it, and a
per-username counter would let anyone lock any account out from anywhere. Here:

- each attempt is charged to its address and to its (address, username) pair *before* the
  password is checked, so a burst of parallel guesses cannot all slip past the check;
- a refused attempt (429) is not charged, and a successful one is given back: the pair's counter
  is cleared and the address's counter drops by one. Only failures use up the allowance;
- the pair allows ``per_account`` failures, the address ``per_address`` (more, so one person who
  mistyped several accounts' passwords is not stopped, but a guesser trying many usernames is).

So someone guessing the admin's password from their own address is stopped there and cannot
lock the admin out of any other address. A right password from an address whose counters are
spent is refused like a wrong one: accepting it would tell a guesser which guess was right.

The address is ``request.client``, which names the direct peer unless the peer is one of the
configured trusted proxies (``http.trusted_proxies``, see :func:`install_trusted_proxies`);
a spoofed ``X-Forwarded-For`` from anyone else is ignored and buys no extra allowance.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from fastapi import FastAPI
from redis.asyncio import Redis
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

MAX_TRACKED = 10_000  # in-process keys kept before idle windows are forgotten


@dataclass(frozen=True, slots=True)
class Refusal:
    """An attempt refused before its password was checked, and the seconds until it may retry."""

    retry_after: float


class LoginLimiter:
    def __init__(
        self,
        *,
        per_account: int = 10,
        per_address: int = 50,
        window: float = 300.0,
        redis: Redis | None = None,
        prefix: str = "strmline",
    ) -> None:
        self.per_account = per_account
        self.per_address = per_address
        self.window = window
        self.redis = redis
        self.prefix = prefix
        # key -> (when its window started, count); windows start at a key's first attempt, so
        # no wall-clock boundary hands a guesser a fresh allowance mid-burst.
        self._counts: dict[str, tuple[float, int]] = {}

    def _keys(self, address: str, username: str) -> tuple[str, str]:
        # Usernames are hashed: Redis keys then hold no names, and any character is fine.
        name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:20]
        base = f"{self.prefix}:login:{address}"
        return base, f"{base}:{name}"

    async def attempt(self, address: str, username: str) -> Refusal | None:
        """Charge one attempt to the address and the pair; a refusal when either is spent."""
        by_address, by_pair = self._keys(address, username)
        counts = await self._add({by_address: 1, by_pair: 1})
        limits = ((by_address, self.per_address), (by_pair, self.per_account))
        spent = [counts[key][1] for key, limit in limits if counts[key][0] > limit]
        if spent:
            await self._add({by_address: -1, by_pair: -1})
            return Refusal(retry_after=max(spent))
        return None

    async def succeeded(self, address: str, username: str) -> None:
        """Give back the attempt just charged and forget the pair's failures."""
        by_address, by_pair = self._keys(address, username)
        await self._add({by_address: -1})
        if self.redis is not None:
            await self.redis.delete(by_pair)
        else:
            self._counts.pop(by_pair, None)

    async def _add(self, deltas: dict[str, int]) -> dict[str, tuple[int, float]]:
        """Add to each key's count (a new window when it has none); (count, seconds left)."""
        if self.redis is not None:
            ttl = max(int(self.window), 1)
            pipe = self.redis.pipeline(transaction=True)
            for key, delta in deltas.items():
                pipe.set(key, 0, ex=ttl, nx=True)  # opens the window; never extends it
                pipe.incrby(key, delta)
                pipe.pttl(key)
            replies = await pipe.execute()
            return {
                key: (int(replies[3 * i + 1]), max(int(replies[3 * i + 2]), 0) / 1000)
                for i, key in enumerate(deltas)
            }
        now = time.monotonic()
        result: dict[str, tuple[int, float]] = {}
        for key, delta in deltas.items():
            started, count = self._counts.get(key, (now, 0))
            if now - started >= self.window:
                started, count = now, 0
            count += delta
            self._counts[key] = (started, max(count, 0))
            result[key] = (count, self.window - (now - started))
        if len(self._counts) > MAX_TRACKED:  # forget ended windows so memory stays bounded
            for stale in [k for k, (t, _) in self._counts.items() if now - t >= self.window]:
                del self._counts[stale]
        return result


def install_trusted_proxies(app: FastAPI, proxies: list[str]) -> None:
    """``request.client`` (and the scheme) from ``X-Forwarded-For``/``-Proto`` only when the
    direct peer is one of ``proxies`` (addresses or CIDR networks); with none, never.

    The app does this itself rather than leave it to ``uvicorn --proxy-headers``, whose default
    trusts every loopback peer: for any local client, or behind a local proxy that passes the
    header on, each made-up address got its own login allowance. ``strmline serve`` turns
    uvicorn's own handling off. Call it after every other middleware: it must run first."""
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(proxies))
