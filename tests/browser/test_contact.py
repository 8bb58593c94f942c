"""Contact with the parties, possible duplicates and landlines, on the phone (#12 §3, §5)."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.async_api import expect

from tests.browser.phone import case_count, fill_case, screenshot, serious_violations, sign_in, submit
from tests.browser.test_case_work import api_case, open_case
from tests.support import act, login

pytestmark = pytest.mark.browser


async def test_a_reveal_is_logged_for_the_supervisor_and_everyone_else_still_sees_masks(
    page, client, world, artifacts
):
    case = await api_case(client, world)  # held by the registering committee (village-default)
    await sign_in(page, "lc_v01")
    await open_case(page, case["reference"])
    parties = page.locator("#parties")
    await expect(parties).to_contain_text("138****8000")
    await expect(parties).not_to_contain_text("13800138000")
    await page.get_by_role("button", name="查看联系方式").click()
    revealed = page.locator("#revealed")
    await expect(revealed).to_contain_text("13800138000")
    await expect(revealed).to_contain_text("溧城街道八字桥社区12号")
    assert await revealed.locator('a[href="tel:13800138000"]').count() == 1
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-contact", at="#parties")

    # The town's justice office reads who looked, and sees the parties masked like everyone else.
    await page.context.clear_cookies()
    await sign_in(page, "lc_sfs")
    await open_case(page, case["reference"])
    await expect(page.locator("#contact-log")).to_contain_text("lc_v01")
    await expect(page.locator("#contact-log")).to_contain_text("电话")
    assert await page.get_by_role("button", name="查看联系方式").count() == 0
    await expect(page.locator("main")).not_to_contain_text("13800138000")
    await screenshot(page, artifacts, "m-case-contact-log", at="#log-title")


async def test_a_possible_duplicate_asks_before_registering(page, client, world, app, artifacts):
    first = await api_case(client, world)  # the same applicant ID number as fill_case types
    await sign_in(page, "lc_v01")
    await fill_case(page)
    await submit(page)
    dialog = page.locator("#duplicate")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text(first["reference"])
    await expect(dialog).to_contain_text("仍然登记？")
    assert await page.evaluate("document.activeElement.id") == "duplicate"
    assert await case_count(app) == 1
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-new-case-duplicate", at="#duplicate")
    await page.get_by_role("button", name="仍然登记").click()
    await page.locator("#result").wait_for(state="visible")
    assert await case_count(app) == 2


async def test_a_landline_is_accepted_and_masked(page, app):
    await sign_in(page, "lc_v01")
    await fill_case(page)
    await page.fill("#p1-phone", "0519-87654321")
    await submit(page)
    await page.locator("#result").wait_for(state="visible")
    await page.locator("#r-link").click()
    await page.wait_for_url("**/m/cases/*")
    parties = page.locator("#parties")
    await expect(parties).to_contain_text("0519****4321")
    await expect(parties).not_to_contain_text("87654321")


async def test_a_confirmation_request_reaches_the_court_and_its_answer_shows_on_the_case(
    page, client, world, artifacts
):
    from tests.api.test_feed import court, pull_all

    case = await api_case(client, world)
    v01 = await login(client, world, "lc_v01")
    case = (await act(client, v01, case, "accept")).json()
    r = await act(
        client, v01, case, "outcome", outcome="settled", agreement_type="written", agreed_amount="2500"
    )
    assert r.status_code == 200, r.text
    await sign_in(page, "lc_v01")
    await open_case(page, case["reference"])
    await page.get_by_role("button", name="申请司法确认").click()
    await page.wait_for_url("**done=request_confirmation")
    await expect(page.locator("#confirmation")).to_contain_text("已申请司法确认，待法院答复")
    assert await page.get_by_role("button", name="申请司法确认").count() == 0

    items, _ = await pull_all(client, world, expect=1)
    (item,) = [i for i in items if i["case"]["id"] == case["id"]]
    assert item["type"] == "case.confirmation_requested"
    assert item["case"]["parties"][0]["phone"] == "13800138000"  # the court serves the parties
    r = await client.post(
        f"/api/v1/court/cases/{case['id']}/confirmation",
        json={
            "decision": "confirmed",
            "court_case_number": "(2026)苏0481民特123号",
            "decided_on": date.today().isoformat(),
        },
        headers=court(world),
    )
    assert r.status_code == 200, r.text
    await page.reload()
    confirmation = page.locator("#confirmation")
    await expect(confirmation).to_contain_text("确认有效")
    await expect(confirmation).to_contain_text("(2026)苏0481民特123号")
    await expect(page.locator(".timeline")).to_contain_text("法院答复司法确认")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-confirmed", at="#agreement")
