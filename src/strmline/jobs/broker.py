"""The sending side of the scaled mode: a Celery app configured for strmline's Redis broker.

API processes, the scheduler and the CLI only publish ``strmline.execute_job(job_id)`` by name;
they never import the worker. ``celery_app`` (what ``strmline worker`` runs) builds on the same
configuration and registers the task.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Celery

from strmline.config import Settings
from strmline.jobs.options import job_settings

TASK = "strmline.execute_job"
QUEUE = "strmline"


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
