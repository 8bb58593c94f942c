"""Operations: health, readiness, request ids, the access log, the 500 answer, response headers, GC tuning."""

from __future__ import annotations

import gc
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import health, i18n
from app.context import AppContext
from app.errors import problem_response
from app.limits import install_body_limit
from app.logging_config import request_id_var

log = logging.getLogger("jiefen.access")
error_log = logging.getLogger("jiefen.errors")
router = APIRouter(tags=["ops"])

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


_SECURITY_RAW = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_HSTS = (b"strict-transport-security", b"max-age=31536000")
_NO_STORE = (b"cache-control", b"no-store")
# Every API response and every page may carry personal data: no browser or proxy keeps a copy unless the
# endpoint chose its own Cache-Control (the pages' static assets do).
_PRIVATE_PREFIXES = ("/api/", "/m/")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some route serves at this path: Starlette's 405 names only the first route's.

    Asked of the routes as a request with each method would be (a FULL match), so included routers, however
    a FastAPI version nests them, answer for their own routes.
    """
    return [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.router.routes)
    ]


def internal_error(path: str) -> JSONResponse:
    return problem_response(
        500,
        "Internal server error",
        "The service failed to answer this request. It has been logged under the request's X-Request-ID.",
        "internal_error",
        instance=path,
    )


class RequestContextMiddleware:
    """Request id, response headers, the 500 answer and the access log, as a pure ASGI middleware.

    Not ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs every request in an extra task with
    a memory stream between the two halves (~1 ms CPU per request). This only rewrites the response's start
    message and logs when the request is over.

    An exception no handler took is answered here, not by Starlette's ServerErrorMiddleware: that one sits
    outside every user middleware, so its plain-text 500 carried no request id, no security headers and never
    reached the access log. Every request is logged in ``finally``: failures, client disconnects and
    cancellations included.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        request_id = request_headers.get("x-request-id") or uuid.uuid4().hex
        if len(request_id) > 64 or not request_id.isprintable():
            request_id = uuid.uuid4().hex
        # request.state is scope["state"]: endpoints see request.state.request_id, and principal_key that
        # authentication leaves there comes back to the access log.
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        path: str = scope["path"]
        private = path.startswith(_PRIVATE_PREFIXES)
        started = time.perf_counter()
        status = 0
        outcome: str | None = None

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                present = {k.lower() for k, _ in headers.raw}
                headers.raw.extend(h for h in _SECURITY_RAW if h[0] not in present)
                if scope.get("scheme") == "https" and _HSTS[0] not in present:
                    headers.raw.append(_HSTS)
                if private and _NO_STORE[0] not in present:
                    headers.raw.append(_NO_STORE)
                if status == 405:
                    headers["Allow"] = ", ".join(allowed_methods(scope["app"], scope))
            await send(message)

        async def watching_receive() -> Message:
            nonlocal outcome
            message = await receive()
            if message["type"] == "http.disconnect" and status == 0:
                outcome = "client_disconnected"
            return message

        token = request_id_var.set(request_id)
        # The language of this request's problem answers (app/i18n.py), wherever they are made.
        language_token = i18n.language.set(i18n.negotiate(request_headers.get("accept-language")))
        try:
            await self.app(scope, watching_receive, send_with_headers)
        except Exception:
            outcome = "exception"
            error_log.exception("unhandled exception", extra={"fields": {"path": path}})
            if status == 0:
                await internal_error(path)(scope, receive, send_with_headers)
            # Else the response was cut short: returning without finishing it makes the server drop the
            # connection, which is all a client can be told now.
        except BaseException:  # cancelled (server shutdown timeout): logged, then let through
            outcome = "cancelled"
            raise
        finally:
            i18n.language.reset(language_token)
            request_id_var.reset(token)
            _log_access(scope, state, request_id, status, started, outcome)


def _log_access(
    scope: Scope, state: dict[str, Any], request_id: str, status: int, started: float, outcome: str | None
) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    # Paths carry only UUIDs and codes, never personal data; bodies and query strings are not logged.
    fields: dict[str, Any] = {
        "request_id": request_id,
        "method": scope["method"],
        "path": scope["path"],
        "status": status or None,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "principal": state.get("principal_key"),
    }
    if outcome:
        fields["outcome"] = outcome
    log.info("request", extra={"fields": fields})


def install_middleware(app: FastAPI, max_body_bytes: int) -> None:
    # The last added runs first: the body limit is inside the request context, so a 413 has its request id,
    # headers and access-log line like any other answer.
    install_body_limit(app, max_body_bytes)
    app.add_middleware(RequestContextMiddleware)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Every database pool the requests use answers (app.health)."""
    ctx: AppContext = request.app.state.ctx
    problems = await health.pool_problems(ctx)
    if problems:
        detail = ", ".join(f"{pool}: {error}" for pool, error in problems.items())
        return JSONResponse({"status": "unavailable", "detail": detail, "pools": problems}, status_code=503)
    return JSONResponse({"status": "ok"})


def tune_gc() -> None:
    """Keep the cyclic garbage collector out of the latency tail, once the application is built.

    Everything alive now (modules, SQLAlchemy's and pydantic's structures, the app) lives as long as the
    process: ``gc.freeze()`` moves it out of the collector's sight, so a full collection walks only the
    requests' objects. A larger first-generation threshold makes collections rarer; each request frees
    nearly all it allocates by reference counting anyway. Measured with ``bench.run intake`` (1 worker,
    16 connections, two runs each): p99 133.9/140.8 ms before, 72.9/84.9 ms after.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
