"""Access and refresh tokens (JWT, HS256, signed with the settings' secret key)."""

from __future__ import annotations

import time
from typing import Any

import jwt

from strmline.api.errors import ApiError
from strmline.db.models import User

ACCESS_SECONDS = 15 * 60
REFRESH_SECONDS = 30 * 24 * 3600
ALGORITHM = "HS256"


def _encode(user: User, kind: str, lifetime: int, key: str) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "typ": kind,
        "ver": user.token_version,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def issue_tokens(user: User, key: str) -> dict[str, Any]:
    return {
        "access_token": _encode(user, "access", ACCESS_SECONDS, key),
        "refresh_token": _encode(user, "refresh", REFRESH_SECONDS, key),
        "token_type": "bearer",
        "expires_in": ACCESS_SECONDS,
    }


def decode(token: str, key: str, kind: str) -> tuple[int, int]:
    """(user id, token version) of a valid token of ``kind``; 401 otherwise."""
    try:
        claims = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(
            401, "token_expired", "the token has expired; log in again or refresh it"
        ) from exc
    except jwt.PyJWTError as exc:
        raise ApiError(401, "invalid_token", "the token is not valid") from exc
    if claims.get("typ") != kind:
        raise ApiError(401, "invalid_token", f"not an {kind} token")
    try:
        return int(claims["sub"]), int(claims.get("ver", 0))
    except (TypeError, ValueError) as exc:
        raise ApiError(401, "invalid_token", "the token is not valid") from exc
