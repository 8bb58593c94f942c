"""The supervisors' pages (/s/) through httpx: who may open them, scope, rendering, ECharts only there."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.calendar.service import forget_cached_calendar
from app.db import utcnow
from tests.browser.web import web_login
from tests.sla_support import pending_case, restart, run_sweep

PAGES = ["/s/", "/s/queue", "/s/sla", "/s/sla?list=at-risk", "/s/urges", "/s/rates"]


@pytest.fixture(autouse=True)
def _fresh_calendar():
    forget_cached_calendar()
    yield
    forget_cached_calendar()


async def test_signed_out_goes_to_login_and_a_mediator_to_their_pages(client, world):
    for path in PAGES:
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/m/login", path
    await web_login(client, "lc_v01")
    r = await client.get("/s/")
    assert r.status_code == 303 and r.headers["location"] == "/m/"


async def test_every_page_renders_in_chinese_with_the_pages_headers(client, world, app):
    case = await pending_case(client, world, app)
    await restart(app, case["id"], utcnow() - timedelta(days=12))
    await run_sweep(app, utcnow())
    for user in ("lc_sfs", "bureau"):
        client.cookies.clear()
        await web_login(client, user)
        for path in [
            *PAGES,
            "/s/sla?state=open&sort=lateness&tier=town&from=2020-01-01",
            f"/s/cases/{case['id']}",
        ]:
            r = await client.get(path)
            assert r.status_code == 200, (user, path, r.text[:2000])
            assert 'lang="zh-CN"' in r.text and "监督工作台" in r.text
            assert r.headers["cache-control"] == "no-store"
            assert "://" not in r.text  # no CDN
        breaches = await client.get("/s/sla?state=open")
        assert case["reference"] in breaches.text and "导出 Excel" in breaches.text
        detail = await client.get(f"/s/cases/{case['id']}")
        assert (
            "督办" in detail.text
            and "分派期限" in detail.text
            and ("撤回" in detail.text) == (user == "bureau")
        )


async def test_echarts_loads_only_on_the_home_page(client, world):
    await web_login(client, "bureau")
    home = await client.get("/s/")
    assert "/s/static/echarts.min.js?v=" in home.text
    for path in ("/s/queue", "/s/urges"):
        assert "echarts" not in (await client.get(path)).text
    client.cookies.clear()
    await web_login(client, "lc_v01")
    assert "echarts" not in (await client.get("/m/")).text
    src = home.text.split('src="/s/static/echarts.min.js')[1].split('"')[0]
    js = await client.get("/s/static/echarts.min.js" + src)
    assert js.status_code == 200 and "immutable" in js.headers["cache-control"]
    assert js.headers["content-type"].startswith("text/javascript")


async def test_another_towns_case_is_missing(client, world, app):
    case = await pending_case(client, world, app)
    await web_login(client, "dt_sfs")
    assert (await client.get(f"/s/cases/{case['id']}")).status_code == 404
    assert case["reference"] not in (await client.get("/s/queue")).text


async def test_the_inbox_answer_form_needs_the_csrf_token(client, world, app):
    await web_login(client, "lc_stn")
    r = await client.post("/m/urges/1/answer", data={"note": "已受理", "csrf_token": "forged"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
