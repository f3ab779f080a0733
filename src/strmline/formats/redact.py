"""Credential redaction for anything shown or logged: provider URLs, messages and request lines.

Pure (no I/O), so every layer shares one implementation. Provider URLs carry credentials in the
query (``get.php?username=…&password=…``), the userinfo (``http://user:pass@host``) or the path
(``/live/USER/PASS/1.ts``); strmline's own output URLs carry an API token in the query or, for
the HDHomeRun tuner, as a path segment. Every match becomes ``***``.

- :func:`redact_url`: one URL, with the known secrets of its provider.
- :func:`redact_text`: a message that may hold URLs (an error, a sync message).
- :func:`redact_request_line`: an access log line (a path with its query, no scheme or host).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

__all__ = [
    "MASK",
    "SECRET_PARAMS",
    "redact_json",
    "redact_request_line",
    "redact_text",
    "redact_url",
]

MASK = "***"

_SECRET_KEYS = frozenset(
    {"password", "pass", "passwd", "pwd", "token", "auth", "key", "apikey", "api_key", "secret"}
)
# Xtream stream paths: /live/USER/PASS/123.ts, /movie/…, /series/…, /timeshift/USER/PASS/…
_XTREAM_PATH = re.compile(r"^/(live|movie|series|timeshift)/([^/]+)/([^/]+)/", re.IGNORECASE)
# The short form many panels also serve: /USER/PASS/123 or /USER/PASS/123.ts
_SHORT_PATH = re.compile(r"^/([^/]+)/([^/]+)/(\d+)(\.\w{1,5})?$")
_URL_IN_TEXT = re.compile(r"(?:https?|file)://[^\s\"'<>]+", re.IGNORECASE)
# Substring replacement of a very short secret would mangle the text without protecting much;
# exact path segments and query values are still masked for those.
_MIN_SUBSTRING_SECRET = 4

# Query parameters that carry strmline's own credentials in a request line: players put the API
# token in the URL, the browser's EventSource the access token, Xtream-style URLs a password.
SECRET_PARAMS = ("token", "access_token", "api_token", "password")
_SECRET_QUERY = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s\"]*", re.IGNORECASE)
# The HDHomeRun URLs carry the API token as a path segment.
_SECRET_HDHR_PATH = re.compile(r"(/hdhr/)[^/?#\s\"]+")
# strmline's own first path segments, never an Xtream user name in a request line.
_OWN_PREFIXES = frozenset({"api", "play", "output", "hdhr", "assets", "metrics"})


def redact_url(url: str, secrets: Iterable[str | None] = ()) -> str:
    """``url`` safe to show: credential query values, userinfo passwords, Xtream path passwords
    and every occurrence of a known secret replaced by ``***``."""
    known = [s for s in secrets if s]
    try:
        parts = urlsplit(url)
    except ValueError:
        return _mask_substrings(url, known)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
        netloc = f"{userinfo}@{host}"
    path = _redact_path(parts.path, known)
    query = _redact_query(parts.query, known)
    rebuilt = urlunsplit((parts.scheme, netloc, path, query, parts.fragment))
    return _mask_substrings(rebuilt, known)


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Every URL inside ``text`` redacted, then every remaining occurrence of a secret."""
    known = [s for s in secrets if s]
    redacted = _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0), known), text)
    return _mask_substrings(redacted, known)


def redact_json(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """A JSON-like value (a job's arguments or result) with every string in it redacted."""
    known = [s for s in secrets if s]
    if isinstance(value, str):
        return redact_text(value, known)
    if isinstance(value, dict):
        return {k: redact_json(v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v, known) for v in value]
    return value


def redact_request_line(text: str) -> str:
    """``text`` with the values of credential parameters (and HDHomeRun path tokens, and the
    passwords of strmline's own Xtream stream paths) masked."""
    text = _SECRET_QUERY.sub(lambda m: m.group(1) + MASK, text)
    text = _SECRET_HDHR_PATH.sub(lambda m: m.group(1) + MASK, text)
    if text.startswith("/"):
        path, sep, query = text.partition("?")
        if path.split("/", 2)[1] not in _OWN_PREFIXES:  # /api/jobs/12 is not /USER/PASS/12
            text = _redact_path(path, []) + sep + query
    return text


def _secret_forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def _redact_path(path: str, secrets: list[str]) -> str:
    match = _XTREAM_PATH.match(path)
    if match:
        path = f"/{match.group(1)}/{match.group(2)}/{MASK}/{path[match.end() :]}"
    else:
        short = _SHORT_PATH.match(path)
        if short:
            path = f"/{short.group(1)}/{MASK}/{short.group(3)}{short.group(4) or ''}"
    if not secrets:
        return path
    forms = set().union(*(_secret_forms(s) for s in secrets))
    return "/".join(MASK if segment in forms else segment for segment in path.split("/"))


def _redact_query(query: str, secrets: list[str]) -> str:
    if not query:
        return query
    forms = set().union(*(_secret_forms(s) for s in secrets)) if secrets else set()
    pairs = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        if sep and (name.lower() in _SECRET_KEYS or value in forms):
            pair = f"{name}={MASK}"
        pairs.append(pair)
    return "&".join(pairs)


def _mask_substrings(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if len(secret) < _MIN_SUBSTRING_SECRET:
            continue
        for form in sorted(_secret_forms(secret), key=len, reverse=True):
            text = text.replace(form, MASK)
    return text
