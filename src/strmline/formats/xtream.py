"""Xtream Codes ``player_api.php`` payloads, normalised (pure: decoded JSON in, dataclasses out).

Panels disagree about almost every field: numbers arrive as ``"123"`` or ``123``, booleans as
``"1"``, ``1``, ``true`` or ``"true"``, an empty object as ``[]``, timestamps as unix seconds in a
string, ``""``, ``null`` or ``"0"``, and ``exp_date: null`` means "never expires". The helpers
below accept all of that and never raise; the parsers skip a row they cannot use instead of
failing the whole list, because one broken channel must not cost the user the other 20,000.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

__all__ = [
    "AccountInfo",
    "Category",
    "LiveStream",
    "ServerInfo",
    "as_dict",
    "as_list",
    "live_url",
    "movie_url",
    "normalize_server",
    "parse_account",
    "parse_categories",
    "parse_live_streams",
    "series_url",
    "to_bool",
    "to_datetime",
    "to_int",
    "to_str",
    "xmltv_url",
]

_TRUE = frozenset({"1", "true", "yes", "y", "on", "active", "enabled"})
# Anything past this is a millisecond timestamp (year 5138 in seconds).
_MS_THRESHOLD = 100_000_000_000


@dataclass(frozen=True, slots=True)
class AccountInfo:
    auth: bool
    status: str
    expires_at: datetime | None  # None: no expiry date ("unlimited")
    max_connections: int | None
    active_connections: int | None
    allowed_formats: tuple[str, ...]
    is_trial: bool
    created_at: datetime | None
    message: str | None


@dataclass(frozen=True, slots=True)
class ServerInfo:
    url: str | None
    port: int | None
    https_port: int | None
    protocol: str
    timezone: str | None

    @property
    def base_url(self) -> str | None:
        """What the panel claims its address is; often wrong behind a proxy, so only a hint."""
        if not self.url:
            return None
        port = self.https_port if self.protocol == "https" else self.port
        return f"{self.protocol}://{self.url}" + (f":{port}" if port else "")


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    name: str
    parent_id: str | None


@dataclass(frozen=True, slots=True)
class LiveStream:
    stream_id: int
    num: int | None
    name: str
    category_id: str | None
    icon: str | None
    epg_channel_id: str | None
    added: datetime | None
    tv_archive: bool
    tv_archive_duration: int | None
    custom_sid: str | None
    direct_source: str | None


# -- tolerant scalars ---------------------------------------------------------------------------


def to_int(value: Any, default: int | None = None) -> int | None:
    """``12``, ``"12"``, ``" 12 "``, ``"12.0"`` and ``12.0`` are all 12; anything else is ``default``."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else default
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return default
        return int(number) if math.isfinite(number) else default
    return default


