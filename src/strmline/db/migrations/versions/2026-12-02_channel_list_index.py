"""channel list: the name index also holds what decides whether a channel is listed

Revision ID: channel_list_index
Revises: stream_profiles
Create Date: 2026-12-02 16:30:00

Every channel list query asks ``stream_count > 0 OR manual``. With both columns in the
(search_name, id) index, a search (``search_name LIKE '%q%'``, which no b-tree can seek) and the
list's total read the index alone instead of every row of the table: on SQLite a search that
matches little, and its count, scan a third of the bytes. The old index is a prefix of the new
one, so the name sort and its keyset pages keep their plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "channel_list_index"
down_revision: str | None = "stream_profiles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "ix_channels_search_name_id"
NEW = "ix_channels_search_name_listed"


def upgrade() -> None:
    # Index changes only: no batch mode, which would copy the whole table on SQLite.
    op.create_index(NEW, "channels", ["search_name", "id", "stream_count", "manual"])
    op.drop_index(OLD, table_name="channels")


def downgrade() -> None:
    op.create_index(OLD, "channels", ["search_name", "id"])
    op.drop_index(NEW, table_name="channels")
