"""per-provider play mode and stream profiles: providers.play_mode (NULL = auto),
providers.stream_profile and channels.stream_profile (a per-channel override)

Revision ID: stream_profiles
Revises: lineups_groups
Create Date: 2026-12-02 14:00:00

Every column is nullable with no default: existing providers stay on auto (proxied when a URL
shows the credentials, else the global mode) and on the built-in proxy profile.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "stream_profiles"
down_revision: str | None = "lineups_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("play_mode", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("stream_profile", sa.String(length=40), nullable=True))
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stream_profile", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("stream_profile")
    with op.batch_alter_table("providers", schema=None) as batch_op:
        batch_op.drop_column("stream_profile")
        batch_op.drop_column("play_mode")
