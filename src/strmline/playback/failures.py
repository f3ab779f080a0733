"""What a failed stream costs: shared by health checks and playback, which both record failures."""

from __future__ import annotations

from datetime import timedelta

from strmline.config import HealthSettings


def backoff(opts: HealthSettings, failures: int) -> timedelta:
    """Delay before rechecking an inactive stream with ``failures`` failures in a row."""
    steps = opts.backoff_hours or [24.0]
    index = min(max(failures - opts.failures_to_deactivate, 0), len(steps) - 1)
    return timedelta(hours=steps[index])
