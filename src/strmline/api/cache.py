"""The API's side of the cache: the class lives in services/cache.py (every process has one,
from its composition root); routers commit a catalog write here, then invalidate.

    cache = request.app.state.cache
    page = await cache.get_or_set("providers", f"{cursor}:{limit}", load_page, ttl=30)
    await cache.bump("providers")   # after a write
"""

from __future__ import annotations

from fastapi import Request

from strmline.db.engine import Session
from strmline.services.cache import CATALOG_NAMESPACES, Cache

__all__ = ["CATALOG_NAMESPACES", "Cache", "commit_catalog_change"]


async def commit_catalog_change(request: Request, session: Session) -> None:
    """Commit a catalog write, then invalidate: bumping first would let a reader cache the old
    state again in between."""
    await session.commit()
    cache: Cache = request.app.state.cache
    await cache.bump(*CATALOG_NAMESPACES)
