"""What one VOD sync did, and the error a failed or refused one raises as a job."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from strmline.errors import StrmlineError

__all__ = ["VodSyncFailed", "VodSyncResult"]


@dataclass
class VodSyncResult:
    provider: str
    provider_id: int
    status: str  # ok | unchanged | refused | failed
    movies: int = 0
    series: int = 0
    series_fetched: int = 0
    movies_added: int = 0
    movies_updated: int = 0
    movies_removed: int = 0
    series_added: int = 0
    series_updated: int = 0
    series_removed: int = 0
    episodes_added: int = 0
    episodes_updated: int = 0
    episodes_removed: int = 0
    seconds: float = 0.0
    message: str = ""
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def changed(self) -> int:
        return sum(
            getattr(self, f"{kind}_{what}")
            for kind in ("movies", "series", "episodes")
            for what in ("added", "updated", "removed")
        )

    def count(self, kind: str, what: str, n: int) -> None:
        """Add ``n`` to the counter ``<kind>_<what>`` (kind: movies | series | episodes)."""
        name = f"{kind}_{what}"
        setattr(self, name, getattr(self, name) + n)


class VodSyncFailed(StrmlineError):
    code = "vod_sync_failed"

    def __init__(self, result: VodSyncResult) -> None:
        super().__init__(
            f"{result.provider}: {result.status}: {result.message}", details=result.as_dict()
        )
