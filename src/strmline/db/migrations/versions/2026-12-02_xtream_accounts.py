"""xtream accounts: per-user Xtream Codes credentials (username, rotatable password)

Revision ID: xtream_accounts
Revises: epg_refresh
Create Date: 2026-12-02 12:00:00

Players send Xtream credentials in every URL, so they are not the login password: each user gets
a username (the login name when it is safe in a URL path) and a random password of letters and
digits. Existing users are backfilled in one executemany, then the columns become required.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "xtream_accounts"
down_revision: str | None = "epg_refresh"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_ALPHABET = string.ascii_letters + string.digits


def _username(name: str, taken: set[str]) -> str:
    # Kept here rather than imported: a migration must not change when the model code does.
    cleaned = _UNSAFE.sub("", name)[:80]
    candidate = cleaned if cleaned == name and cleaned else ""
    while not candidate or candidate in taken:
        candidate = f"{cleaned or 'user'}-{secrets.token_hex(3)}"
    taken.add(candidate)
    return candidate


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xtream_username", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("xtream_password", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("username", sa.String),
        sa.column("xtream_username", sa.String),
        sa.column("xtream_password", sa.String),
    )
    rows = bind.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all()
    taken: set[str] = set()
    params = [
        {
            "uid": uid,
            "xu": _username(str(name), taken),
            "xp": "".join(secrets.choice(_ALPHABET) for _ in range(16)),
        }
        for uid, name in rows
    ]
    if params:
        bind.execute(
            users.update()
            .where(users.c.id == sa.bindparam("uid"))
            .values(xtream_username=sa.bindparam("xu"), xtream_password=sa.bindparam("xp")),
            params,
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "xtream_username", existing_type=sa.String(length=100), nullable=False
        )
        batch_op.alter_column("xtream_password", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_users_xtream_username"), ["xtream_username"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_users_xtream_username"), type_="unique")
        batch_op.drop_column("xtream_password")
        batch_op.drop_column("xtream_username")
