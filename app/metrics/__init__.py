"""Every Prometheus metric the service exposes, in one place; other modules call the hooks below.

Correct with ``jiefen serve --workers N``: with ``PROMETHEUS_MULTIPROC_DIR`` set (``jiefen serve`` sets it up,
see :mod:`app.metrics.multiproc`) every worker writes its values to files there and a scrape of any worker
adds them up. Gauges say how they aggregate: ``livesum`` for what each live worker holds (connections),
``mostrecent`` for facts read from the database at scrape time (the feed's lag), the same from any worker.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, Protocol, TypeVar

from prometheus_client import Counter, Gauge, Histogram

# Up to the feed's 30-second long poll.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "jiefen_http_requests", "HTTP requests, by route template and status.", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "jiefen_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template and status.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
HTTP_UNAVAILABLE = Counter(
    "jiefen_http_unavailable_responses",
    "503 responses, by route template and problem code (service_busy, …).",
    ["route", "code"],
)
DB_POOL_SIZE = Gauge(
    "jiefen_db_pool_size", "Connections a pool may hold.", ["pool"], multiprocess_mode="livesum"
)
DB_POOL_IN_USE = Gauge(
    "jiefen_db_pool_connections_in_use", "Connections checked out.", ["pool"], multiprocess_mode="livesum"
)
DB_POOL_WAITING = Gauge(
    "jiefen_db_pool_waiting",
    "Callers waiting for a free connection (for up to JIEFEN_DB_POOL_TIMEOUT_SECONDS, then a 503).",
    ["pool"],
    multiprocess_mode="livesum",
)
SLA_SWEEP_RUNS = Counter(
    "jiefen_sla_sweep_runs",
    "SLA sweeps: ran, skipped (another replica held the lock) or failed.",
    ["outcome"],
)
SLA_SWEEP_DURATION = Histogram(
    "jiefen_sla_sweep_duration_seconds",
    "Duration of the SLA sweep's statements (before its commit).",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
SLA_BREACHES_RECORDED = Counter(
    "jiefen_sla_breaches_recorded", "Dispatch-deadline breaches the sweep recorded."
)
FEED_UNACKNOWLEDGED = Gauge(
    "jiefen_feed_unacknowledged_events",
    "Feed events written after the client's last acknowledgement, per machine client.",
    ["client"],
    multiprocess_mode="mostrecent",
)
FEED_OLDEST_UNACKNOWLEDGED_AGE = Gauge(
    "jiefen_feed_oldest_unacknowledged_age_seconds",
    "Age of the oldest event the client has not acknowledged (0 when none), per machine client.",
    ["client"],
    multiprocess_mode="mostrecent",
)
IDEMPOTENT_REPLAYS = Counter(
    "jiefen_idempotent_replays",
    "Requests answered with the stored response of an earlier one with the same Idempotency-Key.",
    ["operation"],
)
# Notifications (#16)
NOTIFICATIONS_SENT = Counter(
    "jiefen_notifications_sent",
    "Notification tries, by channel kind and result (delivered, retry, wait, dead).",
    ["kind", "result"],
)
NOTIFICATIONS_QUEUED = Gauge(
    "jiefen_notifications_queued",
    "Notifications waiting to be delivered, and dead letters, by state.",
    ["state"],
    multiprocess_mode="mostrecent",
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, seconds: float, problem_code: str | None) -> None:
    # The method is the client's to choose: anything unusual is one series, not one per spelling.
    method = method if method in _METHODS else "OTHER"
    labels = (method, route, str(status))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_LATENCY.labels(*labels).observe(seconds)
    if status == 503:
        HTTP_UNAVAILABLE.labels(route, problem_code or "unknown").inc()


def idempotent_replay(operation: str) -> None:
    IDEMPOTENT_REPLAYS.labels(operation).inc()


class _SweepOutcome(Protocol):
    @property
    def ran(self) -> bool: ...
    @property
    def breaches_recorded(self) -> int: ...


P = ParamSpec("P")
R = TypeVar("R", bound=_SweepOutcome)


def observe_sweep(run: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Decorates the sweep: counts its runs by outcome, times it, adds up the breaches it recorded."""

    @functools.wraps(run)
    async def observed(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        try:
            result = await run(*args, **kwargs)
        except Exception:  # a cancelled sweep (shutdown) is no failure
            SLA_SWEEP_RUNS.labels("failed").inc()
            raise
        finally:
            SLA_SWEEP_DURATION.observe(time.perf_counter() - started)
        SLA_SWEEP_RUNS.labels("ran" if result.ran else "skipped").inc()
        SLA_BREACHES_RECORDED.inc(result.breaches_recorded)
        return result

    return observed
