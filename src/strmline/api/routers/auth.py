"""First-run setup, login, token refresh, logout, password change, the API token and the
Xtream Codes credentials players log in with."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from strmline.api.deps import CurrentUser, SessionDep, SettingsDep
from strmline.api.errors import ApiError
from strmline.api.outputs.common import public_base
from strmline.api.ratelimit import LoginLimiter
from strmline.api.security import decode, issue_tokens
from strmline.config import Settings
from strmline.db.models import User
from strmline.services import users as user_service
from strmline.services import xtream as xtream_service

router = APIRouter(tags=["auth"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)


class RefreshIn(BaseModel):
    refresh_token: str


class PasswordChange(BaseModel):
    current_password: str
    new_password: str = Field(min_length=user_service.MIN_PASSWORD, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class UserRead(BaseModel):
    id: int
    username: str
    role: str
    is_active: bool


class ApiToken(BaseModel):
    api_token: str


class SetupState(BaseModel):
    needs_setup: bool


def user_read(user: User) -> UserRead:
    return UserRead(id=user.id, username=user.username, role=user.role, is_active=user.is_active)


@router.get("/api/setup", summary="Whether first-run setup is still needed")
async def setup_state(session: SessionDep) -> SetupState:
    return SetupState(needs_setup=await user_service.count(session=session) == 0)


@router.post(
    "/api/setup", status_code=201, summary="Create the first admin (only while no user exists)"
)
async def setup(body: Credentials, session: SessionDep, settings: SettingsDep) -> TokenPair:
    user = await user_service.create_first_admin(
        session=session, username=body.username, password=body.password
    )
    # Committed before answering: the request's own commit may run after the response is sent,
    # and a client that logs in right away must find the account.
    await session.commit()
    return TokenPair(**issue_tokens(user, settings.get_secret_key()))


@router.post("/api/auth/login", summary="Exchange username and password for tokens")
async def login(
    body: Credentials, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    # The trusted client address (see api/ratelimit.py): a forwarded one only from a proxy
    # listed in http.trusted_proxies.
    client = request.client.host if request.client else "unknown"
    limiter: LoginLimiter = request.app.state.login_limiter
    refusal = await limiter.attempt(client, body.username)
    if refusal is not None:
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins; try again in {int(refusal.retry_after) + 1} s",
        )
    user = await user_service.authenticate(
        session=session, username=body.username, password=body.password
    )
    if user is None:
        raise ApiError(401, "invalid_credentials", "wrong username or password")
    await limiter.succeeded(client, body.username)
    user_service.record_login(user)
    return TokenPair(**issue_tokens(user, settings.get_secret_key()))


@router.post("/api/auth/refresh", summary="A new token pair from a refresh token")
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenPair:
    user_id, version = decode(body.refresh_token, settings.get_secret_key(), "refresh")
    user = await user_service.get_by_token_version(
        session=session, user_id=user_id, version=version
    )
    if user is None:
        raise ApiError(401, "invalid_token", "the refresh token is no longer valid; log in again")
    return TokenPair(**issue_tokens(user, settings.get_secret_key()))


@router.post("/api/auth/logout", status_code=204, summary="Invalidate every token of this user")
async def logout(user: CurrentUser) -> None:
    user_service.revoke_tokens(user)


@router.get("/api/auth/me", summary="The logged-in user")
async def me(user: CurrentUser) -> UserRead:
    return user_read(user)


@router.post("/api/auth/password", summary="Change your password (logs out other sessions)")
async def change_password(
    body: PasswordChange, user: CurrentUser, settings: SettingsDep
) -> TokenPair:
    if not user_service.change_password(user, current=body.current_password, new=body.new_password):
        raise ApiError(403, "wrong_password", "the current password is wrong")
    return TokenPair(**issue_tokens(user, settings.get_secret_key()))


@router.get("/api/auth/api-token", summary="Your API token for playlist, guide and tuner URLs")
async def get_api_token(user: CurrentUser) -> ApiToken:
    return ApiToken(api_token=user.api_token)


@router.post("/api/auth/api-token", summary="Rotate your API token (old URLs stop working)")
async def rotate_api_token(user: CurrentUser) -> ApiToken:
    return ApiToken(api_token=user_service.rotate_api_token(user))


class XtreamAccount(BaseModel):
    server: str = Field(description="what players take as the server address")
    username: str
    password: str
    playlist_url: str
    guide_url: str


class XtreamUsername(BaseModel):
    username: str = Field(min_length=1, max_length=100)


def _xtream_account(request: Request, settings: Settings, user: User) -> XtreamAccount:
    base = public_base(request, settings)
    creds = f"username={quote(user.xtream_username)}&password={quote(user.xtream_password)}"
    return XtreamAccount(
        server=base,
        username=user.xtream_username,
        password=user.xtream_password,
        playlist_url=f"{base}/get.php?{creds}&type=m3u_plus&output=ts",
        guide_url=f"{base}/xmltv.php?{creds}",
    )


@router.get(
    "/api/auth/xtream",
    summary="Your Xtream Codes login for IPTV players (server, username, password)",
)
async def get_xtream(request: Request, user: CurrentUser, settings: SettingsDep) -> XtreamAccount:
    return _xtream_account(request, settings, user)


@router.post(
    "/api/auth/xtream/password",
    summary="Rotate your Xtream password (players with the old one are logged out)",
)
async def rotate_xtream_password(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> XtreamAccount:
    xtream_service.rotate_password(user)
    await session.commit()  # players given the new password may log in at once
    return _xtream_account(request, settings, user)


@router.put("/api/auth/xtream/username", summary="Choose your Xtream username")
async def set_xtream_username(
    body: XtreamUsername,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> XtreamAccount:
    await xtream_service.set_username(session, user, body.username)
    await session.commit()
    return _xtream_account(request, settings, user)
