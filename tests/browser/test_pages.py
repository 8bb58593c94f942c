"""The mediators' pages end to end in headless Chromium at a phone's size (390×844, touch, zh-CN)."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from app.auth.sessions import SESSION_COOKIE
from app.pii.identity import resident_id_check_char
from tests.browser.phone import (
    case_count,
    fill_case,
    screenshot,
    serious_violations,
    sign_in,
    submit,
)

pytestmark = pytest.mark.browser


def wrong_check_digit(first17: str) -> str:
    right = resident_id_check_char(first17)
    return first17 + ("1" if right != "1" else "2")


async def test_sign_in_register_a_case_and_see_its_number(page, app, artifacts):
    await sign_in(page)
    cookie = next(c for c in await page.context.cookies() if c["name"] == SESSION_COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    await fill_case(page)
    await submit(page)
    result = page.locator("#result")
    await result.wait_for(state="visible")
    reference = (await page.locator("#r-reference").inner_text()).strip()
    assert reference.startswith("LY-")
    assert await page.locator("#r-organization").inner_text()
    assert await page.locator("#r-due").inner_text()
    assert await case_count(app) == 1
    # The draft is gone from the phone once the case exists.
    drafts = await page.evaluate("localStorage.getItem('jiefen.drafts.v1')")
    assert reference not in (drafts or "") and "张三" not in (drafts or "")
    await page.goto("/m/")
    assert reference in await page.locator("main").inner_text()
    await page.get_by_role("link", name=reference).click()
    await page.wait_for_url("**/m/cases/*")
    assert "登记" in await page.locator(".timeline").inner_text()


async def test_a_bad_id_number_is_explained_beside_its_field(page, app):
    await sign_in(page)
    await fill_case(page, applicant_id=wrong_check_digit("32048119800517001"))
    field = page.locator("#p0-id_number")
    before = await page.evaluate("document.querySelector('#summary').getBoundingClientRect().top + scrollY")
    await submit(page)
    error = page.locator("#err-parties-0-id_number")
    await expect(error).to_contain_text("校验位")
    assert await field.get_attribute("aria-invalid") == "true"
    after = await page.evaluate("document.querySelector('#summary').getBoundingClientRect().top + scrollY")
    assert after == before, "the error line's space is reserved: nothing moves"
    assert await case_count(app) == 0

    # A check only the server makes (a birth date in the future) comes back as problem JSON, in Chinese.
    future = "32048120990101001"
    await field.fill(future + resident_id_check_char(future))
    await submit(page)
    await expect(error).to_contain_text("出生日期")
    assert await page.locator("#intake").get_attribute("data-state") == "editing"
    assert await case_count(app) == 0


async def test_offline_submission_waits_then_is_sent_exactly_once(page, context, app, artifacts):
    await sign_in(page)
    await fill_case(page)
    await context.set_offline(True)
    await submit(page)
    state = page.locator("#state")
    await expect(state).to_contain_text("待发送")
    assert await page.locator("#summary").is_disabled()  # the queued body is final
    await screenshot(page, artifacts, "m-new-case-waiting")
    assert await case_count(app) == 0
    await context.set_offline(False)
    await page.locator("#result").wait_for(state="visible")
    assert await case_count(app) == 1
    await page.wait_for_timeout(1500)  # no later retry sends it again
    assert await case_count(app) == 1


async def test_a_lost_response_is_retried_with_the_same_key_and_resolves_to_the_same_case(page, app):
    seen: list[dict] = []

    async def lose_first_response(route):
        request = route.request
        if request.method != "POST":
            await route.continue_()
            return
        seen.append({"key": request.headers.get("idempotency-key"), "body": request.post_data})
        if len(seen) == 1:
            first = await route.fetch()  # the case is created on the server...
            seen[0]["case"] = json.loads(await first.text())
            await route.abort("connectionreset")  # ...and the answer never reaches the phone
        else:
            await route.continue_()

    await sign_in(page)
    await page.route("**/api/v1/cases", lose_first_response)
    await fill_case(page)
    await submit(page)
    await page.locator("#result").wait_for(state="visible", timeout=15_000)
    assert len(seen) == 2
    assert seen[0]["key"] and seen[0]["key"] == seen[1]["key"] and seen[0]["body"] == seen[1]["body"]
    assert (await page.locator("#r-reference").inner_text()).strip() == seen[0]["case"]["reference"]
    assert await case_count(app) == 1


async def test_a_cookie_post_without_the_csrf_token_is_refused(page, app):
    await sign_in(page)
    answer = await page.evaluate(
        """async () => {
            const r = await fetch('/api/v1/cases', {method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({category: 'other', summary: '没有令牌的请求', parties: []})});
            return {status: r.status, type: r.headers.get('content-type'), body: await r.json()};
        }"""
    )
    assert answer["status"] == 403 and answer["body"]["code"] == "csrf_failed"
    assert answer["type"].startswith("application/problem+json")
    assert await case_count(app) == 0


async def test_a_queued_submission_survives_a_reload(page, app):
    async def unreachable(route):
        await route.abort("addressunreachable") if route.request.method == "POST" else await route.continue_()

    await sign_in(page)
    await page.route("**/api/v1/cases", unreachable)
    await fill_case(page)
    await submit(page)
    state = page.locator("#state")
    await expect(state).to_contain_text("待发送")
    await page.reload()  # or a flat battery: the outbox is on the phone
    await expect(state).to_contain_text("待发送")
    assert await page.input_value("#p0-name") == "张三"
    await page.goto("/m/")
    await expect(page.locator("#outbox-list")).to_contain_text("待发送")
    await page.unroute("**/api/v1/cases")
    await page.evaluate("window.dispatchEvent(new Event('online'))")
    await expect(page.locator("#outbox")).to_be_hidden()
    assert await case_count(app) == 1


async def test_a_reload_mid_typing_keeps_the_draft(page):
    await sign_in(page)
    await page.goto("/m/cases/new")
    await page.fill("#p0-name", "王五")
    await page.get_by_role("button", name="＋ 被申请人").click()
    await page.fill("#p2-name", "赵六")
    await page.select_option("#category", "debt")
    await page.type("#summary", "借款两万元到期未")
    key = await page.evaluate("Object.values(JSON.parse(localStorage['jiefen.drafts.v1']))[0].key")
    await page.reload()
    assert await page.input_value("#p0-name") == "王五"
    assert await page.input_value("#p2-name") == "赵六"
    assert await page.input_value("#category") == "debt"
    assert await page.input_value("#summary") == "借款两万元到期未"
    assert await page.evaluate("Object.values(JSON.parse(localStorage['jiefen.drafts.v1']))[0].key") == key


async def test_every_page_passes_axe_and_is_screenshotted(page, app, artifacts):
    await page.goto("/m/")
    assert page.url.endswith("/m/login")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-login")
    await sign_in(page)
    await fill_case(page)
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-new-case")
    await page.fill("#p0-id_number", wrong_check_digit("32048119800517001"))
    await page.fill("#p1-phone", "1234")
    await submit(page)
    await expect(page.locator("#err-parties-1-phone")).to_contain_text("手机")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-new-case-errors")
    await fill_case(page)
    await submit(page)
    await page.locator("#result").wait_for(state="visible")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-submitted")
    await page.goto("/m/")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-my-cases")
    await page.locator(".cards a").first.click()
    await page.wait_for_url("**/m/cases/*")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-case-detail")
    # Readable at 360 px: nothing wider than the screen.
    await page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/m/", "/m/cases/new"):
        await page.goto(path)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360, path
