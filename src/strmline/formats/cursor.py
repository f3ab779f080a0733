"""The keyset cursor codec every list uses: a page's last sort key as base64url'd JSON.

Opaque to clients, so a sort can change without breaking their URLs in a way they could depend
on. Pure (no I/O), so the API and the services share it; a cursor a client invented raises
:class:`InvalidCursor`, which the API answers with a 422.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

import orjson

from strmline.errors import FormatError

__all__ = ["BAD_CURSOR", "InvalidCursor", "decode", "encode", "load", "split_page"]

T = TypeVar("T")

BAD_CURSOR = "the cursor is not valid; start again without it"

# Sort keys are 32-bit integers in the database; anything larger was never issued here.
_INT_RANGE = range(-(2**31), 2**31)


class InvalidCursor(FormatError):
    code = "invalid_cursor"


def encode(*values: Any) -> str:
    """The cursor for a page ending on the sort key ``values``."""
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode().rstrip("=")


def load(cursor: str, length: int) -> list[Any]:
    """The ``length`` raw values in ``cursor``, unchecked beyond being a JSON list that long."""
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor(BAD_CURSOR) from exc
    if not isinstance(values, list) or len(values) != length:
        raise InvalidCursor(BAD_CURSOR)
    return values


def decode(cursor: str | None, *types: type) -> tuple[Any, ...] | None:
    """The sort key in ``cursor`` checked against ``types`` (None: no cursor, the first page)."""
    if not cursor:
        return None
    out: list[Any] = []
    for value, kind in zip(load(cursor, len(types)), types, strict=True):
        # bool is an int subclass in Python; a cursor never holds one where a number belongs.
        if value is None or (isinstance(value, bool) and kind is not bool):
            raise InvalidCursor(BAD_CURSOR)
        if kind is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, int) and value not in _INT_RANGE):
            raise InvalidCursor(BAD_CURSOR)
        out.append(value)
    return tuple(out)


def split_page(rows: list[T], limit: int) -> tuple[list[T], bool]:
    """Rows fetched with ``LIMIT limit + 1``: the page, and whether another one follows."""
    return rows[:limit], len(rows) > limit
