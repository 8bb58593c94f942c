"""The supervisors' workspace end to end in headless Chromium at 1366×768 (zh-CN): tiles equal the API's,
charts draw the API's series, 分派 from the queue, 督办 and its answer, the Excel export read back."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import expect

from app.calendar.service import forget_cached_calendar
from app.calendar.workdays import SHANGHAI
from app.db import utcnow
from tests.browser.conftest import PHONE
from tests.browser.phone import screenshot, serious_violations
from tests.sla_support import dispatched_case, pending_case, restart, run_sweep, set_due
from tests.support import PASSWORD, case_body, login

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"


@pytest.fixture(autouse=True)
def _fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


@pytest.fixture
async def desk(browser: Any, live_server: str):
    ctx = await browser.new_context(base_url=live_server, **DESKTOP)
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


async def open_as(ctx: Any, username: str, path: str = "/s/") -> Any:
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    await page.goto("/m/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()
    await page.goto(path)
    return page


async def shot(page: Any, artifacts: Path, name: str, keep: bool = True) -> None:
    await screenshot(page, artifacts, name)
    if keep:
        SCREENSHOTS.mkdir(exist_ok=True)
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


async def no_serious_violations(page: Any) -> None:
    assert await serious_violations(page) == [], page.url


async def some_cases(client, world, app) -> list[dict]:
    """Two pending LY-LC cases (one breached), a pending LY-DT case, an auto-dispatched LY-LC one."""
    lc = [await pending_case(client, world, app) for _ in range(2)]
    await restart(app, lc[0]["id"], utcnow() - timedelta(days=12))
    await client.post(
        "/api/v1/cases", json=case_body(category="labour"), headers=await login(client, world, "dt_v01")
    )
    await client.post("/api/v1/cases", json=case_body(), headers=await login(client, world, "lc_v02"))
    await run_sweep(app, utcnow())
    return lc


CHART_SERIES = """el => {
  const option = echarts.getInstanceByDom(el).getOption();
  return {canvas: !!el.querySelector('canvas'), series: option.series.map(s => s.data)};
}"""


async def test_a_town_supervisor_sees_their_towns_tiles_and_charts_as_the_api_says(
    desk, client, world, app, artifacts
):
    await some_cases(client, world, app)
    page = await open_as(desk, "lc_sfs")
    api = await page.request.get("/api/v1/workspace/overview")
    overview = await api.json()
    assert overview["scope"]["code"] == "LY-LC"
    await expect(page.locator('[data-count="pending"]')).to_have_text(str(overview["pending"]))
    await expect(page.locator('[data-count="due_today"]')).to_have_text(str(overview["due_today"]))
    dispatch = overview["clocks"][0]
    await expect(page.locator('[data-count="at_risk_dispatch"]')).to_have_text(str(dispatch["at_risk"]))
    await expect(page.locator('[data-count="open_breaches_dispatch"]')).to_have_text(
        str(dispatch["open_breaches"])
    )
    city = await (await page.request.get("/api/v1/workspace/overview", headers={})).json()
    assert city["pending"] == 2  # the other town's pending case is not counted

    for chart_id, src in [
        ("chart-daily", "/api/v1/workspace/charts/daily?days=90"),
        ("chart-weekly", "/api/v1/workspace/charts/on-time-weekly?weeks=13"),
        ("chart-places", "/api/v1/workspace/charts/open-cases"),
        ("chart-categories", "/api/v1/workspace/charts/categories?days=90"),
    ]:
        chart = page.locator(f"#{chart_id}")
        await expect(chart).to_have_attribute("data-ready", "1")
        drawn = await chart.evaluate(CHART_SERIES)
        data = await (await page.request.get(src)).json()
        assert drawn["canvas"], chart_id
        if chart_id == "chart-daily":
            assert drawn["series"] == [data["registrations"], data["resolutions"]]
        elif chart_id == "chart-weekly":
            assert drawn["series"] == [data["on_time_rate"]]
        elif chart_id == "chart-places":
            assert drawn["series"] == [[i["count"] for i in data["items"]]]
            assert "待分派" in [i["name"] for i in data["items"]]
        else:
            assert [d["value"] for d in drawn["series"][0]] == [i["count"] for i in data["items"]]
    await no_serious_violations(page)
    await shot(page, artifacts, "s-home")
    assert page.js_errors == []


async def test_they_dispatch_from_the_queue_and_the_case_leaves_it(desk, client, world, app, artifacts):
    lc = await some_cases(client, world, app)
    page = await open_as(desk, "lc_sfs", "/s/queue")
    row = page.locator(f"#q-{lc[0]['id']}")
    await expect(row).to_contain_text(lc[0]["reference"])
    await expect(page.locator(".queue-row")).to_have_count(2)  # LY-DT's case is not in this queue
    await no_serious_violations(page)
    await shot(page, artifacts, "s-queue")
    options = await row.locator("select[name=organization_code] option").all_text_contents()
    assert not any("东塔" in o for o in options)  # another town's organizations are not offered
    await row.locator("details summary").click()
    await row.locator("select[name=organization_code]").select_option("LY-LC-STN")
    await row.locator("input[name=note]").fill("村调委会停用，改由镇调委会办理。")
    await row.get_by_role("button", name="分派", exact=True).click()
    await expect(row).to_have_count(0)
    await expect(page.locator("#flash")).to_contain_text(lc[0]["reference"])
    queue = await (await page.request.get("/api/v1/workspace/queue")).json()
    assert [i["reference"] for i in queue["items"]] == [lc[1]["reference"]]
    case = await (await page.request.get(f"/api/v1/cases/{lc[0]['id']}")).json()
    assert case["status"] == "dispatched" and case["current_organization"]["code"] == "LY-LC-STN"
    assert page.js_errors == []


async def test_the_bureau_urges_a_breached_case_and_the_holder_answers(
    desk, browser, live_server, client, world, app, artifacts
):
    lc = await some_cases(client, world, app)
    bureau = await open_as(desk, "bureau", f"/s/cases/{lc[0]['id']}")
    await bureau.fill("#urge-note", "分派已超期，请今日分派并报告原因。")
    await bureau.fill("#urge-by", (utcnow().astimezone(SHANGHAI).date() + timedelta(days=2)).isoformat())
    await bureau.get_by_role("button", name="督办", exact=True).click()
    await expect(bureau.locator(".urges .urge")).to_have_count(1)
    await expect(bureau.locator(".urges .urge")).to_contain_text("待答复")
    await no_serious_violations(bureau)
    await shot(bureau, artifacts, "s-case")

    holder_ctx = await browser.new_context(base_url=live_server, **DESKTOP)
    try:
        holder = await open_as(holder_ctx, "lc_sfs", "/s/urges")
        item = holder.locator(".urge").first
        await expect(item).to_contain_text("分派已超期，请今日分派并报告原因。")
        await no_serious_violations(holder)
        await shot(holder, artifacts, "s-urges")
        await item.locator("textarea").fill("已联系镇调委会，今日分派。")
        await item.get_by_role("button", name="提交答复").click()
        await expect(holder.locator(".urge").first).to_contain_text("已答复")
        await expect(holder.locator(".urge").first).to_contain_text("已联系镇调委会，今日分派。")
    finally:
        await holder_ctx.close()
    urges = await (await bureau.request.get("/api/v1/urges")).json()
    assert [u["status"] for u in urges["items"]] == ["answered"]
    events = await (await bureau.request.get(f"/api/v1/cases/{lc[0]['id']}/events")).json()
    assert {"case.urged", "case.urge_answered"} <= {e["type"] for e in events["items"]}


async def test_the_bureau_exports_breaches_to_xlsx(desk, client, world, app, artifacts):
    cases = [await pending_case(client, world, app) for _ in range(3)]
    for n, c in enumerate(cases):
        await restart(app, c["id"], datetime(2026, 3, 2 + n, 9, tzinfo=SHANGHAI))
    await run_sweep(app, utcnow())
    page = await open_as(desk, "bureau", "/s/sla?list=breaches&state=open")
    await expect(page.locator("#breaches tbody tr")).to_have_count(3)
    await no_serious_violations(page)
    await shot(page, artifacts, "s-breaches")
    async with page.expect_download() as info:
        await page.click("#export-xlsx")
    download = await info.value
    body = Path(await download.path()).read_bytes()  # noqa: ASYNC240 - a small local file, in a test
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    api = await (await page.request.get("/api/v1/sla/breaches?state=open")).json()
    assert rows[0][0] == "案件编号" and rows[0][8] == "期限" and sheet.freeze_panes == "A2"
    assert [r[0] for r in rows[1:]] == [b["reference"] for b in api["items"]]
    for row, b in zip(rows[1:], api["items"], strict=True):
        assert isinstance(row[8], datetime)
        assert row[8] == datetime.fromisoformat(b["due_at"]).astimezone(SHANGHAI).replace(tzinfo=None)
    assert page.js_errors == []


async def test_the_rates_page_and_a_phone(desk, browser, live_server, client, world, app, artifacts):
    await some_cases(client, world, app)
    page = await open_as(desk, "bureau", "/s/rates")
    await expect(page.locator("#rates tr.total")).to_contain_text("合计")
    await no_serious_violations(page)
    await shot(page, artifacts, "s-rates")
    phone_ctx = await browser.new_context(base_url=live_server, **PHONE)
    try:
        phone = await open_as(phone_ctx, "lc_sfs")
        await expect(phone.locator("#chart-daily")).to_have_attribute("data-ready", "1")
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # one column: nothing runs off the screen
        await no_serious_violations(phone)
        await shot(phone, artifacts, "s-home-phone")
    finally:
        await phone_ctx.close()


async def test_a_town_office_urges_the_committee_which_answers_from_its_inbox(
    desk, context, client, world, app, artifacts
):
    """The holder is a mediators' organization: the badge in its /m/ inbox, the note on the case, the
    answer (a plain form) closes the 督办."""
    case = await dispatched_case(client, world)  # held by LY-LC-V01, its acceptance clock running
    await set_due(app, case["id"], utcnow() - timedelta(hours=2))
    await run_sweep(app, utcnow())
    office = await open_as(desk, "lc_sfs", f"/s/cases/{case['id']}")
    await office.fill("#urge-note", "受理已超期，请今日受理。")
    await office.get_by_role("button", name="督办", exact=True).click()
    await expect(office.locator(".urges .urge")).to_contain_text("受理期限")

    committee = await context.new_page()  # a phone
    await committee.goto("/m/login")
    await committee.get_by_label("用户名").fill("lc_v01")
    await committee.get_by_label("密码").fill(PASSWORD)
    await committee.get_by_role("button", name="登录").click()
    await committee.wait_for_url("**/m/")
    badge = committee.locator(f'a[href="/m/cases/{case["id"]}"] .urge-badge')
    await expect(badge).to_have_text("督办")
    await shot(committee, artifacts, "m-urge-badge")
    await committee.click(f'a[href="/m/cases/{case["id"]}"]')
    await expect(committee.locator("#urge")).to_contain_text("受理已超期，请今日受理。")
    await no_serious_violations(committee)
    await committee.fill("#urge-answer", "已受理，今日联系双方。")
    await committee.get_by_role("button", name="提交答复").click()
    await expect(committee.locator(".notice[role=status]")).to_contain_text("督办已答复")
    await expect(committee.locator("#urge")).to_have_count(0)
    urges = await (await office.request.get(f"/api/v1/cases/{case['id']}/urges")).json()
    assert [(u["status"], u["answer_note"]) for u in urges] == [("answered", "已受理，今日联系双方。")]
