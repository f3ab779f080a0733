"""strmline's exception hierarchy.

Domain code raises these; only ``strmline.api`` maps them to HTTP status codes and only
``strmline.cli`` turns them into one-line messages and exit codes.

    StrmlineError
    ├── FormatError            input that is not what it claims to be
    │   └── NotAPlaylistError  an HTML page, a JSON error body, binary data...
    ├── ProviderError          talking to an IPTV provider went wrong
    │   ├── ProviderAuthError  wrong credentials, expired or banned account
    │   └── ProviderUnavailable  network error, timeout, HTTP error status
    ├── NotFound               a row or file that does not exist
    ├── Conflict               already exists / already running
    └── ConfigError            a setting that cannot work
"""

from __future__ import annotations

from typing import Any


class StrmlineError(Exception):
    """Base of every error strmline raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, source: str | None = None, details: Any = None) -> None:
        self.message = message
        self.source = source
        self.details = details
        super().__init__(f"{source}: {message}" if source else message)


class FormatError(StrmlineError):
    code = "format_error"


class NotAPlaylistError(FormatError):
    code = "not_a_playlist"


class ProviderError(StrmlineError):
    code = "provider_error"


class ProviderAuthError(ProviderError):
    code = "provider_auth_failed"


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"


class NotFound(StrmlineError):
    code = "not_found"


class Conflict(StrmlineError):
    code = "conflict"


class ConfigError(StrmlineError):
    code = "config_error"
