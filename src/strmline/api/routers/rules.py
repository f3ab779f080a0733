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
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import IdPath
from strmline.matching.rules import compile_pattern
from strmline.services import rules as rule_service

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


@router.get("", summary="Merge rules, by id")
async def list_rules(
    session: SessionDep,
    _: AdminUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[RuleRead]:
    rules, next_cursor = await rule_service.list_page(session=session, limit=limit, cursor=cursor)
    return Page[RuleRead](
        items=[RuleRead.model_validate(r) for r in rules], next_cursor=next_cursor
    )


@router.post("", status_code=201, summary="Add a merge rule")
async def create_rule(body: RuleCreate, session: SessionDep, _: AdminUser) -> RuleRead:
    rule = await rule_service.create(session=session, **body.model_dump())
    return RuleRead.model_validate(rule)


@router.get("/{rule_id}", summary="One merge rule")
async def get_rule(rule_id: IdPath, session: SessionDep, _: AdminUser) -> RuleRead:
    return RuleRead.model_validate(await rule_service.get(session=session, rule_id=rule_id))


@router.patch("/{rule_id}", summary="Change a merge rule (only the fields sent)")
async def update_rule(
    rule_id: IdPath, body: RuleUpdate, session: SessionDep, _: AdminUser
) -> RuleRead:
    rule = await rule_service.get(session=session, rule_id=rule_id)
    changes = body.model_dump(exclude_unset=True)
    return RuleRead.model_validate(
        await rule_service.update(session=session, rule=rule, changes=changes)
    )


@router.delete("/{rule_id}", status_code=204, summary="Delete a merge rule")
async def delete_rule(rule_id: IdPath, session: SessionDep, _: AdminUser) -> Response:
    rule = await rule_service.get(session=session, rule_id=rule_id)
    await rule_service.delete(session=session, rule=rule)
    return Response(status_code=204)
