"""lineups and group filters: named channel sets with their own numbers, who sees which, and
the categories each provider offered with the filter the sync applies to them

Revision ID: lineups_groups
Revises: xtream_accounts
Create Date: 2026-12-02 13:00:00

"All channels" gets no row: it is a missing lineup id everywhere, so it can be neither renamed
nor deleted and needs no backfill. Existing providers take every category, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "lineups_groups"
down_revision: str | None = "xtream_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "lineups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rules", _JSON, nullable=False),
        sa.Column("rules_applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineups")),
        sa.UniqueConstraint("name", name=op.f("uq_lineups_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_lineups_slug")),
    )
    op.create_index(op.f("ix_lineups_position"), "lineups", ["position"], unique=False)

    op.create_table(
        "lineup_channels",
        sa.Column("lineup_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_lineup_channels_channel_id_channels"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lineup_id"],
            ["lineups.id"],
            name=op.f("fk_lineup_channels_lineup_id_lineups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lineup_id", "channel_id", name=op.f("pk_lineup_channels")),
    )
    op.create_index(
        op.f("ix_lineup_channels_channel_id"), "lineup_channels", ["channel_id"], unique=False
    )
    op.create_index(op.f("ix_lineup_channels_source"), "lineup_channels", ["source"], unique=False)
    op.create_index(
        "ix_lineup_channels_lineup_id_number_channel_id",
        "lineup_channels",
        ["lineup_id", "number", "channel_id"],
        unique=False,
    )

    op.create_table(
        "user_lineups",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lineup_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lineup_id"],
            ["lineups.id"],
            name=op.f("fk_user_lineups_lineup_id_lineups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_lineups_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "lineup_id", name=op.f("pk_user_lineups")),
    )
    op.create_index(op.f("ix_user_lineups_lineup_id"), "user_lineups", ["lineup_id"], unique=False)

    op.create_table(
        "provider_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Boolean(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_provider_groups_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_groups")),
        sa.UniqueConstraint(
            "provider_id", "name", name=op.f("uq_provider_groups_provider_id_name")
        ),
    )
    op.create_index(
        op.f("ix_provider_groups_provider_id"), "provider_groups", ["provider_id"], unique=False
    )

    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_include", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("group_exclude", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("name_include", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("name_exclude", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column("take_new_groups", sa.Boolean(), server_default=sa.true(), nullable=False)
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xtream_lineup_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_users_xtream_lineup_id"), ["xtream_lineup_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_users_xtream_lineup_id_lineups"),
            "lineups",
            ["xtream_lineup_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_xtream_lineup_id_lineups"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_users_xtream_lineup_id"))
        batch_op.drop_column("xtream_lineup_id")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_column("take_new_groups")
        batch_op.drop_column("name_exclude")
        batch_op.drop_column("name_include")
        batch_op.drop_column("group_exclude")
        batch_op.drop_column("group_include")
    op.drop_index(op.f("ix_provider_groups_provider_id"), table_name="provider_groups")
    op.drop_table("provider_groups")
    op.drop_index(op.f("ix_user_lineups_lineup_id"), table_name="user_lineups")
    op.drop_table("user_lineups")
    op.drop_index("ix_lineup_channels_lineup_id_number_channel_id", table_name="lineup_channels")
    op.drop_index(op.f("ix_lineup_channels_source"), table_name="lineup_channels")
    op.drop_index(op.f("ix_lineup_channels_channel_id"), table_name="lineup_channels")
    op.drop_table("lineup_channels")
    op.drop_index(op.f("ix_lineups_position"), table_name="lineups")
    op.drop_table("lineups")
