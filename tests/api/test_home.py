"""``/`` for each role and for anyone else; the pages' banner, 修改密码 form and first-login redirect."""

from __future__ import annotations

import pytest

from app.auth.admin import create_user
from app.auth.sessions import SESSION_COOKIE
from app.db import session_scope
from app.models import Role
from app.web.render import home_for
from tests.browser.web import form_csrf, web_login
from tests.support import PASSWORD

ONE_TIME = "Given-by-admin-1"
OWN = "Mein-eigenes-2026"


@pytest.mark.parametrize(
    ("username", "home"),
    [("lc_v01", "/m/"), ("labour", "/m/"), ("lc_sfs", "/s/"), ("bureau", "/s/"), ("admin", "/m/")],
)
async def test_root_sends_a_signed_in_person_to_the_home_of_their_role(client, world, username, home):
    assert (await web_login(client, username)).status_code == 303
    r = await client.get("/")
    assert r.status_code == 303 and r.headers["location"] == home
    assert home_for(Role((await client.get("/api/v1/auth/me")).json()["role"])) == home


async def test_root_shows_anyone_else_a_chinese_landing_page(client, world):
    for cookie in (None, "not-a-token", world.court_key):  # no session, a dead one, a machine key
        client.cookies.clear()
        if cookie:
            client.cookies.set(SESSION_COOKIE, cookie)
        r = await client.get("/")
        assert r.status_code == 200, cookie
        assert r.headers["content-type"].startswith("text/html")
        assert 'lang="zh-CN"' in r.text and "解纷" in r.text
        for link in ('href="/m/"', 'href="/docs"', 'href="/healthz"'):
            assert link in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
    assert "://" not in r.text  # every link and asset is our own: no CDN


async def test_every_page_names_the_person_and_organization_with_a_sign_out_form(client, world):
    await web_login(client, "lc_v01")
    for path in ("/m/", "/m/cases/new", "/m/password"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "lc_v01" in r.text and "八字桥社区人民调解委员会" in r.text
        assert 'action="/m/logout"' in r.text and "退出登录" in r.text
        assert form_csrf(r.text)  # sign-out is a POST with the session's CSRF token
    r = await client.post("/m/logout", data={"csrf_token": form_csrf((await client.get("/m/")).text)})
    assert r.status_code == 303
    assert (await client.get("/m/")).headers["location"] == "/m/login"


async def test_supervisors_are_not_offered_case_registration(client, world):
    await web_login(client, "lc_sfs")
    r = await client.get("/m/")
    assert r.status_code == 200 and "登记新纠纷" not in r.text and 'href="/m/cases/new"' not in r.text
    client.cookies.clear()
    await web_login(client, "lc_v01")
    assert "登记新纠纷" in (await client.get("/m/")).text


async def test_first_login_on_the_pages_leads_to_the_password_form_and_nowhere_else(client, world, app):
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await create_user(s, "new_med", Role.MEDIATOR, "LY-LC-V03", ONE_TIME)
    await web_login(client, "new_med", ONE_TIME)
    for path in ("/m/", "/m/cases/new", "/m/cases/00000000-0000-0000-0000-000000000000"):
        r = await client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/m/password", path
    form = await client.get("/m/password")
    assert form.status_code == 200 and "请先设置" in form.text
    assert 'href="/m/cases/new"' not in form.text and "outbox.js" not in form.text
    # The page's own API calls (the cookie + CSRF) are refused too.
    api = await client.get("/api/v1/cases")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"

    csrf = form_csrf(form.text)
    fields = {"csrf_token": csrf, "current_password": ONE_TIME, "new_password": OWN}
    r = await client.post("/m/password", data=fields | {"new_password_again": OWN + "x"})
    assert r.status_code == 422 and "两次输入的新密码不一致" in r.text
    weak = {"new_password": "abcdefghijkl", "new_password_again": "abcdefghijkl"}
    r = await client.post("/m/password", data=fields | weak)
    assert r.status_code == 422 and "至少两类" in r.text
    r = await client.post(
        "/m/password", data=fields | {"current_password": "wrong", "new_password_again": OWN}
    )
    assert r.status_code == 422 and "当前密码不正确" in r.text
    r = await client.post("/m/password", data=fields | {"csrf_token": "forged", "new_password_again": OWN})
    assert r.status_code == 403
    r = await client.post("/m/password", data=fields | {"new_password_again": OWN})
    assert r.status_code == 303 and r.headers["location"].startswith("/m/")
    home = await client.get(r.headers["location"])
    assert home.status_code == 200 and "密码已修改" in home.text
    assert (await client.get("/api/v1/cases")).status_code == 200


async def test_a_signed_in_person_changes_their_password_from_the_banner(client, world):
    await web_login(client, "lc_v02")
    form = await client.get("/m/password")
    assert "请先设置" not in form.text
    data = {
        "csrf_token": form_csrf(form.text),
        "current_password": PASSWORD,
        "new_password": PASSWORD,
        "new_password_again": PASSWORD,
    }
    r = await client.post("/m/password", data=data)
    assert r.status_code == 422 and "不能与当前密码相同" in r.text
