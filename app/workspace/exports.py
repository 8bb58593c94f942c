"""The rows of the workspace's Excel exports, streamed page by page from the same queries as the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.cases import repository as case_repo
from app.cases.lifecycle import STATUS_LABELS
from app.db import utcnow
from app.models import Organization
from app.routing.engine import CATEGORIES, TIER_LABELS
from app.sla import queries as sla_queries
from app.sla.queries import SlaFilters
from app.urges.rules import CLOCK_LABELS
from app.workspace.excel import Column
from app.workspace.rates import OnTimeReport

BATCH = 1000

BREACH_COLUMNS = [
    Column("案件编号", 18),
    Column("期限类型", 10),
    Column("镇（街道）", 14),
    Column("承办组织", 28),
    Column("层级", 16),
    Column("纠纷类型", 14),
    Column("案件状态", 10),
    Column("起算时间", 17, "datetime"),
    Column("期限", 17, "datetime"),
    Column("期限为暂定", 10),
    Column("状态", 8),
    Column("结束时间", 17, "datetime"),
    Column("超期小时", 10, "number"),
]


async def breach_rows(
    session: AsyncSession, principal: Principal, f: SlaFilters | None
) -> AsyncIterator[list[Any]]:
    """Every breach the filters select, newest due first, as the API lists them; BATCH rows at a time."""
    if f is None:
        return
    orgs: dict[int, Organization] = {}
    after = None
    now = utcnow()
    while True:
        batch = await sla_queries.breaches(
            session, principal, f, sort="due", now=now, after=after, limit=BATCH
        )
        wanted = {i for b, *_ in batch for i in (b.town_org_id, b.organization_id) if i not in orgs}
        orgs |= await case_repo.orgs_by_ids(session, wanted)
        for b, reference, status, late in batch:
            org = orgs.get(b.organization_id or -1)
            yield [
                reference,
                CLOCK_LABELS.get(b.kind, b.kind),
                orgs[b.town_org_id].name,
                org.name if org else "",
                TIER_LABELS.get(b.tier or "", b.tier or ""),
                CATEGORIES.get(b.category, b.category),
                STATUS_LABELS.get(status, status),
                b.started_at,
                b.due_at,
                "是" if b.due_provisional else "否",
                "未结" if b.stopped_at is None else "已结",
                b.stopped_at,
                round(int(late) / 3600, 1),
            ]
        if len(batch) < BATCH:
            return
        last = batch[-1][0]
        after = (last.due_at, last.id)


RATE_COLUMNS = [
    Column("镇（街道）", 14),
    Column("组织", 28),
    Column("按时", 10, "int"),
    Column("超期", 10, "int"),
    Column("提前结束", 10, "int"),
    Column("按时率", 10, "percent"),
    Column("上期按时率", 12, "percent"),
    Column("环比", 10, "percent"),
    Column("去年同期按时率", 14, "percent"),
    Column("同比", 10, "percent"),
]


async def rate_rows(report: OnTimeReport) -> AsyncIterator[list[Any]]:
    for r in [*report.items, report.totals]:
        yield [
            r.town.name,
            r.organization.name if r.organization else "",
            r.met,
            r.missed,
            r.ended_early,
            r.rate,
            r.previous_rate,
            r.previous_change,
            r.last_year_rate,
            r.last_year_change,
        ]
