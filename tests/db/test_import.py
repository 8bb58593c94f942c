"""History import: a file in, the statistics out, figure by figure; bad files refused whole."""

from __future__ import annotations

import csv
import io

import openpyxl
from sqlalchemy import func, select

from app.db import session_scope
from app.models import Assignment, Case, CaseEvent, ClockKind, SlaClock
from app.reporting.history_rows import COLUMNS
from tests.support import login

HEADER = [*COLUMNS, "applicant_names", "respondent_names", "referred_by"]
ROWS = [
    # H1: settled at the village, written agreement of 20,000 yuan, closed after the follow-up.
    {
        "external_ref": "OLD-1",
        "received_at": "2025-03-03",
        "category": "合同/民间借贷",
        "town_code": "LY-LC",
        "village_code": "LY-LC-V01",
        "intake_org_code": "LY-LC-V01",
        "summary": "借款到期未还，双方同意调解。",
        "applicant_count": "1",
        "respondent_is_government": "否",
        "source": "委托移送",
        "referred_by": "法院",
        "handled_by": "LY-LC-V01",
        "dispatched_at": "2025-03-03",
        "accepted_at": "2025-03-04T09:00:00+08:00",
        "outcome": "settled",
        "outcome_at": "2025-03-20",
        "agreement_type": "书面协议",
        "agreed_amount": "20000",
        "agreement_effective_on": "2025-03-20",
        "closed_at": "2025-04-01",
        "follow_up_note": "回访：已履行。",
        "applicant_names": "张三",
        "respondent_names": "李四",
    },
    # H2: failed at the town station.
    {
        "external_ref": "OLD-2",
        "received_at": "2025-05-06",
        "category": "land",
        "town_code": "LY-LC",
        "intake_org_code": "LY-LC-STN",
        "summary": "承包地边界争议。",
        "handled_by": "LY-LC-STN",
        "dispatched_at": "2025-05-06",
        "accepted_at": "2025-05-07",
        "outcome": "调解不成",
        "outcome_at": "2025-06-01",
    },
    # H3: dispatched late (received Monday 2 June, due 5 June 24:00), then withdrawn at the committee.
    {
        "external_ref": "OLD-3",
        "received_at": "2025-06-02",
        "category": "劳动争议",
        "town_code": "LY-LC",
        "intake_org_code": "LY-LC-V01",
        "summary": "拖欠工资纠纷。",
        "applicant_count": "6",
        "handled_by": "LY-SP-LABOUR",
        "dispatched_at": "2025-06-16",
        "accepted_at": "2025-06-16",
        "outcome": "withdrawn",
        "outcome_at": "2025-06-20",
    },
    # H4: administrative review received last year, decided this year (carry-over).
    {
        "external_ref": "OLD-4",
        "received_at": "2025-12-15",
        "category": "other",
        "town_code": "LY-LC",
        "intake_org_code": "LY-CC-ADMREVIEW",
        "summary": "不服行政处罚决定。",
        "respondent_is_government": "是",
        "handled_by": "LY-CC-ADMREVIEW",
        "dispatched_at": "2025-12-15",
        "accepted_at": "2025-12-16",
        "outcome": "撤销",
        "outcome_at": "2026-01-10",
        "respondent_names": "某局",
    },
    # H5: declined by the committee it was handed to.
    {
        "external_ref": "OLD-5",
        "received_at": "2025-07-01",
        "category": "neighbour",
        "town_code": "LY-LC",
        "village_code": "LY-LC-V01",
        "intake_org_code": "LY-LC-V01",
        "summary": "邻里通行纠纷。",
        "handled_by": "LY-LC-V02",
        "dispatched_at": "2025-07-01",
        "declined_at": "2025-07-02",
        "decline_reason": "不属本村。",
    },
]


def as_csv(rows: list[dict[str, str]], header: list[str] = HEADER, bom: bool = True) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


async def post(client, world, content: bytes, kind: str = "text/csv", **params):
    headers = {**await login(client, world, "admin"), "Content-Type": kind}
    return await client.post("/api/v1/admin/cases/import", content=content, headers=headers, params=params)


async def statistics(client, world, year: int) -> dict:
    r = await client.get(
        "/api/v1/reports/statistics",
        params={"from": f"{year}-01-01", "to": f"{year}-12-31"},
        headers=await login(client, world, "bureau"),
    )
    assert r.status_code == 200, r.text
    return r.json()


