"""Users (admin): list, create, change password/role/active, delete.

Any change to a user's password, role or active flag bumps their ``token_version``, which logs
out every session they had. There is always at least one active admin left.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from strmline.api.deps import AdminUser, SessionDep
from strmline.api.pagination import DEFAULT_LIMIT, CursorQuery, LimitQuery, Page
from strmline.api.params import IdPath
from strmline.services import user_admin
from strmline.services import users as user_service

router = APIRouter(prefix="/api/users", tags=["users"])

Role = Literal["admin", "user"]


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=user_service.MIN_PASSWORD, max_length=200)
    role: Role = "user"


class UserUpdate(BaseModel):
    password: str | None = Field(None, min_length=user_service.MIN_PASSWORD, max_length=200)
    role: Role | None = None
    is_active: bool | None = None


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None


@router.get("", summary="Every user, by id")
async def list_users(
    session: SessionDep,
    _: AdminUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[UserRead]:
    users, next_cursor = await user_admin.list_page(session=session, limit=limit, cursor=cursor)
    return Page[UserRead](
        items=[UserRead.model_validate(u) for u in users], next_cursor=next_cursor
    )


@router.post("", status_code=201, summary="Add a user")
async def create_user(body: UserCreate, session: SessionDep, _: AdminUser) -> UserRead:
    user = await user_service.create(
        session=session, username=body.username, password=body.password, role=body.role
    )
    return UserRead.model_validate(user)


@router.patch("/{user_id}", summary="Change a user's password, role or active flag")
async def update_user(
    user_id: IdPath, body: UserUpdate, session: SessionDep, _: AdminUser
) -> UserRead:
    user = await user_service.get(session=session, user_id=user_id)
    await user_admin.update(
        session=session,
        user=user,
        password=body.password,
        role=body.role,
        is_active=body.is_active,
    )
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=204, summary="Delete a user (not yourself)")
async def delete_user(user_id: IdPath, session: SessionDep, admin: AdminUser) -> Response:
    await user_admin.delete(session=session, user_id=user_id, acting_user_id=admin.id)
    return Response(status_code=204)
