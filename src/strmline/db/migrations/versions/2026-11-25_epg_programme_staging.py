"""epg programme staging: imports stream here, then swap into epg_programmes in one transaction

Revision ID: epg_staging
Revises: 0001
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import strmline.db.base

revision: str = "epg_staging"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "epg_programme_staging",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("xmltv_id", sa.String(length=200), nullable=False),
        sa.Column("start", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("stop", strmline.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("sub_title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("episode_num", sa.String(length=100), nullable=True),
        sa.Column("episode_onscreen", sa.String(length=100), nullable=True),
        sa.Column("icon", sa.Text(), nullable=True),
        sa.Column("rating", sa.String(length=50), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["epg_sources.id"],
            name=op.f("fk_epg_programme_staging_source_id_epg_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epg_programme_staging")),
    )
    with op.batch_alter_table("epg_programme_staging", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_epg_programme_staging_source_id"), ["source_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("epg_programme_staging", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_epg_programme_staging_source_id"))
    op.drop_table("epg_programme_staging")
