"""The FastAPI application: one engine, one job runtime and (embedded mode) one scheduler per process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from redis.asyncio import Redis

from strmline import __version__
from strmline.api import errors
from strmline.api.cache import Cache
from strmline.api.metrics import install_metrics
from strmline.api.ratelimit import RateLimiter
from strmline.api.responses import OrjsonResponse
from strmline.api.routes import ROUTERS
from strmline.api.web import install_web
from strmline.config import Settings, get_settings
from strmline.db.engine import engine_from_settings, make_session_factory
from strmline.db.migrate import upgrade
from strmline.jobs.runtime import JobRuntime
from strmline.jobs.schedule import Scheduler
from strmline.pipelines import settings as settings_store

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, scheduler: bool | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app. ``scheduler`` defaults to on in embedded mode (no Celery backend)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = engine_from_settings(settings)
        if migrate:
            await upgrade(engine)
        factory = make_session_factory(engine)
        await settings_store.apply_saved(factory, settings)  # saved UI settings over env
        redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        runtime = JobRuntime(settings, session_factory=factory)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = factory
        app.state.runtime = runtime
        app.state.redis = redis
        app.state.cache = Cache(redis, prefix=settings.jobs.redis_prefix)
        app.state.login_limiter = RateLimiter(redis=redis, prefix=settings.jobs.redis_prefix)
        run_scheduler = scheduler if scheduler is not None else runtime.backend == "local"
        app.state.scheduler = Scheduler(runtime) if run_scheduler else None
        if app.state.scheduler is not None:
            app.state.scheduler.start()
        try:
            yield
        finally:
            if app.state.scheduler is not None:
                await app.state.scheduler.stop()
            await runtime.close()
            if redis is not None:
                await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="strmline",
        version=__version__,
        description="Self-hosted IPTV stream manager: merged channels, ranked streams, guide, .strm libraries.",
        default_response_class=OrjsonResponse,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    errors.install(app)
    install_metrics(app)
    for router in ROUTERS:
        app.include_router(router)
    install_web(app)  # last: the UI's fallback must never shadow an API route
    return app
