"""Job settings live in the root settings as the ``jobs`` group (``STRMLINE_JOBS__BACKEND=celery``…)."""

from __future__ import annotations

from strmline.config import JobSettings, Settings

__all__ = ["JobSettings", "job_settings"]


def job_settings(settings: Settings) -> JobSettings:
    return settings.jobs
