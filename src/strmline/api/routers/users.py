"""Users (admin): list, create, change password/role/active, delete.

Any change to a user's password, role or active flag bumps their ``token_version``, which logs
out every session they had. There is always at least one active admin left.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from strmline.api.deps import AdminUser, SessionDep
from strmline.api.pagination import (
    DEFAULT_LIMIT,
    CursorQuery,
    LimitQuery,
    Page,
    page_by_id,
)
from strmline.api.params import IdPath
from strmline.db.models import User
from strmline.errors import Conflict
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


async def _other_active_admins(session: SessionDep, user_id: int) -> int:
    # FOR UPDATE (PostgreSQL; SQLite serialises writers anyway) so two admins demoting each
    # other at the same moment cannot both see the other one as the remaining admin.
    ids = await session.scalars(
        select(User.id)
        .where(User.role == "admin", User.is_active.is_(True), User.id != user_id)
        .with_for_update()
    )
    return len(ids.all())


async def _keep_an_admin(session: SessionDep, user: User, action: str) -> None:
    if (
        user.role == "admin"
        and user.is_active
        and await _other_active_admins(session, user.id) == 0
    ):
        raise Conflict(f"cannot {action} the last active admin", details={"user_id": user.id})


@router.get("", summary="Every user, by id")
async def list_users(
    session: SessionDep,
    _: AdminUser,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[UserRead]:
    return await page_by_id(session, User, UserRead, limit, cursor)


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
    losing_admin = (body.role is not None and body.role != "admin") or body.is_active is False
    if losing_admin:
        await _keep_an_admin(session, user, "demote or deactivate")
    changed = False
    if body.password is not None:
        user.password_hash = user_service.hash_password(body.password)
        changed = True
    if body.role is not None and body.role != user.role:
        user.role = body.role
        changed = True
    if body.is_active is not None and body.is_active != user.is_active:
        user.is_active = body.is_active
        changed = True
    if changed:
        user.token_version += 1
    await session.flush()
    return UserRead.model_validate(user)


@router.delete("/{user_id}", status_code=204, summary="Delete a user (not yourself)")
async def delete_user(user_id: IdPath, session: SessionDep, admin: AdminUser) -> Response:
    if user_id == admin.id:
        raise Conflict("you cannot delete your own account", details={"user_id": user_id})
    user = await user_service.get(session=session, user_id=user_id)
    await _keep_an_admin(session, user, "delete")
    await session.delete(user)
    return Response(status_code=204)
