"""How instants leave the API: ISO 8601 in Asia/Shanghai (+08:00), whatever they were stored in (UTC).

A foundation module, so that every package's response schemas (auth, cases, feed, sla, calendar) can use
:data:`LocalDateTime` without importing another domain's schemas.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_iso(value: datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat()


LocalDateTime = Annotated[datetime, PlainSerializer(shanghai_iso, return_type=str, when_used="json")]


def wall_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M", missing: str = "—") -> str:
    """Asia/Shanghai wall time as a person reads it. A due time is the end of a day (届满日的24时): exactly
    midnight reads as 24:00 of the day before (``2026-11-27 24:00``, not ``11-28 00:00``) everywhere a time
    is shown: the pages, the CSV and Excel files, the chat messages."""
    if value is None:
        return missing
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(SHANGHAI)
    if fmt.endswith("%H:%M") and (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return (local - timedelta(days=1)).strftime(fmt.replace("%H:%M", "24:00"))
    return local.strftime(fmt)
