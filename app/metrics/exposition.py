"""``/metrics`` and what feeds it: the per-route request middleware and the gauges read at scrape time.

``/metrics`` is on the application's own port, behind ``Authorization: Bearer $JIEFEN_METRICS_TOKEN``:
that works the same behind every proxy and with any number of workers, and without the token configured
the route is a 404, so it is never public by accident. It is left out of the OpenAPI document on purpose:
it is for the operator's Prometheus, not for API clients, and it is Prometheus's text format, not JSON.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import fastapi.routing
from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics, periodic
from app.context import AppContext
from app.db import utcnow
from app.deps import bearer_token
from app.errors import NotAuthenticated, NotFound
from app.feed import service as feed_service
from app.metrics import multiproc

log = logging.getLogger("jiefen.metrics")
router = APIRouter()

UNMATCHED = "unmatched"  # no route: one series for every unknown path, never the raw path
POOL_SAMPLE_SECONDS = 5.0  # with several workers, how often each one writes its pools' gauges


class RouteTemplates:
    """The full path template of the route a request matched (``/api/v1/cases/{case_id}``).

    ``scope["route"]`` is the matched route. FastAPI before 0.16x copied included routes with their
    prefixes, so its ``path`` is the template; later versions keep the router's own route there
    (``/cases/{case_id}``) and say the full path through ``iter_route_contexts``. Built on first use, once
    every route has been added."""

    def __init__(self, routes: Callable[[], Iterable[BaseRoute]]) -> None:
        self._routes = routes
        self._by_route: dict[int, str] | None = None

    def _build(self) -> dict[int, str]:
        contexts = getattr(fastapi.routing, "iter_route_contexts", None)
        if contexts is None:
            return {}
        return {
            id(c.original_route): c.path_format or c.path
            for c in contexts(list(self._routes()))
            if c.path_format or c.path
        }

    def of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return UNMATCHED
        if self._by_route is None:
            self._by_route = self._build()
        return self._by_route.get(id(route)) or getattr(route, "path", None) or UNMATCHED


class RequestMetricsMiddleware:
    """Counts and times every request by method, route template and status (pure ASGI, no extra task).

    The route is read after the application ran: routing fills ``scope["route"]``. A 503's problem code is
    read from its (small) body, so busy pools and failovers can be told apart."""

    def __init__(self, app: ASGIApp, templates: RouteTemplates) -> None:
        self.app = app
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started becomes a 500
        unavailable_body = bytearray()

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif status == 503 and message["type"] == "http.response.body" and len(unavailable_body) < 4096:
                unavailable_body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            metrics.observe_request(
                scope["method"],
                self.templates.of(scope),
                status,
                time.perf_counter() - started,
                _problem_code(unavailable_body) if status == 503 else None,
            )


def _problem_code(body: bytes | bytearray) -> str | None:
    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, str) and len(code) <= 64 else None


def _engines(ctx: AppContext) -> dict[str, AsyncEngine]:
    engines = {"main": ctx.engine}
    if ctx.autocommit_engine is not None:
        engines["autocommit"] = ctx.autocommit_engine
    return engines


def _waiting(pool: QueuePool) -> int:
    # SQLAlchemy counts no waiters; its asyncio queue (made on first use) keeps them in asyncio.Queue's
    # _getters. A waiter whose timeout fired is done and no longer waits.
    queue = getattr(pool, "_pool", None)
    getters = getattr(getattr(queue, "__dict__", {}).get("_queue"), "_getters", None) or ()
    return sum(1 for getter in getters if not getter.done())


def sample_pools(ctx: AppContext) -> None:
    """This process's connections in use and callers waiting, per pool (the engine's current pool: a
    disposed engine has a new one)."""
    for name, engine in _engines(ctx).items():
        pool = engine.pool
        if not isinstance(pool, QueuePool):
            continue
        metrics.DB_POOL_SIZE.labels(name).set(pool.size())
        metrics.DB_POOL_IN_USE.labels(name).set(pool.checkedout())
        metrics.DB_POOL_WAITING.labels(name).set(_waiting(pool))


async def sample_notification_queue(ctx: AppContext) -> None:
    """Notifications waiting, and dead letters (#16)."""
    from app.notifications.service import queue_counts

    async with ctx.sessionmaker() as session:
        for state, count in (await queue_counts(session)).items():
            metrics.NOTIFICATIONS_QUEUED.labels(state).set(count)


async def sample_feed_lag(ctx: AppContext) -> None:
    """Per machine client: events written after its acknowledgement and the age of the oldest of them."""
    async with ctx.sessionmaker() as session:
        lags = await feed_service.lag(session)
    now = utcnow()
    if not multiproc.enabled():  # a revoked client's series goes away (its files stay with several workers)
        metrics.FEED_UNACKNOWLEDGED.clear()
        metrics.FEED_OLDEST_UNACKNOWLEDGED_AGE.clear()
    for lag in lags:
        oldest = lag.oldest_unacknowledged_at
        metrics.FEED_UNACKNOWLEDGED.labels(lag.client).set(lag.unacknowledged)
        metrics.FEED_OLDEST_UNACKNOWLEDGED_AGE.labels(lag.client).set(
            max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        )


def _authorize(request: Request, ctx: AppContext) -> None:
    expected = ctx.settings.metrics_token
    if not expected:
        raise NotFound()
    given = bearer_token(request) or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthenticated("A valid metrics token is required.", code="metrics_token_required")


@router.get("/metrics", include_in_schema=False)
async def scrape(request: Request) -> Response:
    """Prometheus text format, with ``Authorization: Bearer $JIEFEN_METRICS_TOKEN`` (404 without it set)."""
    ctx: AppContext = request.app.state.ctx
    _authorize(request, ctx)
    sample_pools(ctx)
    try:
        await sample_feed_lag(ctx)
    except Exception:  # the database may be down: the scrape still tells the rest, and the 503s
        log.warning("feed lag not sampled", exc_info=True)
    try:
        await sample_notification_queue(ctx)
    except Exception:  # likewise
        log.warning("notification queue not sampled", exc_info=True)
    registry: Any = REGISTRY
    if multiproc.enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(
        generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )


def _with_worker_lifecycle(app: FastAPI) -> None:
    """With several workers: reap dead workers' gauges at start, sample the pools on a timer (a scrape
    reaches one worker only), and take this worker's gauges away at exit."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        if not multiproc.enabled():
            async with inner(app_) as state:
                yield state
            return
        ctx: AppContext = app.state.ctx

        async def sample() -> None:
            sample_pools(ctx)

        multiproc.reap_dead_workers()
        sampler = periodic.start("metrics pool sample", POOL_SAMPLE_SECONDS, sample)
        try:
            async with inner(app_) as state:
                yield state
        finally:
            await periodic.stop(sampler)
            multiproc.mark_self_dead()

    app.router.lifespan_context = lifespan


def install_metrics(app: FastAPI) -> None:
    app.include_router(router)
    app.add_middleware(RequestMetricsMiddleware, templates=RouteTemplates(lambda: app.routes))
    _with_worker_lifecycle(app)
