"""On-time rates, usable without HTTP (the reports call :func:`on_time`).

For a period and scope, per clock kind, the clocks that came due in the period (``due_at`` in it) count:
met when stopped at or before due; missed when stopped after due or still running past due; ended early
when stopped by a withdrawal before due — those are excluded and counted apart. The rate is
met ÷ (met + missed), always with its numerator and denominator, and None when nothing came due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.db import utcnow
from app.sla import queries
from app.sla.queries import CountsRow, SlaFilters


@dataclass(frozen=True)
class RateCounts:
    met: int = 0
    missed: int = 0
    ended_early: int = 0

    @property
    def numerator(self) -> int:
        return self.met

    @property
    def denominator(self) -> int:
        return self.met + self.missed

    @property
    def rate(self) -> float | None:
        """Rounded to 4 decimals; None when no clock came due."""
        return round(self.met / self.denominator, 4) if self.denominator else None

    def __add__(self, other: RateCounts) -> RateCounts:
        return RateCounts(
            self.met + other.met, self.missed + other.missed, self.ended_early + other.ended_early
        )


def counts_of(row: CountsRow) -> RateCounts:
    return RateCounts(row.met, row.missed, row.ended_early)


async def summary_rows(
    session: AsyncSession,
    principal: Principal | None,
    f: SlaFilters,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
) -> list[CountsRow]:
    return await queries.counts(session, principal, f, start, end, now or utcnow())


async def on_time(
    session: AsyncSession,
    *,
    kind: str,
    start: datetime,
    end: datetime,
    town_id: int | None = None,
    organization_id: int | None = None,
    now: datetime | None = None,
) -> RateCounts:
    """Met, missed and ended early for the clocks of ``kind`` due in [start, end), city-wide or for a town
    or an organization."""
    f = SlaFilters(kind=kind, town_id=town_id, organization_id=organization_id)
    total = RateCounts()
    for row in await summary_rows(session, None, f, start, end, now):
        total += counts_of(row)
    return total
