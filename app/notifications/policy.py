"""When to try a delivery again, and when to give up. Pure: ``now`` and the random source are arguments.

Retries back off exponentially with jitter for 24 hours: the first retry within 10 s (5–7.5 s), each wait
doubling up to an hour. A 4xx other than 429 is a permanent refusal (dead-lettered at once). A 429, or the
robots' own rate-limit codes (企业微信 45009, 钉钉 130101, answered with HTTP 200), waits: Retry-After when
given, else a minute for a robot, else the backoff. After 24 h the row is dead-lettered; an admin may
retry it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.models import ChannelKind

FIRST_RETRY_SECONDS = 5.0
MAX_WAIT_SECONDS = 3600.0
GIVE_UP_AFTER = timedelta(hours=24)
ROBOT_MESSAGES_PER_MINUTE = 20  # 企业微信's limit per robot; 钉钉's is the same
RATE_LIMIT_CODES = {ChannelKind.WECOM: {45009}, ChannelKind.DINGTALK: {130101}}
# Robot codes that no retry can fix: a wrong or revoked key, a failed signature or keyword check.
PERMANENT_CODES = {ChannelKind.WECOM: {93000, 40008, 40058}, ChannelKind.DINGTALK: {300001, 310000, 400102}}


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    WAIT = "wait"  # rate-limited: not the receiver's failure
    DEAD = "dead"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    status_code: int | None
    error: str | None = None
    retry_after: float | None = None


def _retry_after(header: str | None) -> float | None:
    if header is None:
        return None
    try:
        return max(0.0, min(float(header), MAX_WAIT_SECONDS))
    except ValueError:
        return None


def classify(kind: str, status: int, body: Any, retry_after: str | None) -> Outcome:
    """What a receiver's answer means. Robots answer 200 with ``errcode`` in the body."""
    if status == 429:
        return Outcome(Verdict.WAIT, status, "429 Too Many Requests", _retry_after(retry_after))
    if 400 <= status < 500:
        return Outcome(Verdict.DEAD, status, f"HTTP {status}")
    if status >= 300 or status < 200:
        # 3xx included: redirects are not followed, and a moved robot is the receiver's problem to fix.
        return Outcome(Verdict.RETRY, status, f"HTTP {status}", _retry_after(retry_after))
    if kind in (ChannelKind.WECOM, ChannelKind.DINGTALK) and isinstance(body, dict):
        code = body.get("errcode", 0)
        if code:
            message = f"errcode {code}: {str(body.get('errmsg', ''))[:200]}"
            if code in RATE_LIMIT_CODES[ChannelKind(kind)]:
                return Outcome(Verdict.WAIT, status, message, 60.0)
            if code in PERMANENT_CODES[ChannelKind(kind)]:
                return Outcome(Verdict.DEAD, status, message)
            return Outcome(Verdict.RETRY, status, message)
    return Outcome(Verdict.DELIVERED, status)


def backoff_seconds(attempts: int, rng: random.Random) -> float:
    """The wait after the ``attempts``-th failed try (1-based): 5 s doubling, ×[1, 1.5) jitter, ≤ 1 h."""
    base = FIRST_RETRY_SECONDS * 2 ** min(max(attempts - 1, 0), 20)
    return min(MAX_WAIT_SECONDS, base * rng.uniform(1.0, 1.5))


def next_attempt(
    outcome: Outcome, attempts: int, created_at: datetime, now: datetime, rng: random.Random
) -> datetime | None:
    """When to try again after a failed try; None to dead-letter."""
    if outcome.verdict == Verdict.DEAD:
        return None
    if outcome.verdict == Verdict.WAIT:
        wait = outcome.retry_after if outcome.retry_after is not None else backoff_seconds(attempts, rng)
    else:
        wait = max(backoff_seconds(attempts, rng), outcome.retry_after or 0.0)
    at = now + timedelta(seconds=wait)
    return None if at > created_at + GIVE_UP_AFTER else at
