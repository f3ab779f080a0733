"""Account administration: pages of users, and changes and removals that keep an active admin.

Any change to a user's password, role or active flag bumps their ``token_version``, which logs
out every session they had. Passwords, tokens and logging in are :mod:`strmline.services.users`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.models import User
from strmline.errors import Conflict
from strmline.services import paging
from strmline.services import users as user_service


async def list_page(
    *, session: AsyncSession, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    """One page of users in id order, and the next page's cursor."""
    rows, next_cursor = await paging.list_by_id(
        session=session, model=User, limit=limit, cursor=cursor
    )
    return list(rows), next_cursor


async def get_first_admin(*, session: AsyncSession) -> User | None:
    """The oldest admin account, if there is one."""
    return (
        await session.execute(select(User).where(User.role == "admin").order_by(User.id).limit(1))
    ).scalar_one_or_none()


async def update(
    *,
    session: AsyncSession,
    user: User,
    password: str | None = None,
    role: str | None = None,
    is_active: bool | None = None,
) -> User:
    """Change what is given (None leaves a field as is); never demotes the last active admin."""
    if (role is not None and role != "admin") or is_active is False:
        await _keep_an_admin(session, user, "demote or deactivate")
    changed = False
    if password is not None:
        user.password_hash = user_service.hash_password(password)
        changed = True
    if role is not None and role != user.role:
        user.role = role
        changed = True
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        changed = True
    if changed:
        user.token_version += 1
    await session.flush()
    return user


async def delete(*, session: AsyncSession, user_id: int, acting_user_id: int) -> None:
    """Remove a user; not the acting admin's own account, nor the last active admin."""
    if user_id == acting_user_id:
        raise Conflict("you cannot delete your own account", details={"user_id": user_id})
    user = await user_service.get(session=session, user_id=user_id)
    await _keep_an_admin(session, user, "delete")
    await session.delete(user)


async def _other_active_admins(session: AsyncSession, user_id: int) -> int:
    # FOR UPDATE (PostgreSQL; SQLite serialises writers anyway) so two admins demoting each
    # other at the same moment cannot both see the other one as the remaining admin.
    ids = await session.scalars(
        select(User.id)
        .where(User.role == "admin", User.is_active.is_(True), User.id != user_id)
        .with_for_update()
    )
    return len(ids.all())


async def _keep_an_admin(session: AsyncSession, user: User, action: str) -> None:
    if (
        user.role == "admin"
        and user.is_active
        and await _other_active_admins(session, user.id) == 0
    ):
        raise Conflict(f"cannot {action} the last active admin", details={"user_id": user.id})
