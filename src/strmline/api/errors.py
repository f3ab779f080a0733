"""One error shape everywhere: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from strmline.api.responses import OrjsonResponse
from strmline.db.engine import DatabaseError
from strmline.errors import (
    ConfigError,
    Conflict,
    FormatError,
    NotFound,
    ProviderAuthError,
    ProviderError,
    StrmlineError,
)

STATUS: list[tuple[type[StrmlineError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (ConfigError, 422),
    (FormatError, 422),
    (ProviderAuthError, 502),
    (ProviderError, 502),
]


class ApiError(StrmlineError):
    """An error that only makes sense over HTTP (401, 403, 429)."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.status = status
        self.code = code


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> OrjsonResponse:
    return OrjsonResponse(
        {"error": {"code": code, "message": message, "details": details}},
        status_code=status,
        headers=headers,
    )


def status_for(exc: StrmlineError) -> int:
    if isinstance(exc, ApiError):
        return exc.status
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(StrmlineError)
    async def _domain(request: Request, exc: StrmlineError) -> OrjsonResponse:
        headers = (
            {"WWW-Authenticate": "Bearer"}
            if isinstance(exc, ApiError) and exc.status == 401
            else None
        )
        return error_response(status_for(exc), exc.code, exc.message, exc.details, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> OrjsonResponse:
        fields = [
            {
                "field": ".".join(
                    str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")
                ),
                "in": str(err.get("loc", ("",))[0]),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        names = ", ".join(f["field"] or f["in"] for f in fields)
        return error_response(422, "validation_error", f"invalid request: {names}", fields)

    # Numbers no column can hold (ids past 2**31, say) fail inside the driver; that is the
    # client's mistake, not a server error, whichever route it reached.
    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> OrjsonResponse:
        return error_response(422, "out_of_range", "a number in the request is out of range")

    @app.exception_handler(DatabaseError)
    async def _dbapi(request: Request, exc: DatabaseError) -> OrjsonResponse:
        if _is_data_error(exc):
            return error_response(
                422, "out_of_range", "a value in the request does not fit the database"
            )
        raise exc

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> OrjsonResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthorized",
            403: "forbidden",
        }.get(exc.status_code, "http_error")
        return error_response(
            exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None)
        )


def _is_data_error(exc: DatabaseError) -> bool:
    """A value the database or its driver refused as data, not a fault of the server.

    asyncpg raises its DataError client-side ("value out of int32 range"); SQLAlchemy's adapter
    re-wraps it, so the original sits in the cause chain.
    """
    seen: BaseException | None = exc.orig
    while seen is not None:
        names = {cls.__name__ for cls in type(seen).__mro__}
        if names & {"DataError", "NumericValueOutOfRangeError", "OverflowError"}:
            return True
        seen = seen.__cause__
    return False
