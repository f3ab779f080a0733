"""The one key every API process signs and checks tokens with.

``STRMLINE_SECRET_KEY`` when set. Otherwise the key is kept in the database (the ``settings``
table, row ``system:secret_key``), so every process on that database uses the same one, whatever
its data dir: the first process to start inserts it (insert-if-absent, then read back, so two
processes starting together agree on the winner's key) and every other one reads it. A
``secret.key`` file that an earlier version generated in the data dir becomes the stored key when
the database has none yet, so tokens and tuner ids issued before an upgrade stay valid.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from strmline.config import SECRET_FILE, Settings
from strmline.db import secrets as db_secrets
from strmline.db.base import utcnow
from strmline.db.engine import session_scope
from strmline.db.models import Setting
from strmline.errors import ConfigError
from strmline.services.settings import SYSTEM_PREFIX

log = logging.getLogger(__name__)

KEY_ROW = SYSTEM_PREFIX + "secret_key"


async def ensure(factory: async_sessionmaker[AsyncSession], settings: Settings) -> str:
    """The signing key, set on ``settings`` (so ``settings.get_secret_key()`` returns it)."""
    if settings.secret_key is not None:
        configured = settings.secret_key.get_secret_value()
        db_secrets.use_key(configured)  # provider secrets at rest are sealed with a derived key
        return configured
    legacy = _read_file(settings.data_dir / SECRET_FILE)
    async with session_scope(factory) as session:
        await _insert_if_absent(session, legacy or secrets.token_urlsafe(48))
    async with factory() as session:
        key = await session.scalar(select(Setting.value).where(Setting.key == KEY_ROW))
    if not isinstance(key, str) or not key.strip():
        raise ConfigError(
            f"the signing key stored in the database (settings row {KEY_ROW!r}) is empty or not "
            "a string; delete the row (a new key is made) or set STRMLINE_SECRET_KEY"
        )
    if legacy is not None and legacy != key:
        log.warning(
            "%s differs from the signing key in the database; the database's is used, so tokens "
            "signed with the file's key are no longer accepted",
            settings.data_dir / SECRET_FILE,
        )
    settings.secret_key = SecretStr(key)
    db_secrets.use_key(key)
    return key


def _read_file(path: Path) -> str | None:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read the signing key file {path}: {exc}") from exc
    return key or None


async def _insert_if_absent(session: AsyncSession, key: str) -> None:
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(Setting)
        .values(key=KEY_ROW, value=key, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[Setting.key])
    )
