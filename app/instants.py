"""How instants leave the API: ISO 8601 in Asia/Shanghai (+08:00), whatever they were stored in (UTC).

A foundation module, so that every package's response schemas (auth, cases, feed, sla, calendar) can use
:data:`LocalDateTime` without importing another domain's schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_iso(value: datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat()


LocalDateTime = Annotated[datetime, PlainSerializer(shanghai_iso, return_type=str, when_used="json")]
