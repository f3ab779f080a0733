"""The guide's bad-day guard: a new guide that would empty or gut the stored one is refused.

Run on the staged programmes before the swap, so a refused guide leaves the previous one as it
was. A guide with channels but nothing on air now (no programmes, or only expired ones) and a
guide with far fewer programmes than the last good import are refused unless forced.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.config import EpgSettings
from strmline.db.models import EpgProgrammeStaging, EpgSource

__all__ = ["refusal", "staged_counts"]


async def staged_counts(session: AsyncSession, source_id: int, now: datetime) -> tuple[int, int]:
    """(programmes staged, of which on air at ``now``)."""
    staging = EpgProgrammeStaging
    on_air = and_(staging.start <= now, staging.stop > now)
    row = (
        await session.execute(
            select(func.count(), func.count().filter(on_air)).where(staging.source_id == source_id)
        )
    ).one()
    return int(row[0]), int(row[1])


def refusal(
    source: EpgSource, staged: int, on_air: int, settings: EpgSettings, force: bool
) -> str | None:
    """Why the staged guide must not replace the stored one, or None."""
    if force:
        return None
    last = source.programme_count or 0
    if not last:
        return None  # nothing to keep: an odd first guide is still better than none
    keep = f"keeping the previous guide ({last:,} programmes; force to accept)"
    if on_air == 0:
        what = "no programmes" if staged == 0 else f"{staged:,} programmes, none on air now"
        return f"the guide has {what}; {keep}"
    if staged < last * settings.shrink_guard:
        return (
            f"the guide has {staged:,} programmes, fewer than {settings.shrink_guard:.0%} of "
            f"the last good import; {keep}"
        )
    return None
