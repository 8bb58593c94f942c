"""Working a case on the phone (#12): the inbox, every lifecycle action, conflicts and double taps."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from app.models import CaseEvent
from app.web.labels import category_label
from tests.browser.phone import fill_case, screenshot, serious_violations, sign_in, submit
from tests.support import act, case_body, login

pytestmark = pytest.mark.browser


async def events_of_type(app, event_type: str) -> int:
    async with app.state.ctx.sessionmaker() as session:
        stmt = select(func.count()).select_from(CaseEvent).where(CaseEvent.type == event_type)
        return int((await session.execute(stmt)).scalar_one())


async def api_case(client, world, username="lc_v01", **overrides):
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, username)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def open_case(page, reference: str) -> None:
    await page.goto("/m/?q=" + reference)
    await page.get_by_role("link", name=reference).click()
    await page.wait_for_url("**/m/cases/*")


async def test_a_village_committee_works_its_own_case_from_intake_to_follow_up(page, app, artifacts):
    await sign_in(page, "lc_v01")
    await fill_case(page)
    await submit(page)
    await page.locator("#result").wait_for(state="visible")
    reference = (await page.locator("#r-reference").inner_text()).strip()

    # The village-default rule sent it back to the committee: it waits in 待受理.
    await page.goto("/m/")
    await expect(page.locator("#tab-incoming")).to_have_attribute("aria-current", "page")
    await expect(page.locator("#tab-incoming .count")).to_have_text("1")
    card = page.locator("#case-list li").first
    await expect(card).to_contain_text(reference)
    await expect(card).to_contain_text(category_label("neighbour"))
    await expect(card).to_contain_text("八字桥社区")
    await expect(card).not_to_contain_text("人民调解委员会")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-inbox")

    await card.locator("a").click()
    await page.wait_for_url("**/m/cases/*")
    await expect(page.locator(".timeline")).to_contain_text("系统自动分派 → 八字桥社区人民调解委员会")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-incoming", at="h1")
    await page.get_by_role("button", name="受理").click()
    await expect(page.locator("#case-status")).to_have_text("调解中")
    await expect(page.locator("#action-state")).to_have_text("已受理。")

    await page.locator("#box-outcome summary").click()
    await page.select_option("#outcome-outcome", "settled")
    await page.get_by_label("书面协议").check()
    await page.fill("#outcome-agreed_amount", "80000")
    await page.get_by_label("已履行").first.check()
    await page.fill("#outcome-note", "双方当场签订协议。")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-outcome", at="#work-title")
    await page.get_by_role("button", name="保存调解结果").click()
    await expect(page.locator("#case-status")).to_contain_text("已办结（调解成功）")
    agreement = page.locator("#agreement")
    await expect(agreement).to_contain_text("书面协议")
    await expect(agreement).to_contain_text("80,000.00 元")
    await expect(agreement).to_contain_text("已履行")
    await expect(agreement).to_contain_text("前申请")

    await page.locator("#box-close summary").click()
    await page.fill("#close-visited_on", "2026-12-01")
    await page.locator("#box-close").get_by_label("已履行").check()
    await page.fill("#close-follow_up_note", "回访：协议已履行，双方关系和睦。")
    await screenshot(page, artifacts, "m-case-close", at="#agreement")
    await page.get_by_role("button", name="回访结案").click()
    await expect(page.locator("#case-status")).to_contain_text("已归档")
    await expect(page.locator(".timeline")).to_contain_text("回访日期 2026-12-01，协议已履行")
    # Closed: what remains is the parties' right to judicial confirmation of the written agreement.
    offered = await page.locator("form.act").evaluate_all("fs => fs.map(f => f.dataset.action)")
    assert offered == ["request_confirmation"]
    await page.goto("/m/?tab=done")
    await expect(page.locator("#case-list")).to_contain_text(reference)


async def test_a_town_station_declines_with_a_reason_and_the_case_waits_for_dispatch(
    page, client, world, app, artifacts
):
    # Over the village's amount threshold: routed to the town station.
    case = await api_case(client, world, claim_amount="80000.00")
    assert case["current_organization"]["code"] == "LY-LC-STN", case["routing"]
    await sign_in(page, "lc_stn")
    await open_case(page, case["reference"])
    await expect(page.locator(".explain")).not_to_contain_text("town-threshold")
    await page.locator("#box-decline summary").click()
    await page.get_by_role("button", name="确认退回").click()
    await expect(page.locator("#decline-err-reason")).to_contain_text("退回理由")
    await page.get_by_label("不属于本组织受理范围").check()
    await page.fill("#decline-reason_text", "涉及跨镇土地，请司法所另行分派")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-decline", at="#work-title")
    await page.get_by_role("button", name="确认退回").click()
    await page.wait_for_url("**done=decline")
    # Back to 待分派 with nobody holding it (the decliner is skipped; nobody else qualifies at once).
    r = await client.get(f"/api/v1/cases/{case['id']}", headers=await login(client, world, "lc_sfs"))
    after = r.json()
    assert after["status"] == "pending_dispatch" and after["current_organization"] is None
    await expect(page.locator("#holder")).to_have_text("待分派")
    await expect(page.locator(".timeline")).to_contain_text("不属于本组织受理范围；涉及跨镇土地")
    # The station no longer has it to act on.
    assert await page.locator("form.act").count() == 0


async def test_two_browsers_the_second_gets_the_conflict_message_and_nothing_changes_twice(
    browser, live_server, page, client, world, app, artifacts
):
    from tests.browser.conftest import PHONE

    case = await api_case(client, world)
    await sign_in(page, "lc_v01")
    await open_case(page, case["reference"])
    other_ctx = await browser.new_context(base_url=live_server, **PHONE)
    try:
        other = await other_ctx.new_page()
        await sign_in(other, "lc_v01")
        await open_case(other, case["reference"])
        await other.get_by_role("button", name="受理").click()
        await expect(other.locator("#case-status")).to_have_text("调解中")
    finally:
        await other_ctx.close()
    await page.get_by_role("button", name="受理").click()
    conflict = page.locator("#conflict")
    await expect(conflict).to_be_visible()
    await expect(conflict).to_contain_text("案件已被他人更新，请刷新后重试")
    await expect(page.locator("#conflict-state")).to_contain_text("调解中")
    await expect(page.locator("#case-status")).to_have_text("调解中")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-conflict", at="h1")
    assert await events_of_type(app, "case.accepted") == 1


async def test_double_tapping_accept_makes_one_transition(page, client, world, app):
    case = await api_case(client, world)
    await sign_in(page, "lc_v01")
    await open_case(page, case["reference"])
    release = asyncio.Event()
    posts: list[str | None] = []

    async def slow(route):
        if route.request.method == "POST":
            posts.append(route.request.headers.get("idempotency-key"))
            await release.wait()
        await route.continue_()

    await page.route("**/api/v1/cases/*/accept", slow)
    button = page.locator("#do-accept")
    await button.tap()
    await expect(button).to_have_text("提交中…")
    await button.dispatch_event("click")  # the second tap lands on a disabled, busy form
    await page.evaluate("document.querySelector('form.act').requestSubmit()")
    release.set()
    await expect(page.locator("#case-status")).to_have_text("调解中")
    assert len(posts) == 1 and posts[0]
    assert await events_of_type(app, "case.accepted") == 1


async def test_a_failed_send_keeps_what_was_typed_and_the_resend_reuses_the_key(page, client, world, app):
    case = await api_case(client, world)
    headers = await login(client, world, "lc_v01")
    case = (await act(client, headers, case, "accept")).json()
    await sign_in(page, "lc_v01")
    await open_case(page, case["reference"])
    keys: list[str | None] = []

    async def lose_first(route):
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    await page.route("**/api/v1/cases/*/escalate", lose_first)
    await page.locator("#box-escalate summary").click()
    await expect(page.locator("#escalate-to")).to_contain_text("镇（街道）")
    await page.fill("#escalate-reason", "双方分歧较大，村调委会调解不成")
    await page.get_by_role("button", name="确认上交").click()
    await expect(page.locator("#box-escalate .form-err")).to_contain_text("网络不通")
    assert await page.input_value("#escalate-reason") == "双方分歧较大，村调委会调解不成"
    await page.get_by_role("button", name="确认上交").click()
    await page.wait_for_url("**done=escalate")
    assert len(keys) == 2 and keys[0] == keys[1]
    assert await events_of_type(app, "case.escalated") == 1


async def test_after_an_offline_submit_the_waiting_message_has_focus_and_is_in_view(page, context):
    await sign_in(page, "lc_v01")
    await fill_case(page)
    await context.set_offline(True)
    await submit(page)
    state = page.locator("#state")
    await expect(state).to_contain_text("待发送")
    assert await page.evaluate("document.activeElement.id") == "state"
    box = await state.bounding_box()
    viewport = page.viewport_size
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    await context.set_offline(False)


async def test_a_supervisor_reads_the_case_and_its_pages_pass_axe_at_360_px(page, client, world, artifacts):
    case = await api_case(client, world)
    await sign_in(page, "lc_sfs")
    await expect(page.locator("main")).not_to_contain_text("登记新纠纷")
    await open_case(page, case["reference"])
    # The town's justice office supervises: it may withdraw, not accept on the committee's behalf.
    offered = await page.locator("form.act").evaluate_all("fs => fs.map(f => f.dataset.action)")
    assert "accept" not in offered and "decline" not in offered
    assert await serious_violations(page) == []
    await page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/m/", f"/m/cases/{case['id']}", "/m/?q=" + case["reference"]):
        await page.goto(path)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert await serious_violations(page) == [], path


async def test_the_mediation_period_is_extended_once_and_the_cards_show_the_running_clock(
    page, client, world
):
    case = await api_case(client, world)
    await sign_in(page, "lc_v01")
    await expect(page.locator("#case-list")).to_contain_text("受理期限")
    headers = await login(client, world, "lc_v01")
    await act(client, headers, case, "accept")
    await page.goto("/m/?tab=mediating")
    await expect(page.locator("#case-list")).to_contain_text("调解期限")
    await open_case(page, case["reference"])
    before = await page.locator("#clock").inner_text()
    await page.locator("#box-extend summary").click()
    await page.fill("#extend-days", "15")
    await page.get_by_role("button", name="确认延期").click()
    await page.wait_for_url("**done=extend")
    await expect(page.locator("#clock")).to_contain_text("已延期 15 天")
    assert await page.locator("#clock").inner_text() != before
    await expect(page.locator(".timeline")).to_contain_text("延期调解")
    # Once only: a second try is refused, said on the form, and nothing is lost.
    await page.locator("#box-extend summary").click()
    await page.get_by_role("button", name="确认延期").click()
    await expect(page.locator("#box-extend .form-err")).to_contain_text("已延期过一次")
