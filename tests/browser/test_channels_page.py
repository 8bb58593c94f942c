"""The 通知渠道 page in headless Chromium at a phone's size: an admin adds a channel; axe-core; 360 px."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.phone import screenshot, serious_violations, sign_in

pytestmark = pytest.mark.browser


async def test_an_admin_adds_a_wecom_channel_on_the_phone(page, app, artifacts):
    await sign_in(page, "admin")
    await page.get_by_role("link", name="通知渠道").click()
    await page.wait_for_url("**/m/channels")
    assert await serious_violations(page) == []
    await page.get_by_label("机构代码").fill("LY-LC-SFS")
    await page.get_by_label("地址").fill(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-robot"
    )
    await page.get_by_role("button", name="添加").click()
    await expect(page.get_by_role("status")).to_contain_text("已添加渠道")
    await expect(page.locator(".cards")).to_contain_text("key=693a****")
    assert await serious_violations(page) == []
    await screenshot(page, artifacts, "m-channels")
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.reload()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
