"""The start-up pass that encrypts provider passwords still stored in clear text.

Passwords saved before encryption at rest (db/secrets.py) stay readable as they are; this seals
them once the process has its key, so a database copy made afterwards holds none in clear.
"""

from __future__ import annotations

import logging

from sqlalchemy import String, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.db import secrets as db_secrets
from strmline.db.engine import session_scope
from strmline.db.models import Provider

log = logging.getLogger(__name__)


async def encrypt_clear(factory: async_sessionmaker[AsyncSession]) -> int:
    """Encrypt every clear-text provider password; the number sealed."""
    if not db_secrets.has_key():
        return 0
    stored = type_coerce(Provider.password, String)  # the text as stored, not decrypted
    sealed = 0
    async with session_scope(factory) as session:
        rows = await session.execute(
            select(Provider.id, stored).where(
                Provider.password.is_not(None),
                Provider.password != "",
                ~stored.startswith(db_secrets.MARKER),
            )
        )
        for provider_id, clear in rows.all():
            # Only while the row still holds that clear text: another process starting at the
            # same time, or an admin saving a new password, may have written it meanwhile.
            result = await session.execute(
                update(Provider)
                .where(Provider.id == provider_id, stored == clear)
                .values(password=clear)
                .execution_options(synchronize_session=False)
            )
            sealed += max(int(getattr(result, "rowcount", 0) or 0), 0)
    if sealed:
        log.info("encrypted %d provider password(s) stored in clear text", sealed)
    return sealed
