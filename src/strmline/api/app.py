"""The FastAPI application: the process's context (jobs/context.py) and, embedded, the scheduler."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from strmline import __version__
from strmline.api import errors
from strmline.api.cache import CATALOG_NAMESPACES
from strmline.api.discovery import start_discovery
from strmline.api.metrics import install_metrics
from strmline.api.outputs import hdhr as hdhr_output
from strmline.api.ratelimit import LoginLimiter, install_trusted_proxies
from strmline.api.responses import OrjsonResponse
from strmline.api.routes import ROUTERS, head_twins
from strmline.api.web import install_web
from strmline.config import Settings, get_settings
from strmline.db.models.system import Job
from strmline.formats.redact import redact_request_line
from strmline.jobs.context import Context, open_context
from strmline.jobs.election import elect
from strmline.jobs.schedule import Scheduler
from strmline.services.user_cache import UserCache

log = logging.getLogger(__name__)

DOCS_URL = "/api/docs"
DOCS_STATIC = "/api/docs/static"
OPENAPI_URL = "/api/openapi.json"


class RedactSecrets(logging.Filter):
    """Masks credentials in access log records (uvicorn logs the path with its query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_request_line(a) if isinstance(a, str) else a for a in record.args
            )
        elif isinstance(record.msg, str) and not record.args:
            record.msg = redact_request_line(record.msg)
        return True


def install_log_redaction(name: str = "uvicorn.access") -> None:
    """Idempotent; logging.config leaves a logger's filters alone, so it survives uvicorn's setup."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


def operation_id(route: APIRoute) -> str:
    """``{tag}_{function}``: the UI's generated types name operations by it, so it must not move.

    FastAPI's default appends ``list(route.methods)[0]``, a set's order, which can change between
    runs; and it repeats the path, so renaming a URL would rename every generated type.
    """
    tag = route.tags[0] if route.tags else ""
    return re.sub(r"\W+", "_", f"{tag}_{route.name}" if tag else route.name)


def install_docs(app: FastAPI) -> None:
    """Swagger UI from the installed swagger-ui-bundle: /api/docs works without internet."""
    app.mount(
        DOCS_STATIC, StaticFiles(directory=Path(str(swagger_ui_path))), name="swagger-ui-static"
    )

    @app.api_route(DOCS_URL, methods=["GET", "HEAD"], include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title="strmline API",
            swagger_js_url=f"{root}{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_STATIC}/favicon-32x32.png",
        )


def _publish_context(app: FastAPI, ctx: Context) -> None:
    """The process's parts, where dependencies and routers read them (``app.state``)."""
    app.state.context = ctx
    app.state.settings = ctx.settings
    app.state.engine = ctx.engine
    app.state.session_factory = ctx.session_factory
    app.state.settings_watch = ctx.settings_watch
    app.state.runtime = ctx.runtime
    app.state.redis = ctx.redis
    app.state.cache = ctx.cache

    async def bump_catalog(job: Job) -> None:
        # A finished job (here, in a Celery worker or in the elected runner) changed what the
        # provider list, the dashboard and the categories show.
        await ctx.cache.bump(*CATALOG_NAMESPACES)

    ctx.watcher.on_finished(bump_catalog)


@asynccontextmanager
async def _background(app: FastAPI, ctx: Context, scheduler: bool | None) -> AsyncIterator[None]:
    """The scheduler (embedded mode: in the elected process) and HDHomeRun discovery."""
    runtime = ctx.runtime
    run_scheduler = scheduler if scheduler is not None else runtime.backend == "local"
    app.state.scheduler = Scheduler(runtime) if run_scheduler else None
    app.state.election = None
    if app.state.scheduler is not None and runtime.backend == "local":
        # One process per data dir runs jobs and schedules (serve --workers N): elected.
        app.state.election = await elect(runtime, app.state.scheduler, ctx.settings.data_dir)
    elif app.state.scheduler is not None:
        app.state.scheduler.start()
    # HDHomeRun discovery and SSDP (UDP), when discovery.enabled is set; else None.
    app.state.discovery = await start_discovery(ctx.settings, ctx.session_factory)
    try:
        yield
    finally:
        if app.state.discovery is not None:
            await app.state.discovery.close()
        if app.state.election is not None:
            await app.state.election.close()
        if app.state.scheduler is not None:
            await app.state.scheduler.stop()


def _freeze_startup_heap() -> None:
    """Leave what start-up built (modules, models, the app: ~200k objects) out of every later
    full garbage collection. Without this each full collection walks them all, ~200 ms here,
    and a request that triggers one waits for it (every few large guide or list pages)."""
    gc.collect()
    gc.freeze()
    # Fewer, not longer, collections: a page of the guide allocates ~100k objects, which at the
    # default threshold (700) ran ~150 young collections and a full one every few pages.
    gc.set_threshold(20_000, 10, 10)


def create_app(
    settings: Settings | None = None, *, scheduler: bool | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app. ``scheduler`` defaults to on in embedded mode (no Celery backend)."""
    settings = settings or get_settings()
    install_log_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Again here: a server that configured logging after create_app() may have new loggers.
        install_log_redaction()
        async with open_context(settings, role="serve", migrate=migrate) as ctx:
            _publish_context(app, ctx)
            # Who is asking, without a query per request; user changes announced over Redis.
            app.state.user_cache = UserCache(redis=ctx.redis, prefix=settings.jobs.redis_prefix)
            app.state.user_cache.start()
            app.state.login_limiter = LoginLimiter(
                redis=ctx.redis, prefix=settings.jobs.redis_prefix
            )
            _freeze_startup_heap()
            try:
                async with _background(app, ctx, scheduler):
                    yield
            finally:
                await app.state.user_cache.close()

    app = FastAPI(
        title="strmline",
        version=__version__,
        description="Self-hosted IPTV stream manager: merged channels, ranked streams, guide, .strm libraries.",
        default_response_class=OrjsonResponse,
        # The default docs page loads Swagger UI from a CDN (blank offline): see install_docs.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    # Level 5: most of level 9's saving on playlists and JSON at a fraction of its CPU.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    errors.install(app)
    install_metrics(app)
    install_docs(app)
    install_trusted_proxies(app, settings.http.trusted_proxies)  # last: it runs first
    for router in ROUTERS:
        app.include_router(router)
    if settings.discovery.root_tuner:  # a tuner at the server root, for IP:port-only clients
        app.include_router(hdhr_output.root_router)
        app.include_router(head_twins(hdhr_output.root_router))
    install_web(app)  # last: the UI's fallback must never shadow an API route
    return app
