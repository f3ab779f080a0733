"""What a player needs besides a URL: provider headers, credential exposure, catch-up archives.

Pure (no I/O). Used by the outputs (M3U ``#EXTVLCOPT`` lines, Kodi ``url|Header=…`` in .strm
files, ``catchup*`` attributes) and by ``/play`` (is it safe to redirect a player to this URL?
which archive URL plays a past programme?).

Catch-up follows what Kodi's IPTV Simple and TiviMate read from an M3U:

- ``catchup="xc"`` (Xtream archive, also implied by an Xtream stream URL):
  ``{server}/timeshift/{user}/{pass}/{minutes}/{YYYY-MM-DD:HH-MM}/{id}.ts``;
- ``catchup="default"``: ``catchup-source`` is the whole archive URL, with placeholders;
- ``catchup="append"``: ``catchup-source`` is appended to the stream URL;
- ``catchup="shift"`` (and ``timeshift``): ``?utc={utc}&lutc={lutc}`` appended;
- ``catchup="flussonic"`` (``fs``): ``index-{utc}-{duration}.m3u8`` / ``timeshift_abs-{utc}.ts``.

Placeholders are Kodi's: ``{utc}``/``${start}`` (start, epoch seconds), ``{utcend}``/``${end}``,
``{lutc}``/``${now}``/``${timestamp}`` (now), ``{duration}``/``${duration}`` (seconds;
``{duration:60}`` divides), ``{offset:N}``/``${offset}`` (seconds since start, divided),
``{Y} {m} {d} {H} {M} {S}`` (start, UTC) and ``{utc:Y-m-d H:M:S}``-style formats of a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "CatchupInfo",
    "archive_url",
    "catchup_info",
    "has_credentials",
    "kodi_url",
    "player_headers",
    "render_template",
    "timezone_of",
    "vlc_options",
    "xtream_parts",
]

# Header names a provider may require, as stored for a stream (any case; Kodi/VLC spellings too).
_HEADER_ORDER = ("User-Agent", "Referer", "Origin", "Cookie")
_HEADER_NAMES = {
    "user-agent": "User-Agent",
    "user_agent": "User-Agent",
    "http-user-agent": "User-Agent",
    "referer": "Referer",
    "referrer": "Referer",
    "http-referrer": "Referer",
    "origin": "Origin",
    "cookie": "Cookie",
}
# What VLC (and Kodi's IPTV Simple, which reads the same #EXTVLCOPT lines) can send.
_VLC_OPTIONS = (("User-Agent", "http-user-agent"), ("Referer", "http-referrer"))
_SECRET_QUERY_KEYS = frozenset({"username", "password", "user", "pass", "passwd", "pwd"})
_XTREAM_KINDS = frozenset({"live", "movie", "series", "timeshift"})
_SHORT_XTREAM = re.compile(r"^/([^/]+)/([^/]+)/(\d+)(?:\.\w{1,5})?$")


def player_headers(stream_headers: Any, provider_agent: str | None = None) -> dict[str, str]:
    """The headers a player must send for a stream: its own (as stored) over the provider's
    User-Agent, with canonical names; unknown or empty ones dropped."""
    found: dict[str, str] = {}
    if provider_agent and provider_agent.strip():
        found["User-Agent"] = provider_agent.strip()
    if isinstance(stream_headers, Mapping):
        for key, value in stream_headers.items():
            name = _HEADER_NAMES.get(str(key).strip().lower())
            if name is not None and isinstance(value, str) and value.strip():
                found[name] = value.strip()
    # One order whatever the database kept (PostgreSQL's JSONB sorts keys, SQLite does not):
    # the same stream always gives the same M3U line and .strm file.
    return {name: found[name] for name in _HEADER_ORDER if name in found}


def vlc_options(headers: Mapping[str, str]) -> dict[str, str]:
    """``#EXTVLCOPT`` options (name → value) that make VLC and Kodi send these headers."""
    return {option: headers[name] for name, option in _VLC_OPTIONS if headers.get(name)}


def kodi_url(url: str, headers: Mapping[str, str]) -> str:
    """Kodi's ``url|User-Agent=…&Referer=…`` form (values URL-encoded), or ``url`` unchanged
    when there are no headers. Jellyfin and Emby would read the suffix as part of the URL."""
    if not headers:
        return url
    pairs = "&".join(f"{name}={quote(value, safe='')}" for name, value in headers.items() if value)
    return f"{url}|{pairs}" if pairs else url


def has_credentials(url: str, secrets: Iterable[str | None] = ()) -> bool:
    """True when handing ``url`` to a player would show it an account's credentials: a
    user:password@ part, ``username=``/``password=`` in the query, an Xtream
    ``/live/USER/PASS/ID`` path, or one of ``secrets`` (the provider's own) anywhere in it."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return True  # unreadable: not worth the risk
    if parts.username or parts.password:
        return True
    for pair in parts.query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and value and name.lower() in _SECRET_QUERY_KEYS:
            return True
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 4 and segments[0].lower() in _XTREAM_KINDS:
        return True
    return any(s and len(s) >= 3 and s in url for s in secrets)


@dataclass(frozen=True, slots=True)
class XtreamParts:
    server: str  # scheme://host[:port][/prefix]
    username: str
    password: str
    stream_id: str


def xtream_parts(url: str) -> XtreamParts | None:
    """Server, user, password and stream id of an Xtream live URL (``/live/U/P/ID.ext`` or the
    short ``/U/P/ID``), else None."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    path = parts.path
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if segment.lower() == "live" and len(segments) == i + 4:
            user, password, last = segments[i + 1 : i + 4]
            stream_id = last.split(".", 1)[0]
            if user and password and stream_id.isdigit():
                prefix = "/".join(segments[:i])
                return XtreamParts(
                    f"{parts.scheme}://{parts.netloc}{prefix}", user, password, stream_id
                )
    short = _SHORT_XTREAM.match(path)
    if short:
        return XtreamParts(f"{parts.scheme}://{parts.netloc}", *short.group(1, 2, 3))
    return None


