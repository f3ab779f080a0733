"""The Celery app a worker runs: the broker configuration plus the one task.

``strmline.execute_job(job_id)`` only carries the id; the job row holds kind, args and state, so a
redelivered message finds the job already claimed and does nothing (see ``records.mark_running``).
Start workers with ``strmline worker`` or ``celery -A strmline.jobs.celery_app worker``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from strmline.config import get_settings
from strmline.jobs import worker
from strmline.jobs.broker import QUEUE, TASK, create_app
from strmline.jobs.options import job_settings

__all__ = ["QUEUE", "TASK", "app", "execute_job"]


def execute_job(job_id: int) -> dict[str, Any]:
    return worker.run_job(int(job_id))


def _worker_app() -> Celery:
    settings = get_settings()
    celery = create_app(settings.redis_url, job_settings(settings).redis_prefix)
    celery.task(name=TASK, acks_late=True)(execute_job)
    return celery


app = _worker_app()
