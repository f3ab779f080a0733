"""Health checks: does each stream answer with video, how fast, and what is it really?

A check reads only the first bytes: MPEG-TS must show sync bytes; an HLS master leads to its best
variant, the variant's media playlist to its first segment, and that segment must be TS. Anything
else (an HTML login page, a JSON error, an HTTP error status, a timeout, silence) is a failure
with a short reason. Results are kept per stream; after ``failures_to_deactivate`` failures in a
row a stream goes inactive and is rechecked with backoff (1 h, 6 h, 24 h …), never forgotten.

Bounded everywhere (DESIGN §5 rule 6): a global semaphore, per-provider workers no more than the
account allows, and the process's :mod:`connection tracker <strmline.playback.connections>` so a
check never takes the slot a viewer needs. Streams are read per provider in keyset batches and
results written back in batches of executemany UPDATEs (rule 4), so the statement count follows
the batch count, not the stream count; ranks and channel counts are then refreshed set-based.

ffprobe runs after the checks, only on streams that passed and were not probed lately, within a
total budget (``probe_budget_per_stream`` × streams, at most ``probe_budget_seconds``): a live
stream that never lets ffprobe finish must not hold a check for minutes. Probes the budget does
not reach are counted as skipped, never as failures.

A stream's ``status`` is ``unknown`` until a check has run: only ``ok`` and ``slow`` (see
:func:`is_working`) mean a check saw video.
"""

from strmline.pipelines.health.check import (
    STATUS_FAILED,
    STATUS_OK,
    STATUS_SLOW,
    STATUS_UNKNOWN,
    STATUSES,
    WORKING_STATUSES,
    CheckOutcome,
    check_url,
    is_working,
)
from strmline.pipelines.health.probe import (
    ProbeInfo,
    ffprobe_path,
    parse_ffprobe,
    probe,
    probe_budget,
    probe_values,
)
from strmline.pipelines.health.run import health_job, run_health
from strmline.pipelines.health.state import HealthResult
from strmline.playback.failures import backoff

__all__ = [
    "STATUSES",
    "STATUS_FAILED",
    "STATUS_OK",
    "STATUS_SLOW",
    "STATUS_UNKNOWN",
    "WORKING_STATUSES",
    "CheckOutcome",
    "HealthResult",
    "ProbeInfo",
    "backoff",
    "check_url",
    "ffprobe_path",
    "health_job",
    "is_working",
    "parse_ffprobe",
    "probe",
    "probe_budget",
    "probe_values",
    "run_health",
]
