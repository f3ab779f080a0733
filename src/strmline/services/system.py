"""What the liveness check asks of the database."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def database_status(*, session: AsyncSession) -> str:
    """``ok`` when the database answers, else ``error: <exception type>``; never raises."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception as exc:  # a health check reports, it does not raise
        return f"error: {type(exc).__name__}"
    return "ok"
