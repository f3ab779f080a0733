"""Stream health at request time: the counts by status and provider, and what a check may target."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import Provider, Stream
from strmline.errors import NotFound

STATUSES = ("ok", "slow", "failed", "unknown")


@dataclass(slots=True)
class HealthCounts:
    ok: int = 0
    slow: int = 0
    failed: int = 0
    unknown: int = 0
    inactive: int = 0
    checked_at_last: datetime | None = None

    def add(self, status: str, active: bool, count: int, checked_at: datetime | None) -> None:
        if status in STATUSES:
            setattr(self, status, getattr(self, status) + count)
        if not active:
            self.inactive += count
        if checked_at is not None and (
            self.checked_at_last is None or checked_at > self.checked_at_last
        ):
            self.checked_at_last = checked_at


@dataclass(slots=True)
class ProviderHealth(HealthCounts):
    provider_id: int = 0
    name: str = ""


@dataclass(slots=True)
class HealthSummary:
    total: HealthCounts
    by_provider: list[ProviderHealth] = field(default_factory=list)


async def summary(*, session: AsyncSession) -> HealthSummary:
    """One aggregate over (provider, status, active): a few rows per provider, never per stream."""
    rows = await session.execute(
        select(
            Stream.provider_id,
            Provider.name,
            Stream.status,
            Stream.active,
            func.count(),
            func.max(Stream.checked_at),
        )
        .join(Provider, Provider.id == Stream.provider_id)
        .where(Stream.removed_at.is_(None))
        .group_by(Stream.provider_id, Provider.name, Stream.status, Stream.active)
    )
    total = HealthCounts()
    providers: dict[int, ProviderHealth] = {}
    for provider_id, name, status, active, count, checked_at in rows:
        entry = providers.setdefault(
            provider_id, ProviderHealth(provider_id=provider_id, name=name)
        )
        for target in (total, entry):
            target.add(status, bool(active), int(count), checked_at)
    return HealthSummary(
        total=total, by_provider=sorted(providers.values(), key=lambda p: p.provider_id)
    )


async def check_target(*, session: AsyncSession, provider_id: int | None) -> None:
    """A check may name a provider only if it exists (a channel that does not simply matches none)."""
    if provider_id is not None and await session.get(Provider, provider_id) is None:
        raise NotFound(f"provider {provider_id} does not exist")
