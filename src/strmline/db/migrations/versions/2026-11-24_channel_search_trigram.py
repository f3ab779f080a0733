"""channel search: trigram index on PostgreSQL

Revision ID: search_trgm
Revises: epg_staging
Create Date: 2026-11-24

``search_name LIKE '%q%'`` cannot use a b-tree, so on PostgreSQL a search scans every channel.
pg_trgm ships with PostgreSQL; creating the extension may need rights the application's user
lacks, in which case search keeps working without the index.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "search_trgm"
down_revision: str | None = "epg_staging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_channels_search_name_trgm"
log = logging.getLogger(__name__)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DBAPIError:
        log.warning("pg_trgm is not available: channel search will scan instead of using an index")
        return
    bind.exec_driver_sql(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON channels USING gin (search_name gin_trgm_ops)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(f"DROP INDEX IF EXISTS {INDEX}")
