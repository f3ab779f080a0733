"""FastAPI dependencies: sessions, settings, the job runtime, and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from strmline.api.errors import ApiError
from strmline.api.security import decode
from strmline.config import Settings
from strmline.db.engine import Session, SessionFactory
from strmline.db.models import User
from strmline.jobs.runtime import JobRuntime
from strmline.services import users as user_service
from strmline.services.user_cache import UserCache, api_key, jwt_key

# Requests that only read are answered with a cached user; a write resolves its user from the
# database, attached to its session, so a handler that changes its own user persists it.
CACHED_METHODS = frozenset({"GET", "HEAD"})


# The dependencies below are ``async`` though they never wait: FastAPI runs a plain ``def``
# dependency in its thread pool, a thread hop on every request for an attribute read.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session_factory(request: Request) -> SessionFactory:
    factory: SessionFactory = request.app.state.session_factory
    return factory


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request: committed when the handler returns, rolled back on error."""
    factory = get_session_factory(request)
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_runtime(request: Request) -> JobRuntime:
    runtime: JobRuntime = request.app.state.runtime
    return runtime


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]


async def _session_factory_dep(request: Request) -> SessionFactory:
    return get_session_factory(request)


SessionFactoryDep = Annotated[SessionFactory, Depends(_session_factory_dep)]
RuntimeDep = Annotated[JobRuntime, Depends(get_runtime)]

_bearer = HTTPBearer(auto_error=False, description="access token from POST /api/auth/login")


def get_user_cache(request: Request) -> UserCache:
    """The process's user cache (see :mod:`strmline.services.user_cache`), made on first use."""
    cache: UserCache | None = getattr(request.app.state, "user_cache", None)
    if cache is None:
        cache = UserCache()
        request.app.state.user_cache = cache
    return cache


def _read_cache(request: Request) -> UserCache | None:
    return get_user_cache(request) if request.method in CACHED_METHODS else None


async def get_current_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(
            401,
            "unauthorized",
            "authentication required: send 'Authorization: Bearer <access token>'",
        )
    return await user_for_access_token(
        session, settings, credentials.credentials, cache=_read_cache(request)
    )


async def user_for_access_token(
    session: Session, settings: Settings, token: str, *, cache: UserCache | None = None
) -> User:
    """The active user an access token names; 401 once its version is stale (logout, change).

    With ``cache``, a user seen in the last few seconds is answered without a query.
    """
    user_id, version = decode(token, settings.get_secret_key(), "access")
    key = jwt_key(user_id, version)
    user = cache.get(key) if cache is not None else None
    if user is not None:
        return user
    epoch = cache.epoch if cache is not None else 0
    user = await user_service.get_by_token_version(
        session=session, user_id=user_id, version=version
    )
    if user is None:
        raise ApiError(401, "invalid_token", "the token is no longer valid; log in again")
    if cache is not None:
        cache.put(key, user, epoch=epoch)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise ApiError(403, "forbidden", "this needs an admin account")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


async def user_for_api_token(request: Request, session: Session, token: str) -> User | None:
    """The active user of an API token (media servers' URLs), from the user cache on reads."""
    if not token:
        return None
    cache = _read_cache(request)
    key = api_key(token)
    user = cache.get(key) if cache is not None else None
    if user is not None:
        return user
    epoch = cache.epoch if cache is not None else 0
    user = await user_service.get_by_api_token(session=session, token=token)
    if user is not None and cache is not None:
        cache.put(key, user, epoch=epoch)
    return user


async def get_token_user(
    request: Request,
    session: SessionDep,
    token: Annotated[
        str | None, Query(description="the user's API token (GET /api/auth/api-token)")
    ] = None,
) -> User:
    """Media servers and players authenticate with the API token in the URL."""
    user = await user_for_api_token(request, session, token or "")
    if user is None:
        raise ApiError(
            401, "invalid_api_token", "a valid ?token= is required (see GET /api/auth/api-token)"
        )
    return user


TokenUser = Annotated[User, Depends(get_token_user)]