def to_bool(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if not text:
            return default
        if text in _TRUE:
            return True
        number = to_int(text)
        return bool(number) if number is not None else False
    return default


def to_str(value: Any) -> str | None:
    """A stripped string, or None for null, ``""``, ``[]``, ``{}`` and other non-scalars."""
    if value is None or isinstance(value, bool | list | dict):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def to_datetime(value: Any) -> datetime | None:
    """Unix seconds (int, float or string; milliseconds tolerated) or an ISO-ish date, as UTC.

    ``0``, ``""``, null, ``"null"`` and ``"unlimited"`` are None: panels use them for "never".
    Naive date strings are taken as UTC because the panel's own timezone is unreliable.
    """
    if isinstance(value, bool) or value is None:
        return None
    seconds: float | None = None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            seconds = float(text)
        except ValueError:
            return _parse_date_text(text)
    else:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parse_date_text(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def as_dict(value: Any) -> dict[str, Any]:
    """An object, or ``{}`` for the ``[]`` (PHP's empty array), null or junk panels send instead."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """A list; an object keyed ``"0"``, ``"1"``… (PHP arrays that lost their order) gives its values."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return []


def _str_tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        parts: list[Any] = value.split(",")
    else:
        parts = as_list(value)
    return tuple(text for text in (to_str(p) for p in parts) if text)


def _id(value: Any) -> str | None:
    """Category ids: ``5``, ``"5"`` and ``5.0`` are all ``"5"``; null, ``""`` and ``[]`` are None."""
    if isinstance(value, bool):
        return None
    return to_str(value)


# -- payloads -----------------------------------------------------------------------------------


def parse_account(payload: Any) -> tuple[AccountInfo, ServerInfo | None]:
    """The answer to ``player_api.php`` without an action (the login call).

    A payload without ``user_info`` (``[]``, ``{}``, an error object) is a failed login, not an
    error: some panels answer a wrong password that way instead of with ``auth: 0``.
    """
    data = as_dict(payload)
    user = as_dict(data.get("user_info"))
    account = AccountInfo(
        auth=to_bool(user.get("auth")),
        status=to_str(user.get("status")) or "",
        expires_at=to_datetime(user.get("exp_date")),
        max_connections=to_int(user.get("max_connections")),
        active_connections=to_int(user.get("active_cons")),
        allowed_formats=_str_tuple(user.get("allowed_output_formats")),
        is_trial=to_bool(user.get("is_trial")),
        created_at=to_datetime(user.get("created_at")),
        message=to_str(user.get("message")),
    )
    server = as_dict(data.get("server_info"))
    if not server:
        return account, None
    protocol = (to_str(server.get("server_protocol")) or "http").lower()
    info = ServerInfo(
        url=to_str(server.get("url")),
        port=to_int(server.get("port")),
        https_port=to_int(server.get("https_port")),
        protocol=protocol if protocol in ("http", "https") else "http",
        timezone=to_str(server.get("timezone")),
    )
    return account, info


def parse_categories(payload: Any) -> list[Category]:
    out: list[Category] = []
    for row in as_list(payload):
        data = as_dict(row)
        category_id = _id(data.get("category_id"))
        if category_id is None:
            continue
        parent = _id(data.get("parent_id"))
        out.append(
            Category(
                id=category_id,
                name=to_str(data.get("category_name")) or category_id,
                parent_id=None if parent in (None, "0") else parent,
            )
        )
    return out


def parse_live_streams(
    payload: Any, *, on_skip: Callable[[Any, str], None] | None = None
) -> Iterator[LiveStream]:
    """Each usable row of ``get_live_streams``; ``on_skip(row, reason)`` hears about the others."""
    for row in as_list(payload):
        try:
            stream, reason = _live_stream(row)
        except (TypeError, ValueError, AttributeError, OverflowError) as exc:
            stream, reason = None, f"unreadable row ({type(exc).__name__})"
        if stream is not None:
            yield stream
        elif on_skip is not None:
            on_skip(row, reason)


def _live_stream(row: Any) -> tuple[LiveStream | None, str]:
    if not isinstance(row, dict):
        return None, "not an object"
    stream_id = to_int(row.get("stream_id"))
    if stream_id is None or stream_id < 0:
        return None, "no stream_id"
    name = to_str(row.get("name"))
    if name is None:
        return None, "no name"
    category_id = _id(row.get("category_id"))
    if category_id is None:
        # Newer panels send ``category_ids: [5, 9]`` and sometimes leave category_id null.
        category_id = next((c for c in map(_id, as_list(row.get("category_ids"))) if c), None)
    stream = LiveStream(
        stream_id=stream_id,
        num=to_int(row.get("num")),
        name=name,
        category_id=category_id,
        icon=to_str(row.get("stream_icon")),
        epg_channel_id=to_str(row.get("epg_channel_id")),
        added=to_datetime(row.get("added")),
        tv_archive=to_bool(row.get("tv_archive")),
        tv_archive_duration=to_int(row.get("tv_archive_duration")),
        custom_sid=to_str(row.get("custom_sid")),
        direct_source=to_str(row.get("direct_source")),
    )
    return stream, ""


# -- URLs ---------------------------------------------------------------------------------------


def normalize_server(server: str) -> str:
    """``host:8080``, ``http://host:8080/`` or a pasted ``.../player_api.php?...`` → ``http://host:8080``."""
    text = server.strip()
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if last.endswith(".php"):
        path = path[: -len(last)].rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc}{path}"


def _stream_url(
    kind: str, server: str, username: str, password: str, item_id: int | str, ext: str
) -> str:
    user = quote(username, safe="")
    secret = quote(password, safe="")
    suffix = ext.strip().lstrip(".")
    tail = f"{item_id}.{suffix}" if suffix else str(item_id)
    return f"{server.rstrip('/')}/{kind}/{user}/{secret}/{tail}"


def live_url(server: str, username: str, password: str, stream_id: int | str, ext: str) -> str:
    return _stream_url("live", server, username, password, stream_id, ext)


def movie_url(server: str, username: str, password: str, stream_id: int | str, ext: str) -> str:
    return _stream_url("movie", server, username, password, stream_id, ext)


def series_url(server: str, username: str, password: str, episode_id: int | str, ext: str) -> str:
    return _stream_url("series", server, username, password, episode_id, ext)


def xmltv_url(server: str, username: str, password: str) -> str:
    query = urlencode({"username": username, "password": password})
    return f"{server.rstrip('/')}/xmltv.php?{query}"
