"""Why a channel cannot be played through the proxy. The API maps these to HTTP answers.

StrmlineError
├── NotFound                 the channel has no streams (strmline.errors)
└── PlaybackError            the channel has streams, but none is playing
    ├── ConnectionLimited    every provider of the channel is at its connection limit
    ├── ProxyClosed          the proxy was shut down before the stream started
    ├── NoWorkingStream      every stream tried failed (or the stream ended at once)
    ├── TooManySwitches      the stream failed over more often than allowed
    └── ProxyFailed          a fault of the proxy itself
"""

from __future__ import annotations

from strmline.errors import StrmlineError

__all__ = [
    "ConnectionLimited",
    "NoWorkingStream",
    "PlaybackError",
    "ProxyClosed",
    "ProxyFailed",
    "TooManySwitches",
]


class PlaybackError(StrmlineError):
    code = "playback_error"


class ConnectionLimited(PlaybackError):
    code = "connection_limit"


class ProxyClosed(PlaybackError):
    code = "proxy_closed"


class NoWorkingStream(PlaybackError):
    code = "no_working_stream"


class TooManySwitches(PlaybackError):
    code = "too_many_switches"


class ProxyFailed(PlaybackError):
    code = "proxy_error"
