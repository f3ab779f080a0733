"""Merge rules (admin): "never merge" / "always merge" name patterns the matcher obeys.

A pattern is a glob (``BBC One*``) or a regular expression after ``re:``; both are compiled here so
a typo is a 422 now rather than a failed sync later. Rules take effect at the next sync.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from strmline.api.deps import AdminUser, SessionDep
from strmline.api.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
    page_by_id,
)
from strmline.api.params import IdPath
from strmline.db.models import MergeRule
from strmline.errors import NotFound
from strmline.matching.rules import compile_pattern

router = APIRouter(prefix="/api/rules", tags=["rules"])

RuleKind = Literal["never", "always"]


def _check_pattern(value: str) -> str:
    pattern = value.strip()
    if not pattern or pattern == "re:":
        raise ValueError("a pattern cannot be empty")
    try:
        compile_pattern(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


class RuleCreate(BaseModel):
    kind: RuleKind
    pattern_a: str = Field(max_length=300)
    pattern_b: str = Field(max_length=300)
    note: str | None = Field(None, max_length=2000)

    @field_validator("pattern_a", "pattern_b")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _check_pattern(value)


class RuleUpdate(BaseModel):
    kind: RuleKind | None = None
    pattern_a: str | None = Field(None, max_length=300)
    pattern_b: str | None = Field(None, max_length=300)
    note: str | None = Field(None, max_length=2000)

    @field_validator("pattern_a", "pattern_b")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        return None if value is None else _check_pattern(value)


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    pattern_a: str
    pattern_b: str
    note: str | None
    created_at: datetime
    updated_at: datetime


async def _get(session: SessionDep, rule_id: int) -> MergeRule:
    rule = await session.get(MergeRule, rule_id)
    if rule is None:
        raise NotFound(f"no merge rule with id {rule_id}")
    return rule


@router.get("", summary="Merge rules, by id")
async def list_rules(
    session: SessionDep,
    _: AdminUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[RuleRead]:
    return await page_by_id(session, MergeRule, RuleRead, limit, cursor)


@router.post("", status_code=201, summary="Add a merge rule")
async def create_rule(body: RuleCreate, session: SessionDep, _: AdminUser) -> RuleRead:
    rule = MergeRule(**body.model_dump())
    session.add(rule)
    await session.flush()
    return RuleRead.model_validate(rule)


@router.get("/{rule_id}", summary="One merge rule")
async def get_rule(rule_id: IdPath, session: SessionDep, _: AdminUser) -> RuleRead:
    return RuleRead.model_validate(await _get(session, rule_id))


@router.patch("/{rule_id}", summary="Change a merge rule (only the fields sent)")
async def update_rule(
    rule_id: IdPath, body: RuleUpdate, session: SessionDep, _: AdminUser
) -> RuleRead:
    rule = await _get(session, rule_id)
    for name, value in body.model_dump(exclude_unset=True).items():
        # kind and patterns cannot be cleared; only the note can be set back to null.
        if value is not None or name == "note":
            setattr(rule, name, value)
    await session.flush()
    await session.refresh(rule)
    return RuleRead.model_validate(rule)


@router.delete("/{rule_id}", status_code=204, summary="Delete a merge rule")
async def delete_rule(rule_id: IdPath, session: SessionDep, _: AdminUser) -> Response:
    await session.delete(await _get(session, rule_id))
    return Response(status_code=204)
