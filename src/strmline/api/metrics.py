"""Prometheus metrics at ``/metrics``: request latency, DB time, job durations, cache, queue depth.

``install_metrics(app)`` gives the app its own ``CollectorRegistry`` (tests build many apps in one
process; the global registry would refuse the second set of names), adds the timing middleware and
wraps the app's lifespan to

- time every SQL statement of ``app.state.engine`` (cursor execute events), and
- record job durations: a handler on the process's job watcher (jobs/watch.py), called with
  each job that finishes, wherever it ran.

Queue depth is counted when scraped (one GROUP BY), and cache hits/misses are read from
``app.state.cache`` then too, so nothing has to push those numbers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strmline.api.deps import SessionDep, SettingsDep, get_current_user
from strmline.api.errors import ApiError
from strmline.db.engine import listen_statements
from strmline.db.models import User
from strmline.db.models.system import Job
from strmline.services import jobs as job_service
from strmline.services import users as user_service

log = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "running")
_T0 = "strmline_metrics_t0"


class Metrics:
    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "strmline_http_request_duration_seconds",
            "HTTP request latency by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.db = Histogram(
            "strmline_db_statement_duration_seconds",
            "Time spent in SQL statements",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )
        self.jobs = Histogram(
            "strmline_job_duration_seconds",
            "Job run time (started to finished) by kind and final state",
            ["kind", "state"],
            buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200),
            registry=self.registry,
        )
        self.queue = Gauge(
            "strmline_jobs_active",
            "Jobs waiting (queued) or running, counted at scrape time",
            ["state"],
            registry=self.registry,
        )
        self.registry.register(_CacheCollector(app))


class _CacheCollector(Collector):
    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def describe(self) -> list[CounterMetricFamily]:
        return self._families()

    def collect(self) -> Iterator[CounterMetricFamily]:
        yield from self._families()

    def _families(self) -> list[CounterMetricFamily]:
        hits = CounterMetricFamily(
            "strmline_cache_hits", "Cache hits by namespace", labels=["namespace"]
        )
        misses = CounterMetricFamily(
            "strmline_cache_misses", "Cache misses by namespace", labels=["namespace"]
        )
        cache = getattr(self.app.state, "cache", None)
        if cache is not None:
            for namespace, n in sorted(cache.hits.items()):
                hits.add_metric([namespace], n)
            for namespace, n in sorted(cache.misses.items()):
                misses.add_metric([namespace], n)
        return [hits, misses]


class _TimingMiddleware:
    """Observes each request's duration under its route template (``/api/jobs/{job_id}``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        streaming = False

        async def timed_send(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", ()):
                    if name.lower() == b"content-type" and value.startswith(b"text/event-stream"):
                        streaming = True
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            # An event stream lasts as long as the browser tab; it is not a latency.
            if not streaming:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                self.metrics.requests.labels(
                    scope.get("method", ""), template, str(status)
                ).observe(time.perf_counter() - start)


def _db_listeners(metrics: Metrics) -> dict[str, Callable[..., None]]:
    def before(
        conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any
    ) -> None:
        conn.info.setdefault(_T0, []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: Any, params: Any, context: Any, many: Any) -> None:
        starts = conn.info.get(_T0)
        if starts:
            metrics.db.observe(time.perf_counter() - starts.pop())

    def failed(context: Any) -> None:
        # A failed statement never reaches after_cursor_execute; drop its start time.
        starts = context.connection.info.get(_T0) if context.connection is not None else None
        if starts:
            starts.pop()

    return {"before_cursor_execute": before, "after_cursor_execute": after, "handle_error": failed}


def _job_durations(metrics: Metrics) -> Callable[[Job], Awaitable[None]]:
    async def observe(job: Job) -> None:
        if job.started_at is not None and job.finished_at is not None:
            seconds = (job.finished_at - job.started_at).total_seconds()
            metrics.jobs.labels(job.kind, job.state).observe(max(seconds, 0.0))

    return observe


def install_metrics(app: FastAPI) -> Metrics:
    metrics = Metrics(app)
    app.state.metrics = metrics
    app.add_middleware(_TimingMiddleware, metrics=metrics)
    app.include_router(router)
    original: Callable[[FastAPI], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        async with original(application) as state:
            detach = listen_statements(application.state.engine, _db_listeners(metrics))
            # The process's job watcher (jobs/watch.py) hands over each job that finishes.
            forget = application.state.context.watcher.on_finished(_job_durations(metrics))
            try:
                yield state
            finally:
                forget()
                detach()

    app.router.lifespan_context = lifespan
    return metrics


# -- the endpoint --------------------------------------------------------------------------------

router = APIRouter(tags=["system"])
_bearer = HTTPBearer(auto_error=False)


async def get_metrics_user(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    token: Annotated[str | None, Query(description="an admin's API token, for scrapers")] = None,
) -> User:
    if credentials is not None:
        user = await get_current_user(request, session, settings, credentials)
    else:
        found = await user_service.get_by_api_token(session=session, token=token or "")
        if found is None:
            raise ApiError(
                401, "unauthorized", "send an admin's Bearer token or ?token=<admin API token>"
            )
        user = found
    if user.role != "admin":
        raise ApiError(403, "forbidden", "metrics need an admin account")
    return user


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics_endpoint(
    request: Request, session: SessionDep, _: Annotated[User, Depends(get_metrics_user)]
) -> Response:
    metrics: Metrics = request.app.state.metrics
    counts = await job_service.count_by_state(session=session, states=ACTIVE_STATES)
    for state in ACTIVE_STATES:
        metrics.queue.labels(state).set(counts.get(state, 0))
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
