"""Accounts: password hashing, API tokens, user records."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from strmline.db.base import utcnow
from strmline.db.locks import lock_first_run
from strmline.db.models import User
from strmline.errors import ConfigError, Conflict, NotFound

_hasher = PasswordHasher()
MIN_PASSWORD = 8
ROLES = ("admin", "user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_api_token() -> str:
    return secrets.token_urlsafe(24)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(
            f"the password needs at least {MIN_PASSWORD} characters", details={"field": "password"}
        )


def check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise ConfigError(
            "a username is 1-100 characters without spaces", details={"field": "username"}
        )
    return name


async def count(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def create(
    *, session: AsyncSession, username: str, password: str, role: str = "user"
) -> User:
    name = check_username(username)
    check_password(password)
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}", details={"field": "role"})
    user = User(
        username=name,
        password_hash=hash_password(password),
        role=role,
        api_token=new_api_token(),
        is_active=True,
        token_version=0,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"a user named {name!r} already exists") from exc
    return user


async def create_first_admin(*, session: AsyncSession, username: str, password: str) -> User:
    """The first admin, only while no user exists; Conflict otherwise.

    Counting and inserting under one lock: eight setups sent at once used to each count zero
    users and create five admins on PostgreSQL. The caller commits (which releases the lock)."""
    check_username(username)
    check_password(password)
    await lock_first_run(session)
    if await count(session=session) > 0:
        raise Conflict("setup is already done: log in instead")
    return await create(session=session, username=username, password=password, role="admin")


async def get(*, session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


async def get_by_token_version(*, session: AsyncSession, user_id: int, version: int) -> User | None:
    """The active user a token names while its version is current (logout and a password
    change bump it, ending every token issued before)."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active or user.token_version != version:
        return None
    return user


async def get_by_username(*, session: AsyncSession, username: str) -> User | None:
    return (
        await session.execute(select(User).where(User.username == username))
    ).scalar_one_or_none()


async def get_by_api_token(*, session: AsyncSession, token: str) -> User | None:
    if not token:
        return None
    user = (await session.execute(select(User).where(User.api_token == token))).scalar_one_or_none()
    return user if user is not None and user.is_active else None


async def authenticate(*, session: AsyncSession, username: str, password: str) -> User | None:
    user = await get_by_username(session=session, username=username.strip())
    if user is None:
        # Spend the same time as a real check so a missing user is not detectable by timing.
        verify_password(_DUMMY_HASH, password)
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_login(user: User) -> None:
    user.last_login_at = utcnow()


def revoke_tokens(user: User) -> None:
    """End every access and refresh token issued to ``user`` so far."""
    user.token_version += 1


def change_password(user: User, *, current: str, new: str) -> bool:
    """Set a new password if ``current`` is right (other sessions end); False if it is wrong."""
    if not verify_password(user.password_hash, current):
        return False
    check_password(new)
    user.password_hash = hash_password(new)
    revoke_tokens(user)
    return True


def rotate_api_token(user: User) -> str:
    """A new API token; playlist, guide and tuner URLs with the old one stop working."""
    user.api_token = new_api_token()
    return user.api_token


_DUMMY_HASH = hash_password("not-a-real-password")
