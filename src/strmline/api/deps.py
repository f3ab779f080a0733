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


def get_settings_dep(request: Request) -> Settings:
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


def get_runtime(request: Request) -> JobRuntime:
    runtime: JobRuntime = request.app.state.runtime
    return runtime


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
RuntimeDep = Annotated[JobRuntime, Depends(get_runtime)]

_bearer = HTTPBearer(auto_error=False, description="access token from POST /api/auth/login")


async def get_current_user(
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
    return await user_for_access_token(session, settings, credentials.credentials)


async def user_for_access_token(session: Session, settings: Settings, token: str) -> User:
    """The active user an access token names; 401 once its version is stale (logout, change)."""
    user_id, version = decode(token, settings.get_secret_key(), "access")
    user = await user_service.get_by_token_version(
        session=session, user_id=user_id, version=version
    )
    if user is None:
        raise ApiError(401, "invalid_token", "the token is no longer valid; log in again")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if user.role != "admin":
        raise ApiError(403, "forbidden", "this needs an admin account")
    return user


AdminUser = Annotated[User, Depends(get_admin)]


async def get_token_user(
    session: SessionDep,
    token: Annotated[
        str | None, Query(description="the user's API token (GET /api/auth/api-token)")
    ] = None,
) -> User:
    """Media servers and players authenticate with the API token in the URL."""
    user = await user_service.get_by_api_token(session=session, token=token or "")
    if user is None:
        raise ApiError(
            401, "invalid_api_token", "a valid ?token= is required (see GET /api/auth/api-token)"
        )
    return user


TokenUser = Annotated[User, Depends(get_token_user)]
