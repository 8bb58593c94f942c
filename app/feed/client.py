"""The reference feed client: what a court IT team reads to integrate (``jiefen court pull``).

Exactly once in the output file, even when killed at any point:
1. pull a page after the saved cursor;
2. append its events to the JSON Lines file and fsync;
3. save {cursor, file size} to the state file atomically (write a temporary file, fsync, rename);
4. acknowledge the cursor to the server (only informs the city's lag report).
On start, the output is truncated to the size recorded with the cursor, so a batch written but not yet
recorded (killed between 2 and 3) is dropped and pulled again: nothing twice, nothing missing.

Pacing: polls start at least ``min_interval`` apart, except to fetch the rest of a backlog (a page with items
and ``has_more``). A page that comes back empty before the long poll's ``wait`` is over (always, with
``--wait 0``; or ``has_more`` with no items, which a correct server never sends) backs off exponentially
with jitter up to ``max_backoff``, so a quiet feed or a misbehaving proxy is never polled in a tight loop.
Network errors, 429 and 5xx are retried with the same backoff; other 4xx stop with the problem text.
The key comes from ``JIEFEN_API_KEY`` or a file, never from the command line, where ``ps`` shows it.

What the events mean (``type``; each item also carries its ``case`` as the court sees it now): the
lifecycle's ``case.created|dispatched|accepted|declined|escalated|resolved|withdrawn|closed`` for the cases
routed to the court; ``case.routed_away`` when one leaves it (close your record); and
``case.confirmation_requested``: a mediation organization asks the court to confirm a settled written
agreement (人民调解法 第33条). Its ``data`` has ``request_id`` and the agreement; its ``case`` the parties'
full phones and addresses, for service (送达). Answer it with :func:`answer_confirmation`; the answer comes
back on the feed as ``case.confirmation_answered``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx


@dataclass
class State:
    cursor: str | None = None
    out_size: int = 0

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("cursor"), int(data.get("out_size", 0)))

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump({"cursor": self.cursor, "out_size": self.out_size}, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)


class FeedError(RuntimeError):
    pass


@dataclass
class Puller:
    client: httpx.AsyncClient
    key: str
    state_path: Path
    out_path: Path
    limit: int = 100
    wait: int = 20
    min_interval: float = 1.0
    max_backoff: float = 30.0
    log: Callable[[str], None] = print
    # Injected by the tests: no real sleeping, no real clock.
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic
    jitter: Callable[[], float] = random.random  # in [0, 1); spreads clients' retries, not security

    def _backoff(self, attempt: int) -> float:
        """The pause after the ``attempt``-th failed or empty poll in a row: doubling, jittered by ±50 %,
        never below ``min_interval`` and never above ``max_backoff``."""
        base = min(self.max_backoff, self.min_interval * 2 ** (attempt - 1))
        return min(self.max_backoff, max(self.min_interval, base * (0.5 + self.jitter())))

    async def _get(self, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": self.limit, "wait": self.wait}
        if cursor:
            params["cursor"] = cursor
        attempt = 0
        while True:
            retry_after = 0.0
            try:
                r = await self.client.get(
                    "/api/v1/feed",
                    params=params,
                    headers={"Authorization": f"Bearer {self.key}"},
                    timeout=self.wait + 15,
                )
            except httpx.TransportError as exc:
                problem = f"network error: {exc!r}"
            else:
                if r.status_code == 200:
                    return dict(r.json())
                if r.status_code < 500 and r.status_code != 429:
                    raise FeedError(f"{r.status_code}: {r.text}")
                problem = f"server answered {r.status_code}"
                with contextlib.suppress(ValueError):
                    retry_after = float(r.headers.get("Retry-After", 0))
            attempt += 1
            delay = max(self._backoff(attempt), min(retry_after, self.max_backoff))
            self.log(f"{problem}; retrying in {delay:.1f}s")
            await self.sleep(delay)

    async def _ack(self, cursor: str) -> None:
        # The acknowledgement only feeds the city's lag report; the state file is what resumes.
        with contextlib.suppress(httpx.TransportError):
            await self.client.post(
                "/api/v1/feed/ack", json={"cursor": cursor}, headers={"Authorization": f"Bearer {self.key}"}
            )

    def _pause_after(self, page: dict[str, Any], elapsed: float, empty_polls: int) -> float:
        if page["items"]:
            return 0.0 if page["has_more"] else max(0.0, self.min_interval - elapsed)
        if empty_polls:
            return self._backoff(empty_polls)
        return max(0.0, self.min_interval - elapsed)

    async def run(self, *, once: bool = False) -> int:
        """Pull until caught up (``once``) or forever; returns how many events were written."""
        state = State.load(self.state_path)
        self.out_path.touch()
        with self.out_path.open("r+b") as out:
            out.truncate(state.out_size)  # drop a batch written after the last saved state
        written = 0
        empty_polls = 0  # empty pages in a row that came back before the long poll was over
        while True:
            started = self.clock()
            page = await self._get(state.cursor)
            elapsed = self.clock() - started
            if page["items"]:
                with self.out_path.open("ab") as out:
                    for item in page["items"]:
                        out.write(json.dumps(item, ensure_ascii=False).encode() + b"\n")
                    out.flush()
                    os.fsync(out.fileno())
                    size = out.tell()
                written += len(page["items"])
                state = State(page["next_cursor"], size)
                state.save(self.state_path)
                await self._ack(state.cursor or "")
                empty_polls = 0
            else:
                if page["has_more"]:
                    self.log("the server said has_more but sent no items; backing off")
                if once:
                    return written
                early = self.wait == 0 or elapsed < self.wait or page["has_more"]
                empty_polls = empty_polls + 1 if early else 0
            pause = self._pause_after(page, elapsed, empty_polls)
            if pause > 0:
                await self.sleep(pause)


FEED_EVENT_TYPES = (
    "case.created",
    "case.dispatched",
    "case.accepted",
    "case.declined",
    "case.escalated",
    "case.resolved",
    "case.withdrawn",
    "case.closed",
    "case.routed_away",
    "case.confirmation_requested",
    "case.confirmation_answered",
)


async def answer_confirmation(
    client: httpx.AsyncClient,
    key: str,
    case_id: str,
    *,
    decision: str,
    decided_on: str,
    idempotency_key: str,
    court_case_number: str | None = None,
    reason: str | None = None,
    attempts: int = 5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[str, Any]:
    """Answer a ``case.confirmation_requested``: ``confirmed`` with the 案号, or ``refused`` with a reason.

    Safe to retry after a lost response: the same ``idempotency_key`` (derive it from the request_id, e.g.
    ``f"confirmation-{request_id}"``) replays the first answer instead of answering twice."""
    body: dict[str, Any] = {"decision": decision, "decided_on": decided_on}
    if court_case_number is not None:
        body["court_case_number"] = court_case_number
    if reason is not None:
        body["reason"] = reason
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key}
    for attempt in range(1, attempts + 1):
        try:
            r = await client.post(f"/api/v1/court/cases/{case_id}/confirmation", json=body, headers=headers)
        except httpx.TransportError:
            if attempt == attempts:
                raise
        else:
            if r.status_code == 200:
                return dict(r.json())
            if r.status_code < 500 and r.status_code != 429:
                raise FeedError(f"{r.status_code}: {r.text}")
            if attempt == attempts:
                raise FeedError(f"{r.status_code}: {r.text}")
        await sleep(min(30.0, 2.0**attempt))
    raise AssertionError("unreachable")


KEY_ENV = "JIEFEN_API_KEY"


def read_key(key_file: str | None, argv_key: str | None, environ: Mapping[str, str]) -> tuple[str, list[str]]:
    """The API key and the warnings to print: from ``--key-file``, else the deprecated ``--key`` (visible to
    every user of the machine in ``ps``), else ``JIEFEN_API_KEY``."""
    warnings = []
    if key_file:
        path = Path(key_file)
        if os.name == "posix" and path.stat().st_mode & 0o077:
            warnings.append(f"warning: {key_file} is readable by other users; chmod 600 it")
        key = path.read_text(encoding="utf-8").strip()
    elif argv_key:
        key = argv_key
    elif environ.get(KEY_ENV):
        key = environ[KEY_ENV].strip()
    else:
        raise FeedError(f"no API key: set {KEY_ENV} or pass --key-file PATH")
    if argv_key:
        warnings.append(
            f"warning: --key is deprecated: the command line is visible in ps; use {KEY_ENV} or --key-file"
        )
    if not key:
        raise FeedError("the API key is empty")
    return key, warnings


def plain_http_warning(url: str) -> str | None:
    """A warning when the key would cross the network unencrypted (http:// to a host other than this one)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return None
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return None
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    return f"warning: {url} is plain http to {host}: the API key and the parties' data travel unencrypted"
