"""Database-wide locks that serialise writers across processes."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def lock_catalog(session: AsyncSession) -> None:
    """Serialise the match-and-write phase of concurrent syncs of different providers.

    Two providers offering a new "ESPN" at the same moment must end up with one channel, so the
    channel index is read under the same lock that the writes hold.
    """
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(727274)"))
    else:
        # Any write takes SQLite's single writer lock for the rest of the transaction.
        await session.execute(text("UPDATE providers SET id = id WHERE id = -1"))


async def lock_first_run(session: AsyncSession) -> None:
    """Serialise first-run setup: whoever holds this lock counts the users and creates the admin
    before any other setup request may count (released at the end of the transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        # Its own key: 727274 is the catalogue's, 727275 the VOD writer's.
        await session.execute(text("SELECT pg_advisory_xact_lock(727280)"))
    else:
        # As above: the first statement of the transaction is a write, so it takes the writer
        # lock at once (and reads after it see every committed user).
        await session.execute(text("UPDATE users SET id = id WHERE id = -1"))