async def count(world, model, *where) -> int:
    async with session_scope(world.app.state.ctx.sessionmaker) as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_import_round_trip_gives_each_figure(client, world) -> None:
    r = await post(client, world, as_csv(ROWS))
    assert r.status_code == 200, r.text
    assert r.json() == {"rows": 5, "imported": 5, "skipped": 0, "dry_run": False, "errors": []}

    last = await statistics(client, world, 2025)
    pm = last["people_mediation"]
    assert (pm["mediated"], pm["settled"], pm["failed"], pm["withdrawn"], pm["escalated"]) == (3, 1, 1, 1, 0)
    assert pm["success_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert pm["resolved_cases"] == 1
    assert pm["agreements"] == {"written": 1, "oral": 0, "unrecorded": 0, "parties": 2}
    assert pm["agreed_amount_yuan"] == "20000.00" and pm["agreed_amount_wan_yuan"] == "2.00"
    assert pm["by_source"] == {"applied": 2, "initiative": 0, "referred": 1}
    assert pm["by_referrer"]["court"] == 1
    categories = {c["code"]: c for c in pm["by_category"]}
    assert categories["contract"]["subcategories"][0]["settled"] == 1
    assert (categories["land"]["failed"], categories["labour"]["withdrawn"]) == (1, 1)
    # Six dispatch clocks fell due in 2025 (OLD-5's decline started a second one); OLD-3's was missed.
    assert last["dispatch"]["within_deadline"] == {"value": 0.8333, "numerator": 5, "denominator": 6}
    review = last["administrative_review"]
    assert (review["received"], review["accepted"], review["concluded"]) == (1, 1, 0)

    this = await statistics(client, world, 2026)
    review = this["administrative_review"]
    assert (review["received"], review["accepted"], review["concluded"]) == (0, 0, 1)
    assert review["decisions"] == {"revoked": 1}
    assert review["direct_correction_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert this["people_mediation"]["mediated"] == 0

    # What live work would have left: the late dispatch's breach, closed; every event marked imported.
    late = (
        SlaClock.kind == ClockKind.DISPATCH,
        SlaClock.breached_at.is_not(None),
        SlaClock.stopped_at.is_not(None),
    )
    assert await count(world, SlaClock, *late) == 1
    events = await count(world, CaseEvent)
    assert events > 10 and await count(world, Assignment) == 6
    async with session_scope(world.app.state.ctx.sessionmaker) as s:
        data = (await s.execute(select(CaseEvent.data))).scalars().all()
        assert all(d.get("imported") is True and d.get("external_ref", "").startswith("OLD-") for d in data)
        refs = (await s.execute(select(Case.reference).order_by(Case.reference))).scalars().all()
        assert all(ref.startswith("LY-2025-") for ref in refs)

    again = await post(client, world, as_csv(ROWS, bom=False))
    assert again.json() == {"rows": 5, "imported": 0, "skipped": 5, "dry_run": False, "errors": []}
    assert await count(world, CaseEvent) == events


async def test_a_bad_file_lists_every_error_by_row_and_column_and_stores_nothing(client, world) -> None:
    bad = [
        {**ROWS[0], "received_at": "2025-13-01"},
        {**ROWS[1], "handled_by": "LY-NOPE"},
        {**ROWS[2], "external_ref": "OLD-1"},
        {**ROWS[3], "outcome": "settled"},  # the administrative-review channel decides, it does not settle
        ROWS[4],
    ]
    r = await post(client, world, as_csv(bad))
    assert r.status_code == 422, r.text
    found = [(e["field"], e["code"]) for e in r.json()["errors"]]
    assert found == [
        ("rows.2.received_at", "datetime.format"),
        ("rows.3.handled_by", "organization.unknown"),
        ("rows.4.external_ref", "external_ref.duplicate"),
    ]
    assert await count(world, Case) == 0
    # With the file's own errors fixed, the domain's refusal of row 5 is listed, and still nothing stored.
    r = await post(client, world, as_csv([ROWS[0], ROWS[1], ROWS[2], {**ROWS[3], "outcome": "settled"}]))
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("rows.5.outcome", "outcome.not_allowed_here")
    ]
    assert await count(world, Case) == 0

    missing = await post(client, world, as_csv(ROWS, header=[c for c in HEADER if c != "summary"]))
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [
        ("rows.1.summary", "column.missing")
    ]
    future = await post(client, world, as_csv([{**ROWS[1], "outcome_at": "2099-01-01"}]))
    assert [e["code"] for e in future.json()["errors"]] == ["datetime.future"]
    early = await post(client, world, as_csv([{**ROWS[1], "received_at": "1999-12-31"}]))
    assert "datetime.too_early" in [e["code"] for e in early.json()["errors"]]


async def test_dry_run_checks_and_stores_nothing(client, world) -> None:
    r = await post(client, world, as_csv(ROWS), dry_run="true")
    assert r.json() == {"rows": 5, "imported": 5, "skipped": 0, "dry_run": True, "errors": []}
    assert await count(world, Case) == 0


async def test_xlsx_import_and_only_admins(client, world) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS[:2]:
        sheet.append([row.get(c, "") for c in HEADER])
    out = io.BytesIO()
    book.save(out)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = await post(client, world, out.getvalue(), xlsx)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == 2
    stats = await statistics(client, world, 2025)
    assert (stats["people_mediation"]["settled"], stats["people_mediation"]["failed"]) == (1, 1)
    bureau = await client.post(
        "/api/v1/admin/cases/import",
        content=as_csv(ROWS),
        headers={**await login(client, world, "bureau"), "Content-Type": "text/csv"},
    )
    assert bureau.status_code in (403, 404)
