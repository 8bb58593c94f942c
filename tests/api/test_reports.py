"""GET /reports/statistics and /reports/narrative on cases worked through the API today."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import openpyxl
import pytest

from app.calendar.workdays import SHANGHAI
from app.web.assets import asset_url
from tests.browser.web import web_login
from tests.support import act, case_body, login, person


def _period() -> dict[str, str]:
    # Today, and far enough ahead that the dispatch clocks started today fall due within it.
    today = datetime.now(SHANGHAI).date()
    return {"from": today.isoformat(), "to": (today + timedelta(days=30)).isoformat()}


async def _case(client, world, user: str, **overrides) -> dict:
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, user)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _step(client, world, user: str, case: dict, action: str, **body) -> dict:
    r = await act(client, await login(client, world, user), case, action, **body)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
async def worked(client, world) -> None:
    """Four cases: settled at the village; escalated to the town and failed there; withdrawn at the labour
    committee; and an administrative review that revoked the decision."""
    settled = await _case(client, world, "lc_v01", source="referred", referred_by="police")
    settled = await _step(client, world, "lc_v01", settled, "accept")
    await _step(
        client,
        world,
        "lc_v01",
        settled,
        "outcome",
        outcome="settled",
        agreement_type="written",
        agreed_amount="5000.00",
    )
    up = await _case(client, world, "lc_v01", category="debt")
    up = await _step(client, world, "lc_v01", up, "accept")
    up = await _step(client, world, "lc_v01", up, "escalate", reason="双方分歧较大")
    assert up["current_organization"]["code"] == "LY-LC-STN"
    up = await _step(client, world, "lc_stn", up, "accept")
    await _step(client, world, "lc_stn", up, "outcome", outcome="failed")
    wages = await _case(client, world, "lc_v01", category="migrant_wages")
    assert wages["current_organization"]["code"] == "LY-SP-LABOUR"
    wages = await _step(client, world, "labour", wages, "accept")
    await _step(client, world, "labour", wages, "withdraw", reason="申请人撤回申请")
    government = {
        **person("respondent", "某局", 5),
        "kind": "organization",
        "is_government": True,
        "id_number": None,
    }
    review = await _case(client, world, "lc_v01", parties=[person("applicant", "王五", 4), government])
    assert review["current_organization"]["code"] == "LY-CC-ADMREVIEW"
    review = await _step(client, world, "admrev", review, "accept")
    await _step(client, world, "admrev", review, "outcome", outcome="revoked")


@pytest.mark.usefixtures("worked")
async def test_statistics_from_the_case_records(client, world) -> None:
    r = await client.get(
        "/api/v1/reports/statistics", params=_period(), headers=await login(client, world, "bureau")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    pm = body["people_mediation"]
    assert (pm["mediated"], pm["settled"], pm["failed"], pm["withdrawn"], pm["escalated"]) == (3, 1, 1, 1, 0)
    assert pm["resolved_cases"] == 1
    assert pm["success_rate"] == {"value": 0.5, "numerator": 1, "denominator": 2}
    assert pm["grassroots_share"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    orgs = {o["code"]: (o["mediated"], o["settled"], o["escalated"]) for o in pm["by_organization"]}
    assert orgs == {"LY-LC-V01": (2, 1, 1), "LY-LC-STN": (1, 0, 0), "LY-SP-LABOUR": (1, 0, 0)}
    categories = {c["code"]: c for c in pm["by_category"]}
    assert categories["contract"]["failed"] == 1
    assert categories["contract"]["subcategories"][0] == {
        **categories["contract"]["subcategories"][0],
        "code": "debt",
        "failed": 1,
    }
    assert categories["labour"]["withdrawn"] == 1
    assert pm["agreements"]["written"] == 1 and pm["agreed_amount_yuan"] == "5000.00"
    assert pm["by_source"] == {"applied": 2, "initiative": 0, "referred": 1}
    assert pm["by_referrer"]["police"] == 1
    review = body["administrative_review"]
    assert (review["received"], review["accepted"], review["concluded"]) == (1, 1, 1)
    assert review["decisions"] == {"revoked": 1}
    assert review["direct_correction_rate"] == {"value": 1.0, "numerator": 1, "denominator": 1}
    assert review["substantive_resolution"]["count"] == 0
    # Five dispatches (the escalation started a second clock for one case), all on time.
    assert body["dispatch"]["within_deadline"] == {"value": 1.0, "numerator": 5, "denominator": 5}
    assert body["court_subcenter"]["resolved"] == 0
    assert body["comparisons"]["year_over_year"]["mediated"] == 0


@pytest.mark.usefixtures("worked")
async def test_scope_filters_and_roles(client, world) -> None:
    period = _period()
    lc = await client.get(
        "/api/v1/reports/statistics", params=period, headers=await login(client, world, "lc_sfs")
    )
    assert lc.status_code == 200 and lc.json()["people_mediation"]["mediated"] == 3
    dt = await client.get(
        "/api/v1/reports/statistics", params=period, headers=await login(client, world, "dt_sfs")
    )
    assert dt.status_code == 200 and dt.json()["people_mediation"]["mediated"] == 0
    other = await client.get(
        "/api/v1/reports/statistics",
        params={**period, "town": "LY-LC"},
        headers=await login(client, world, "dt_sfs"),
    )
    assert other.status_code == 404
    mediator = await client.get(
        "/api/v1/reports/statistics", params=period, headers=await login(client, world, "lc_v01")
    )
    assert mediator.status_code in (403, 404)
    one = await client.get(
        "/api/v1/reports/statistics",
        params={**period, "organization": "LY-LC-STN"},
        headers=await login(client, world, "bureau"),
    )
    assert one.json()["people_mediation"]["mediated"] == 1
    bad = await client.get(
        "/api/v1/reports/statistics",
        params={**period, "town": "NOPE"},
        headers=await login(client, world, "bureau"),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "town.unknown"


@pytest.mark.usefixtures("worked")
async def test_the_workbook_reads_back_with_numbers_as_numbers(client, world) -> None:
    r = await client.get(
        "/api/v1/reports/statistics",
        params={**_period(), "format": "xlsx"},
        headers=await login(client, world, "bureau"),
    )
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[:4] == [
        "人民调解（按组织）",
        "人民调解（按类别）",
        "人民调解（按镇街）",
        "人民调解（按层级）",
    ]
    assert "行政复议" in book.sheetnames and "汇总" in book.sheetnames
    dispatch = list(book["平台分派"].iter_rows(min_row=3, values_only=True))
    assert dispatch[0] == (1.0, 5, 5)
    assert book["法院分中心"]["A2"].value == "化解数"
    rows = list(book["人民调解（按组织）"].iter_rows(min_row=2, values_only=True))
    assert rows[0][:5] == ("组织代码", "组织名称", "层级", "调解案件数", "调解成功数")
    by_code = {row[0]: row for row in rows[1:]}
    assert by_code["LY-LC-V01"][3:9] == (2, 1, 0, 0, 1, 0.5)
    assert by_code["合计"][3:5] == (4, 1) and by_code["合计"][9:11] == (1, 3)
    review = list(book["行政复议"].iter_rows(min_row=2, values_only=True))
    assert review[0][:4] == ("收到申请", "受理", "审结", "撤销")
    assert review[1][:4] == (1, 1, 1, 1)


@pytest.mark.usefixtures("worked")
async def test_the_csv_is_the_people_mediation_table(client, world) -> None:
    r = await client.get(
        "/api/v1/reports/statistics",
        params={**_period(), "format": "csv"},
        headers=await login(client, world, "bureau"),
    )
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "组织代码" and rows[-1][0] == "合计"
    assert rows[-1][3] == "4"


@pytest.mark.usefixtures("worked")
async def test_the_narrative_as_text_and_json(client, world) -> None:
    year = datetime.now(SHANGHAI).year
    headers = await login(client, world, "bureau")
    r = await client.get("/api/v1/reports/narrative", params={"year": year}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith("全市共化解矛盾纠纷1件，100.0%的矛盾纠纷")
    assert "共收到行政复议申请1件，受理1件，审结1件，其中，撤销1件，行政复议直接纠错率为100.0%" in r.text
    j = await client.get(
        "/api/v1/reports/narrative", params={"year": year}, headers={**headers, "Accept": "application/json"}
    )
    assert j.json() == {"text": r.text}
    town = await client.get(
        "/api/v1/reports/narrative", params={"year": year}, headers=await login(client, world, "lc_sfs")
    )
    assert town.text.startswith("溧城街道共化解矛盾纠纷1件")


async def test_the_intake_form_offers_sub_categories_and_the_source(client, world) -> None:
    assert (await web_login(client, "lc_v01")).status_code == 303
    page = await client.get("/m/cases/new")
    assert page.status_code == 200
    html = page.text
    assert (
        '<optgroup label="合同"><option value="contract">合同（不细分）</option>'
        '<option value="debt">合同／民间借贷</option>' in html
    )
    assert '<option value="land_acquisition">征地拆迁</option>' in html
    assert (
        '<option value="referred">委托移送</option>' in html
        and '<option value="procuratorate">检察院</option>' in html
    )
    assert 'value="administrative"' not in html


async def test_intake_records_the_source_and_checks_the_referrer(client, world) -> None:
    headers = await login(client, world, "lc_v01")
    case = await _case(client, world, "lc_v01", category="tourism", source="referred", referred_by="court")
    assert (case["category"], case["source"], case["referred_by"]) == ("tourism", "referred", "court")
    assert case["current_organization"]["code"] == "LY-SP-CONSUMER"
    r = await client.post("/api/v1/cases", json=case_body(source="referred"), headers=headers)
    assert r.status_code == 422 and [e["code"] for e in r.json()["errors"]] == ["referred_by.missing"]
    r = await client.post("/api/v1/cases", json=case_body(referred_by="police"), headers=headers)
    assert [e["code"] for e in r.json()["errors"]] == ["referred_by.not_referred"]
    r = await client.post("/api/v1/cases", json=case_body(category="administrative"), headers=headers)
    assert [e["code"] for e in r.json()["errors"]] == ["category.unknown"]


@pytest.mark.usefixtures("worked")
async def test_the_statistics_page_shows_the_tables_and_the_paragraph(client, world) -> None:
    assert (await web_login(client, "bureau")).status_code == 303
    page = await client.get("/s/statistics")
    assert page.status_code == 200
    html = page.text
    assert "矛盾纠纷化解统计 · 全市" in html
    assert '<p id="paragraph" class="stats-paragraph">全市共化解矛盾纠纷1件，' in html
    assert '<th scope="row">合同／民间借贷</th><td>1</td><td>0</td><td>1</td>' in html
    assert "复制段落" in html and asset_url("statistics.js") in html
    town = await client.get("/s/statistics", params={"town": "LY-LC"})
    assert "矛盾纠纷化解统计 · 溧城街道" in town.text


async def test_the_statistics_page_is_for_supervisors(client, world) -> None:
    assert (await web_login(client, "lc_v01")).status_code == 303
    assert (await client.get("/s/statistics")).status_code == 404


async def test_judicial_confirmation_requests_and_answers_are_counted(client, world) -> None:
    from tests.api.test_confirmation import CASE_NUMBER, answer, request, settled, today

    v01 = await login(client, world, "lc_v01")
    confirmed = (await request(client, v01, await settled(client, world))).json()
    r = await answer(
        client,
        world,
        confirmed,
        decision="confirmed",
        court_case_number=CASE_NUMBER,
        decided_on=today().isoformat(),
    )
    assert r.status_code == 200, r.text
    refused = (await request(client, v01, await settled(client, world))).json()
    r = await answer(
        client, world, refused, decision="refused", reason="协议违法", decided_on=today().isoformat()
    )
    assert r.status_code == 200, r.text
    await request(client, v01, await settled(client, world))  # still awaiting the court
    r = await client.get(
        "/api/v1/reports/statistics", params=_period(), headers=await login(client, world, "bureau")
    )
    assert r.json()["court_subcenter"]["judicial_confirmation"] == {
        "requested": 3,
        "confirmed": 1,
        "refused": 1,
    }
