"""Channel ids shared by every output, so a client can join the M3U and the XMLTV guide."""

from __future__ import annotations

from typing import Protocol


class _HasGuideIdentity(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tvg_id(self) -> str | None: ...


def guide_id(channel: _HasGuideIdentity) -> str:
    """The channel's tvg-id, else a stable ``strmline.<channel id>``: the M3U ``tvg-id`` and
    the XMLTV ``<channel id>`` of one channel are always this same string."""
    return channel.tvg_id or f"strmline.{channel.id}"
