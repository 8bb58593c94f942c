"""Domain errors and their one mapping to RFC 9457 problem details.

Code below the endpoints raises these; :func:`install_problem_handlers` turns each into
``application/problem+json`` with a stable machine-readable ``code``. Validation failures list every bad field
in ``errors`` as ``{field, code, message}`` so a form can show each message beside its field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import i18n
from app.db import TransientDatabaseError, retryable

PROBLEM_BASE = "https://jiefen.example.cn/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path into the request body, e.g. "parties.1.id_number"
    code: str  # e.g. "id_number.checksum"
    message: str  # English; the Chinese one comes from app/errors_zh.py by code
    # The values in the message (a length, a date), for the Chinese text: {"min_length": 12}.
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, str]:
        message = i18n.localized(self.code, self.message, self.params, status=422)
        return {"field": self.field, "code": self.code, "message": message}


@dataclass
class DomainError(Exception):
    """Base of every error a client can cause. Subclasses fix the HTTP status and a default code."""

    detail: str
    code: str = "error"
    status: int = 400
    title: str = "Bad request"
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)  # values in the detail, for its Chinese text

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class ValidationFailed(DomainError):
    def __init__(self, errors: list[FieldError], detail: str = "The request has invalid fields.") -> None:
        super().__init__(detail=detail, code="validation_failed", status=422, title="Invalid request")
        self.errors = errors


class NotAuthenticated(DomainError):
    def __init__(self, detail: str = "Authentication required.", code: str = "not_authenticated") -> None:
        super().__init__(
            detail=detail, code=code, status=401, title="Unauthorized", headers={"WWW-Authenticate": "Bearer"}
        )


class Forbidden(DomainError):
    def __init__(self, detail: str, code: str = "forbidden") -> None:
        super().__init__(detail=detail, code=code, status=403, title="Forbidden")


class NotFound(DomainError):
    """Also what an object outside the caller's scope looks like: its existence is not disclosed."""

    def __init__(self, detail: str = "Not found.", code: str = "not_found") -> None:
        super().__init__(detail=detail, code=code, status=404, title="Not found")


class Conflict(DomainError):
    def __init__(self, detail: str, code: str = "conflict", **extra: Any) -> None:
        super().__init__(detail=detail, code=code, status=409, title="Conflict", extra=extra)


class PreconditionFailed(DomainError):
    def __init__(self, detail: str, code: str = "version_mismatch", **extra: Any) -> None:
        super().__init__(detail=detail, code=code, status=412, title="Precondition failed", extra=extra)


class TooManyRequests(DomainError):
    def __init__(self, detail: str, retry_after: int, code: str = "too_many_requests") -> None:
        super().__init__(
            detail=detail,
            code=code,
            status=429,
            title="Too many requests",
            headers={"Retry-After": str(retry_after)},
        )


class Gone(DomainError):
    def __init__(self, detail: str, code: str = "gone") -> None:
        super().__init__(detail=detail, code=code, status=410, title="Gone")


def problem_response(
    status: int,
    title: str,
    detail: str,
    code: str,
    *,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Every problem answer passes here: the title, detail and field messages are in the request's language
    (app/i18n.py: Chinese when Accept-Language prefers it); ``params`` and ``extra`` fill the Chinese text's
    values."""
    values = {**(extra or {}), **(params or {})}
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code.replace(".", "-"),
        "title": i18n.localized_title(status, title),
        "status": status,
        "detail": i18n.localized(code, detail, values, status=status),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = [e.as_dict() for e in errors]
    if extra:
        body.update(extra)
    headers = {**(headers or {}), "Vary": "Accept-Language"}
    if i18n.language.get() == i18n.CHINESE:
        headers["Content-Language"] = i18n.CHINESE
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    # Drop the "body"/"query" prefix and pydantic's union/function tags so the path names the client's field.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    parts = [p for p in parts if not p.startswith("function-") and "[" not in p]
    return ".".join(parts) or "body"


def _code_of(err: dict[str, Any]) -> str:
    ctx = err.get("ctx") or {}
    inner = ctx.get("error")
    inner_code = getattr(inner, "code", None)
    if isinstance(inner_code, str):
        return inner_code
    return str(err.get("type", "invalid"))


def field_errors_from_pydantic(errors: Any) -> list[FieldError]:
    result = []
    for err in errors:
        msg = str(err.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        params = {k: v for k, v in (err.get("ctx") or {}).items() if k != "error"}
        result.append(FieldError(_field_path(err.get("loc", ())), _code_of(err), msg, params))
    return result


def service_busy(request: Request, detail: str) -> JSONResponse:
    """503 with Retry-After: nothing the request did was kept; the same request may be sent again."""
    return problem_response(
        503, "Service busy", detail, "service_busy", instance=request.url.path, headers={"Retry-After": "1"}
    )


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            exc.code,
            instance=request.url.path,
            errors=getattr(exc, "errors", None),
            extra=exc.extra,
            headers=exc.headers or None,
            params=exc.params,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422,
            "Invalid request",
            "The request has invalid fields.",
            "validation_failed",
            instance=request.url.path,
            errors=field_errors_from_pydantic(exc.errors()),
        )

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every database connection of this process stayed busy for JIEFEN_DB_POOL_TIMEOUT_SECONDS. The
        # request's transaction, if it had begun, was rolled back: a retry (same Idempotency-Key) is safe.
        return service_busy(request, "The service is at capacity; nothing was stored. Retry in a moment.")

    async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
        # A lost connection (failover, restart), an unreachable database, a serialization failure or a
        # deadlock (app.db.retryable). The request's unit of work rolled back, and the pool already replaces
        # lost connections, so the retry (same Idempotency-Key: it replays a lost COMMIT's response) is
        # safe and meets a working pool. A handled response, so the client's HTTP connection stays open.
        if not retryable(exc):
            raise exc  # a bug, not the database's weather: the 500 path
        return service_busy(
            request, "The database was briefly unavailable. Retry in a moment, with the same Idempotency-Key."
        )

    app.add_exception_handler(TransientDatabaseError, _database_busy)
    app.add_exception_handler(DBAPIError, _database_busy)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem_response(
            exc.status_code,
            str(exc.detail) if exc.status_code != 404 else "Not found",
            str(exc.detail),
            code,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )
