"""What a mediator does on the phone, as Playwright steps; and what the tests check afterwards."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.models import Case
from tests.support import PASSWORD, make_id_number

SERIOUS = {"serious", "critical"}


async def sign_in(page: Any, username: str = "lc_v01") -> None:
    await page.goto("/m/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/m/")


async def fill_case(page: Any, *, applicant_id: str | None = None) -> None:
    """A neighbour dispute with two parties, typed as a mediator would."""
    await page.goto("/m/cases/new")
    await page.fill("#p0-name", "张三")
    await page.fill("#p0-id_number", applicant_id or make_id_number(random.Random(1)))
    await page.fill("#p0-phone", "138 0013 8000")
    await page.fill("#p1-name", "李四")
    await page.fill("#p1-phone", "13900139000")
    await page.select_option("#category", "neighbour")
    await page.fill("#summary", "两家因宅基地边界砌墙发生争执，多次协商未果，请求调解。")
    await page.fill("#claim_amount", "3000")
    await page.fill("#occurred_on", date.today().replace(day=1).isoformat())


async def submit(page: Any) -> None:
    await page.get_by_role("button", name="提交登记").click()


async def case_count(app: Any) -> int:
    async with app.state.ctx.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(Case))).scalar_one())


async def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (the copy bundled in axe-playwright-python, injected locally): serious/critical only."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


async def screenshot(page: Any, artifacts: Path, name: str, *, at: str | None = None) -> None:
    """The whole page; or, with ``at``, one phone screen scrolled to that element (long case pages)."""
    if at is None:
        await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
        return
    await page.locator(at).evaluate("el => el.scrollIntoView({block: 'start'})")
    await page.screenshot(path=str(artifacts / f"{name}.png"))
