"""One JSON log line per record, for the app's loggers and uvicorn's, each carrying its request's id.

The request id lives in a context variable that :class:`app.ops.RequestContextMiddleware` sets for the
request's duration, so any record logged while a request runs (a traceback, a warning from a service) names
the request that caused it. ``jiefen serve`` hands :func:`logging_config` to uvicorn, which applies it in
the supervisor and in every worker: "Started server process", "Child process died", "Shutting down" and
"Exception in ASGI application" are JSON lines too, not plain text on stderr or nothing.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("jiefen_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamp the current request's id on the record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            # exc_text, when a filter set it, is the traceback already masked (app.pii.logs).
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document: one JSON handler on the root; uvicorn's loggers feed it.

    Also what ``uvicorn.run(log_config=...)`` takes; it is pickled to each worker, hence the dotted names.
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": f"{__name__}.RequestIdFilter"},
            "personal_data": {"()": "app.pii.logs.MaskPersonalData"},
        },
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
                "filters": ["request_id", "personal_data"],
            }
        },
        "root": {"level": level, "handlers": ["stdout"]},
        # uvicorn's own handlers would print plain text; theirs are dropped and records go to the root.
        "loggers": {
            name: {"level": level, "handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
        },
    }


def configure_logging(level: str) -> None:
    logging.config.dictConfig(logging_config(level))
