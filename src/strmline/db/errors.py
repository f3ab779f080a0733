"""One readable line for an unexpected error, for job records and sync messages.

SQLAlchemy's errors carry the whole statement and its parameters in their text (a bulk
statement's can be megabytes); a job's message keeps the driver's own sentence, on one line,
and the full detail goes to the log where the error is caught.
"""

from __future__ import annotations

from sqlalchemy.exc import StatementError

__all__ = ["one_line"]

LIMIT = 300


def one_line(exc: BaseException, limit: int = LIMIT) -> str:
    """The error as "InterfaceError: the number of query arguments cannot exceed 32767":
    the driver's first line, never the SQL or its parameters."""
    text = str(exc.orig) if isinstance(exc, StatementError) and exc.orig is not None else str(exc)
    # asyncpg errors adapted by SQLAlchemy read "<class 'asyncpg...InterfaceError'>: message".
    if text.startswith("<class '") and "'>: " in text:
        text = text.split("'>: ", 1)[1]
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = first.split(" [SQL: ", 1)[0]
    if len(first) > limit:
        first = first[: limit - 1] + "…"
    name = type(exc).__name__
    return f"{name}: {first}" if first else name
