"""channel numbers: stored on every channel, with where each came from

Until now channels without a tvg-chno were numbered at output time, by name after the highest
number, so one new channel renumbered every unnumbered channel after it. This stores the
numbers the outputs handed out on the day of the upgrade, once, so media servers keep their
guide mappings; from then on the sync assigns numbers (pipelines/numbering.py).

Revision ID: channel_numbers
Revises: search_trgm
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "channel_numbers"
down_revision: str | None = "search_trgm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def backfill(
    rows: Sequence[tuple[int, float | None, str, bool, bool]],
) -> dict[int, tuple[float, str]]:
    """(id, number, search_name, in the lineup, manual) → id: (number, source) for every channel.

    The lineup (enabled, with streams) keeps exactly the numbers the outputs showed: its own
    number, else one after the lineup's highest number in name order. A number two channels
    shared stays with the first in lineup order. Channels outside the lineup keep their number
    when it is still free; the rest are numbered after everything, by name.
    """
    out: dict[int, tuple[float, str]] = {}
    used: set[float] = set()
    later: list[tuple[str, int]] = []
    lineup = [r for r in rows if r[3]]
    numbered = sorted((r for r in lineup if r[1] is not None), key=lambda r: (r[1], r[2], r[0]))
    highest = max((r[1] for r in numbered if r[1] is not None), default=None)
    seq = max(1, math.floor(highest) + 1) if highest is not None else 1
    for channel_id, number, name, _, manual in numbered:
        assert number is not None
        if number in used:
            later.append((name, channel_id))
            continue
        out[channel_id] = (number, "manual" if manual else "chno")
        used.add(number)
    for channel_id, _, _, _, _ in sorted(
        (r for r in lineup if r[1] is None), key=lambda r: (r[2], r[0])
    ):
        out[channel_id] = (float(seq), "auto")
        used.add(float(seq))
        seq += 1
    for channel_id, number, name, _, manual in sorted(
        (r for r in rows if not r[3]), key=lambda r: (r[1] is None, r[1] or 0, r[2], r[0])
    ):
        if number is not None and number not in used:
            out[channel_id] = (number, "manual" if manual else "chno")
            used.add(number)
        else:
            later.append((name, channel_id))
    top = max(used, default=None)
    seq = max(seq, math.floor(top) + 1 if top is not None else 1)
    for _, channel_id in sorted(later):
        out[channel_id] = (float(seq), "auto")
        seq += 1
    return out


def upgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number_source", sa.String(length=8), nullable=True))

    conn = op.get_bind()
    channels = sa.table(
        "channels",
        sa.column("id", sa.Integer()),
        sa.column("number", sa.Float()),
        sa.column("number_source", sa.String()),
        sa.column("search_name", sa.String()),
        sa.column("enabled", sa.Boolean()),
        sa.column("stream_count", sa.Integer()),
        sa.column("manual", sa.Boolean()),
    )
    in_lineup = sa.and_(channels.c.enabled.is_(True), channels.c.stream_count > 0)
    rows = conn.execute(
        sa.select(
            channels.c.id,
            channels.c.number,
            channels.c.search_name,
            sa.case((in_lineup, True), else_=False),
            channels.c.manual,
        )
    ).all()
    assigned = backfill([(r[0], r[1], r[2], bool(r[3]), bool(r[4])) for r in rows])
    stmt = (
        sa.update(channels)
        .where(channels.c.id == sa.bindparam("_id"))
        .values(number=sa.bindparam("_n"), number_source=sa.bindparam("_src"))
    )
    params = [{"_id": cid, "_n": n, "_src": src} for cid, (n, src) in assigned.items()]
    for start in range(0, len(params), BATCH):
        conn.execute(stmt, params[start : start + BATCH])


def downgrade() -> None:
    # The stored numbers stay: with every channel numbered, the old code shows the same ones.
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_column("number_source")
