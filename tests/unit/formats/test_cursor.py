"""The keyset cursor codec: round trips, and every invented cursor refused the same way."""

from __future__ import annotations

import base64

import orjson
import pytest

from strmline.errors import FormatError
from strmline.formats import cursor


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def test_round_trip_is_unpadded_base64url_json() -> None:
    token = cursor.encode("écho", 7)
    assert "=" not in token
    assert cursor.decode(token, str, int) == ("écho", 7)
    assert cursor.load(token, 2) == ["écho", 7]
    assert cursor.decode(None, int) is None and cursor.decode("", int) is None


def test_a_whole_number_stands_for_a_float() -> None:
    assert cursor.decode(cursor.encode(5), float) == (5.0,)


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        _raw({"a": 1}),
        _raw([1, 2]),  # wrong length
        _raw(["x"]),  # wrong type
        _raw([None]),
        _raw([True]),  # bool is not a number here
        _raw([2**31]),  # never issued: ids are 32-bit
    ],
)
def test_invented_cursors_are_refused(token: str) -> None:
    with pytest.raises(cursor.InvalidCursor) as info:
        cursor.decode(token, int)
    assert isinstance(info.value, FormatError) and info.value.code == "invalid_cursor"


def test_split_page() -> None:
    assert cursor.split_page([1, 2, 3], 2) == ([1, 2], True)
    assert cursor.split_page([1, 2], 2) == ([1, 2], False)
