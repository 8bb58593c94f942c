"""按时率 for a period, per town and organization, beside the previous period of the same length (环比)
and the same days a year before (同比), for one clock kind. The counts come from ``app.sla.service``, the same
as ``GET /sla/summary``: the clocks due in the period, met ÷ (met + missed)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import repository as case_repo
from app.sla.queries import SlaFilters
from app.sla.service import RateCounts, counts_of, summary_rows
from app.workspace.days import day_start
from app.workspace.schemas import Named


class OnTimeRow(BaseModel):
    town: Named
    organization: Named | None
    met: int  # stopped at or before due
    missed: int  # stopped after due, or still running past it
    ended_early: int  # withdrawn before due: in neither
    rate: float | None  # met ÷ (met + missed)
    previous_rate: float | None  # the previous period of the same length
    previous_change: float | None  # 环比: rate − previous_rate, in points of a fraction
    last_year_rate: float | None  # the same days a year before
    last_year_change: float | None  # 同比


class OnTimeReport(BaseModel):
    clock: str
    start: date
    end: date
    previous_start: date
    previous_end: date
    last_year_start: date
    last_year_end: date
    totals: OnTimeRow
    items: list[OnTimeRow]


def a_year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def previous_period(start: date, end: date) -> tuple[date, date]:
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 4)


Key = tuple[int, int | None]


async def _period(
    session: AsyncSession, principal: Principal, start: date, end: date, f: SlaFilters
) -> dict[Key, RateCounts]:
    """Per town and organization (its tiers added up): the clocks of ``f.kind`` due in the period."""
    rows = await summary_rows(session, principal, f, day_start(start), day_start(end + timedelta(days=1)))
    table: dict[Key, RateCounts] = {}
    for r in rows:
        key = (r.town_org_id, r.organization_id)
        table[key] = table.get(key, RateCounts()) + counts_of(r)
    return table


async def on_time_report(
    session: AsyncSession, principal: Principal, start: date, end: date, f: SlaFilters
) -> OnTimeReport:
    prev_start, prev_end = previous_period(start, end)
    ly_start, ly_end = a_year_before(start), a_year_before(end)
    current = await _period(session, principal, start, end, f)
    previous = await _period(session, principal, prev_start, prev_end, f)
    last_year = await _period(session, principal, ly_start, ly_end, f)
    orgs = await case_repo.orgs_by_ids(session, [i for k in current for i in k])

    def row(key: Key | None) -> OnTimeRow:
        def total(table: dict[Key, RateCounts]) -> RateCounts:
            if key is not None:
                return table.get(key, RateCounts())
            return sum(table.values(), RateCounts())

        now, before, year_ago = total(current), total(previous), total(last_year)
        rate, prev, ly = now.rate, before.rate, year_ago.rate
        if key is None:
            town, org = Named(code=None, name="合计"), None
        else:
            t, g = orgs[key[0]], orgs.get(key[1] or -1)
            town, org = Named(code=t.code, name=t.name), Named(code=g.code, name=g.name) if g else None
        return OnTimeRow(
            town=town,
            organization=org,
            met=now.met,
            missed=now.missed,
            ended_early=now.ended_early,
            rate=rate,
            previous_rate=prev,
            previous_change=_change(rate, prev),
            last_year_rate=ly,
            last_year_change=_change(rate, ly),
        )

    keys = sorted(current, key=lambda k: (orgs[k[0]].code, orgs[k[1]].code if k[1] in orgs else ""))
    return OnTimeReport(
        clock=f.kind,
        start=start,
        end=end,
        previous_start=prev_start,
        previous_end=prev_end,
        last_year_start=ly_start,
        last_year_end=ly_end,
        totals=row(None),
        items=[row(k) for k in keys],
    )
