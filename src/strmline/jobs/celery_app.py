"""The Celery app of the scaled mode: Redis broker and result backend, one task.

``strmline.execute_job(job_id)`` only carries the id; the job row holds kind, args and state, so a
redelivered message finds the job already claimed and does nothing (see ``records.mark_running``).
Start workers with ``strmline worker`` or ``celery -A strmline.jobs.celery_app worker``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from celery import Celery

from strmline.config import Settings, get_settings
from strmline.jobs import worker
from strmline.jobs.options import job_settings

TASK = "strmline.execute_job"
QUEUE = "strmline"


def execute_job(job_id: int) -> dict[str, Any]:
    return worker.run_job(int(job_id))


def create_app(redis_url: str | None, prefix: str = "strmline") -> Celery:
    app = Celery("strmline", broker=redis_url, backend=redis_url, set_as_current=False)
    keyprefix = {"global_keyprefix": f"{prefix}:"}
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        result_expires=3600,
        broker_transport_options={**keyprefix, "visibility_timeout": 6 * 3600},
        result_backend_transport_options=keyprefix,
        broker_connection_retry_on_startup=True,
        enable_utc=True,
        timezone="UTC",
    )
    app.task(name=TASK, acks_late=True)(execute_job)
    return app


@lru_cache(maxsize=4)
def _app_for(redis_url: str, prefix: str) -> Celery:
    return create_app(redis_url, prefix)


def send_execute(settings: Settings, job_id: int) -> None:
    """Queue ``job_id`` for a worker (blocking; the runtime calls it in a thread)."""
    if not settings.redis_url:
        raise ValueError("redis_url is not set")
    sender = _app_for(settings.redis_url, job_settings(settings).redis_prefix)
    sender.send_task(TASK, args=[job_id], queue=QUEUE)


def _default_app() -> Celery:
    settings = get_settings()
    return create_app(settings.redis_url, job_settings(settings).redis_prefix)


app = _default_app()
