"""First login in headless Chromium at a phone's size: the forced password change, then the banner."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from app.auth.admin import create_user
from app.db import session_scope
from app.models import Role
from tests.browser.phone import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser

ONE_TIME = "Given-by-admin-1"
OWN = "Mein-eigenes-2026"


async def test_first_login_forces_a_password_change_then_reaches_my_cases(page, app, artifacts):
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await create_user(s, "new_med", Role.MEDIATOR, "LY-LC-V03", ONE_TIME)
    await page.goto("/m/login")
    await page.get_by_label("用户名").fill("new_med")
    await page.get_by_label("密码").fill(ONE_TIME)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/m/password")
    await expect(page.locator(".notice")).to_contain_text("请先设置")
    assert await page.get_by_role("link", name="我的案件").count() == 0
    await screenshot(page, artifacts, "m-password")
    assert await serious_violations(page) == []

    # Another page is out of reach until the change is done.
    await page.goto("/m/cases/new")
    await page.wait_for_url("**/m/password")

    await page.get_by_label("当前密码").fill(ONE_TIME)
    await page.get_by_label("新密码", exact=True).fill("abcdefghijkl")
    await page.get_by_label("再次输入新密码").fill("abcdefghijkl")
    await page.get_by_role("button", name="保存新密码").click()
    await expect(page.locator("#err-new_password")).to_contain_text("至少两类")
    assert await page.locator("#new_password").get_attribute("aria-invalid") == "true"

    await page.get_by_label("当前密码").fill(ONE_TIME)
    await page.get_by_label("新密码", exact=True).fill(OWN)
    await page.get_by_label("再次输入新密码").fill(OWN)
    await page.get_by_role("button", name="保存新密码").click()
    await page.wait_for_url("**/m/?password=changed")
    await expect(page.get_by_role("status")).to_contain_text("密码已修改")
    await expect(page.get_by_role("heading", name="我的案件")).to_be_visible()

    # The new password is the one that signs in from now on.
    await page.get_by_role("button", name="退出登录").click()
    await page.wait_for_url("**/m/login")
    await page.get_by_label("用户名").fill("new_med")
    await page.get_by_label("密码").fill(OWN)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/m/")


async def test_the_banner_names_the_person_and_signs_out(page, artifacts):
    await sign_in(page, "lc_v01")
    who = page.locator("#who")
    await expect(who).to_contain_text("lc_v01")
    await expect(who).to_contain_text("八字桥社区人民调解委员会")
    box = await who.bounding_box()
    assert box is not None and box["width"] <= 390  # fits the phone, no sideways scrolling
    await page.get_by_role("link", name="修改密码").click()
    await page.wait_for_url("**/m/password")
    await expect(page.locator("#who")).to_contain_text("lc_v01")
    await page.get_by_role("button", name="退出登录").click()
    await page.wait_for_url("**/m/login")
    await page.goto("/m/")
    await page.wait_for_url("**/m/login")
