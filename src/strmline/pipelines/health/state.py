"""What a run carries: its result counters, the streams and providers it works on."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from strmline.config import HealthSettings
from strmline.pipelines.context import PipelineContext
from strmline.pipelines.health.check import CheckOutcome
from strmline.playback.connections import ConnectionTracker

RELEASE_DELAY = 0.25  # seconds a closed connection still counts, for providers with a limit


@dataclass
class HealthResult:
    checked: int = 0
    ok: int = 0
    slow: int = 0
    failed: int = 0
    skipped: int = 0  # provider busy with viewers: not checked, nothing written (stays unknown)
    reactivated: int = 0
    deactivated: int = 0
    probed: int = 0  # ffprobe measured the stream
    probe_failed: int = 0  # ffprobe ran to its own timeout or found no video
    probe_skipped: int = 0  # the probing budget ran out (or the provider was busy) first
    probe_seconds: float = 0.0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "summary": self.summary()}

    def summary(self) -> str:
        """One line for the job's message, e.g. ``checked 110: 96 ok, 3 slow, 11 failed
        (2 deactivated, 1 reactivated), probed 20 in 8.1s; 41.2s``."""
        text = (
            f"checked {self.checked}: {self.ok} ok, {self.slow} slow, {self.failed} failed "
            f"({self.deactivated} deactivated, {self.reactivated} reactivated)"
        )
        if self.skipped:
            text += f", {self.skipped} not checked (provider busy)"
        if self.probed or self.probe_failed or self.probe_skipped:
            text += f", probed {self.probed}"
            if self.probe_failed:
                text += f" ({self.probe_failed} without an answer)"
            if self.probe_skipped:
                text += f", {self.probe_skipped} probes skipped"
            text += f" in {self.probe_seconds:.1f}s"
        return f"{text}; {self.seconds:.1f}s"


@dataclass(frozen=True, slots=True)
class StreamRow:
    id: int
    provider_id: int
    channel_id: int
    url: str
    headers: dict[str, str]
    active: bool
    failures: int
    probed_at: datetime | None


@dataclass
class ProviderInfo:
    id: int
    limit: int | None
    user_agent: str | None
    busy: bool = False  # a slot wait timed out: viewers hold the account, skip the rest


@dataclass
class HealthRun:
    ctx: PipelineContext
    opts: HealthSettings
    user_agent: str
    tracker: ConnectionTracker
    now: datetime
    filters: list[Any]
    total: int
    result: HealthResult = field(default_factory=HealthResult)
    pending: list[tuple[StreamRow, CheckOutcome]] = field(default_factory=list)
    channels: set[int] = field(default_factory=set)
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    done: int = 0
    ffprobe: str | None = None
    to_probe: list[tuple[StreamRow, ProviderInfo]] = field(default_factory=list)
