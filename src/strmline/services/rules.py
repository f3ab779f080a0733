"""Merge rules: "never merge" / "always merge" name patterns the matcher obeys at the next sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import MergeRule
from strmline.errors import NotFound
from strmline.services import paging

# Only the note can be set back to null; kind and patterns always hold a value.
CLEARABLE = frozenset({"note"})


async def list_page(
    *, session: AsyncSession, limit: int, cursor: str | None
) -> tuple[list[MergeRule], str | None]:
    """One page of rules in id order, and the next page's cursor."""
    rows, next_cursor = await paging.list_by_id(
        session=session, model=MergeRule, limit=limit, cursor=cursor
    )
    return list(rows), next_cursor


async def get(*, session: AsyncSession, rule_id: int) -> MergeRule:
    rule = await session.get(MergeRule, rule_id)
    if rule is None:
        raise NotFound(f"no merge rule with id {rule_id}")
    return rule


async def create(
    *, session: AsyncSession, kind: str, pattern_a: str, pattern_b: str, note: str | None
) -> MergeRule:
    rule = MergeRule(kind=kind, pattern_a=pattern_a, pattern_b=pattern_b, note=note)
    session.add(rule)
    await session.flush()
    return rule


async def update(*, session: AsyncSession, rule: MergeRule, changes: dict[str, Any]) -> MergeRule:
    """Apply the fields sent; a null leaves a field as is unless it may be cleared."""
    for name, value in changes.items():
        if value is not None or name in CLEARABLE:
            setattr(rule, name, value)
    await session.flush()
    await session.refresh(rule)
    return rule


async def delete(*, session: AsyncSession, rule: MergeRule) -> None:
    await session.delete(rule)