@dataclass(frozen=True, slots=True)
class CatchupInfo:
    mode: str  # xc | default | append | shift | flussonic
    days: int | None
    source: str | None


_MODES = {
    "xc": "xc",
    "default": "default",
    "append": "append",
    "shift": "shift",
    "timeshift": "shift",
    "flussonic": "flussonic",
    "flussonic-hls": "flussonic",
    "flussonic-ts": "flussonic",
    "fs": "flussonic",
}


def _positive_int(value: str | None) -> int | None:
    try:
        n = int(float(value)) if value else 0
    except ValueError:
        return None
    return n if n > 0 else None


def catchup_info(attrs: Any) -> CatchupInfo | None:
    """The archive a stream offers, from its kept attributes (``catchup``, ``catchup-type``,
    ``catchup-days``, ``timeshift``, ``tvg-rec``, ``catchup-source``), else None."""
    if not isinstance(attrs, Mapping):
        return None
    raw = str(attrs.get("catchup") or attrs.get("catchup-type") or "").strip().lower()
    source = str(attrs.get("catchup-source") or "").strip() or None
    days = _positive_int(
        attrs.get("catchup-days") or attrs.get("timeshift") or attrs.get("tvg-rec")
    )
    if not raw:
        if source is None:
            return None
        raw = "default" if "://" in source else "append"
    mode = _MODES.get(raw)
    if mode is None or (mode in ("default", "append") and source is None):
        return None
    return CatchupInfo(mode, days, source)


_PLACEHOLDER = re.compile(r"\$?\{(\w+)(?::([^}]*))?\}")
_TIME_LETTERS = re.compile(r"[YmdHMS]")


def _strftime(when: datetime, fmt: str) -> str:
    return _TIME_LETTERS.sub(lambda m: when.strftime("%" + m.group(0)), fmt)


def render_template(template: str, start: datetime, duration: int, now: datetime) -> str:
    """``template`` with Kodi's catch-up placeholders filled for a programme starting at
    ``start`` (aware) and lasting ``duration`` seconds; unknown placeholders stay as they are."""
    start = start.astimezone(UTC)
    end = start + timedelta(seconds=duration)
    now = now.astimezone(UTC)
    times = {"utc": start, "start": start, "utcend": end, "end": end, "lutc": now,
             "now": now, "timestamp": now}  # fmt: skip
    offset = max(0, int((now - start).total_seconds()))

    def fill(match: re.Match[str]) -> str:
        name, arg = match.group(1), match.group(2)
        if name in times:
            when = times[name]
            return _strftime(when, arg) if arg else str(int(when.timestamp()))
        if name in ("duration", "offset"):
            value = duration if name == "duration" else offset
            divider = _positive_int(arg) or 1
            return str(value // divider)
        if name in ("Y", "m", "d", "H", "M", "S") and arg is None:
            return start.strftime("%" + name)
        return match.group(0)

    return _PLACEHOLDER.sub(fill, template)


def timezone_of(name: str | None) -> tzinfo:
    """An Xtream panel's ``server_info.timezone``, else UTC (unknown names too)."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def _flussonic(url: str, start: int, duration: int) -> str:
    base, _, query = url.partition("?")
    head, _, name = base.rpartition("/")
    if name.endswith(".m3u8"):
        stem = name[: -len(".m3u8")]
        new = f"{head}/{stem}-{start}-{duration}.m3u8" if stem else base
    else:  # mpegts and the like: an absolute start, played on from there
        new = f"{head}/timeshift_abs-{start}.ts"
    return f"{new}?{query}" if query else new


def archive_url(
    stream_url: str,
    info: CatchupInfo,
    start: datetime,
    duration: int,
    *,
    now: datetime,
    server_tz: tzinfo = UTC,
) -> str | None:
    """The provider URL that plays ``duration`` seconds from ``start`` of a stream's archive;
    None when the stream's URL does not fit its catch-up kind (``xc`` on a non-Xtream URL)."""
    if info.mode == "xc":
        xt = xtream_parts(stream_url)
        if xt is None:
            return None
        minutes = max(1, -(-duration // 60))
        stamp = start.astimezone(server_tz).strftime("%Y-%m-%d:%H-%M")
        return (
            f"{xt.server}/timeshift/{xt.username}/{xt.password}/{minutes}/{stamp}/{xt.stream_id}.ts"
        )
    if info.mode == "default" and info.source:
        return render_template(info.source, start, duration, now)
    if info.mode == "append" and info.source:
        return stream_url + render_template(info.source, start, duration, now)
    if info.mode == "shift":
        sep = "&" if "?" in stream_url else "?"
        return stream_url + sep + render_template("utc={utc}&lutc={lutc}", start, duration, now)
    if info.mode == "flussonic":
        return _flussonic(stream_url, int(start.timestamp()), duration)
    return None
