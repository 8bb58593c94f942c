"""Response bodies of the workspace's JSON endpoints: names and Chinese labels, not only codes."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel

from app.instants import LocalDateTime


class Named(BaseModel):
    code: str | None
    name: str


class Rate(BaseModel):
    value: float | None  # numerator / denominator, None when nothing was due
    numerator: int
    denominator: int


class ClockTiles(BaseModel):
    clock: str  # dispatch | acceptance | mediation
    clock_label: str
    available: bool  # False for a clock this installation does not run yet (counts are then None)
    at_risk: int | None
    open_breaches: int | None
    on_time_rate: Rate | None  # this calendar month so far


class Overview(BaseModel):
    scope: Named
    as_of: LocalDateTime
    month_start: date
    pending: int
    due_today: int
    clocks: list[ClockTiles]


class DailySeries(BaseModel):
    days: list[date]
    registrations: list[int]
    resolutions: list[int]


class WeeklyRates(BaseModel):
    weeks: list[date]  # each week's Monday
    on_time_rate: list[float | None]
    numerators: list[int]
    denominators: list[int]


class NamedCount(BaseModel):
    code: str | None
    name: str
    count: int


class Counts(BaseModel):
    items: list[NamedCount]


class Target(BaseModel):
    code: str
    name: str
    tier: str
    tier_label: str


class QueueItem(BaseModel):
    case_id: uuid.UUID
    reference: str
    version: int
    category: str
    category_label: str
    town: Named
    received_at: LocalDateTime
    dispatch_due_at: LocalDateTime | None
    late: bool
    rule: str | None
    explanation: str | None
    routed_to: str | None  # where the rule sends it, in words
    suggested: Target | None
    qualifying: list[Target]  # the active organizations the rule allows, that this supervisor may choose


class Queue(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None
    targets: list[
        Target
    ]  # every organization this supervisor may dispatch to (分派 elsewhere, with a reason)
