"""Response models more than one router answers with."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class JobAccepted(BaseModel):
    """A job was queued; follow it at ``GET /api/jobs/{job_id}`` or on ``/api/events``."""

    job_id: int


class ChannelListItem(BaseModel):
    id: int
    name: str
    # Integral numbers come back as ints ("5", not "5.0"); tvg-chno may also be "5.1".
    number: int | float | None
    category: str | None
    country: str | None
    region: str | None
    variant: str | None
    logo: str | None
    logo_proxy: str | None = Field(
        default=None, description="the logo through strmline's cache (/logo/…), null: no logo"
    )
    tvg_id: str | None
    enabled: bool
    stream_count: int
    # Not deactivated by failed checks: playable, which is not the same as known to work.
    active_stream_count: int
    best_quality: str | None
    working_stream_count: int = Field(description="streams whose last check passed")
    failed_stream_count: int = Field(description="streams whose last check failed, or inactive")
    unchecked_stream_count: int = Field(description="streams never checked yet")
    health: Literal["working", "partial", "failing", "not_checked", "no_streams"] = Field(
        description="working: every stream passed its last check; partial: some did; "
        "failing: none did and some failed; not_checked: none checked yet"
    )
