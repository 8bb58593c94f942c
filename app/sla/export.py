"""The SLA lists and summary as CSV for Excel: Chinese headers and values, due times written as 24:00 of
their day as the pages write them (``2026-11-27 24:00``, not ``11-28 00:00``), parties' names masked."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fastapi.responses import Response

from app.calendar.workdays import SHANGHAI
from app.models import Party
from app.pii.free_text import mask_free_text

ROW_HEADER = [
    "案件编号",
    "期限类型",
    "镇(街道)",
    "承办组织",
    "层级",
    "纠纷类型",
    "案件状态",
    "起算时间",
    "期限",
    "期限为暂定",
    "受理时间",
    "停止时间",
    "是否超期",
    "超期小时",
    "超期工作日",
    "规则版本",
    "当事人",
    "案情摘要",
]

SUMMARY_HEADER = [
    "期限类型",
    "镇(街道)",
    "组织",
    "层级",
    "按期",
    "超期",
    "提前终止(撤回)",
    "按期率",
    "分子",
    "分母",
]


def mask_name(name: str) -> str:
    """张三丰 → 张**: the surname (or an organization's first character) and one star per other character."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _time(value: datetime | None) -> str:
    """Asia/Shanghai wall time; exactly midnight (a due time) reads as 24:00 of the day before."""
    if value is None:
        return ""
    local = value.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d 24:00")
    return local.strftime("%Y-%m-%d %H:%M")


def _respond(header: list[str], rows: list[list[Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    # The UTF-8 byte order mark makes Excel read the Chinese correctly.
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def rows_csv(
    items: Sequence[Any],
    accepted: dict[uuid.UUID, datetime | None],
    parties: dict[uuid.UUID, list[Party]],
    summaries: dict[uuid.UUID, str],
    filename: str,
) -> Response:
    """``items``: ClockRow bodies (app.sla.views)."""
    rows = []
    for r in items:
        holder = r.holder or r.organization
        rows.append(
            [
                r.reference,
                r.clock_label,
                r.town.name,
                holder.name if holder else "",
                r.tier_label,
                r.category_label,
                r.status_label,
                _time(r.started_at),
                _time(r.due_at),
                "是" if r.due_provisional else "否",
                _time(accepted.get(r.case_id)),
                _time(r.stopped_at),
                "是" if r.breached else "否",
                "" if r.lateness_seconds is None else round(r.lateness_seconds / 3600, 1),
                "" if r.lateness_working_days is None else r.lateness_working_days,
                r.rule_version,
                "、".join(f"{mask_name(p.name)}" for p in parties.get(r.case_id, [])),
                mask_free_text(summaries.get(r.case_id, "")),
            ]
        )
    return _respond(ROW_HEADER, rows, filename)


def summary_csv(out: Any) -> Response:
    """``out``: a SummaryOut body (app.sla.views)."""

    def line(town: str, org: str, tier: str, c: Any) -> list[Any]:
        rate = c.on_time_rate
        value = "" if rate.value is None else rate.value
        return [
            out.clock_label,
            town,
            org,
            tier,
            c.met,
            c.missed,
            c.ended_early,
            value,
            rate.numerator,
            rate.denominator,
        ]

    rows = [
        line(i.town.name, i.organization.name if i.organization else "", i.tier_label, i) for i in out.items
    ]
    rows.append(line("合计", "", "", out.totals))
    return _respond(SUMMARY_HEADER, rows, f"sla-summary-{out.clock}.csv")
