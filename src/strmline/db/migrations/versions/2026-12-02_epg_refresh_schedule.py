"""epg refresh schedule: per-source interval/cron, import requests, one automatic source per provider

Revision ID: epg_refresh
Revises: channel_numbers
Create Date: 2026-12-02 10:00:00

Schedulers add automatic guide sources on their own; the partial unique index makes a second
one for the same provider impossible. Duplicates an earlier race may have left are removed
first (the oldest stays; its guide channels and programmes go with the others by cascade).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import strmline.db.base

revision: str = "epg_refresh"
down_revision: str | None = "channel_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_epg_sources_auto_provider_id"


def upgrade() -> None:
    with op.batch_alter_table("epg_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refresh_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("refresh_cron", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column(
                "import_requested_at", strmline.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute(
        "DELETE FROM epg_sources WHERE auto AND id NOT IN "
        "(SELECT MIN(id) FROM epg_sources WHERE auto GROUP BY provider_id)"
    )
    op.create_index(
        INDEX,
        "epg_sources",
        ["provider_id"],
        unique=True,
        sqlite_where=sa.text("auto"),
        postgresql_where=sa.text("auto"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="epg_sources")
    with op.batch_alter_table("epg_sources", schema=None) as batch_op:
        batch_op.drop_column("import_requested_at")
        batch_op.drop_column("refresh_cron")
        batch_op.drop_column("refresh_minutes")
