"""The /m/ pages' server side through httpx: sessions, cookies, rotation, CSRF, redirects, rendering."""

from __future__ import annotations

import uuid

import httpx
import pytest

from app.auth.sessions import SESSION_COOKIE, csrf_token_for
from app.web.labels import STATUS_LABELS, category_label
from tests.browser.web import form_csrf, meta_csrf, web_login
from tests.support import PASSWORD, case_body, login

PAGES = ["/m/", "/m/cases/new", f"/m/cases/{uuid.uuid4()}"]


def _session_set_cookie(response: httpx.Response) -> str:
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    return cookies[0]


@pytest.mark.parametrize("path", PAGES)
async def test_pages_redirect_to_login_when_signed_out(client, world, path):
    r = await client.get(path)
    assert r.status_code == 303 and r.headers["location"] == "/m/login"
    client.cookies.set(SESSION_COOKIE, "not-a-token")
    r = await client.get(path)
    assert r.status_code == 303 and r.headers["location"] == "/m/login"


async def test_login_sets_an_httponly_samesite_lax_cookie_and_redirects(client, world):
    r = await web_login(client, "lc_v01")
    assert r.status_code == 303 and r.headers["location"] == "/m/"
    cookie = _session_set_cookie(r).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP here: a Secure cookie would never come back
    home = await client.get("/m/")
    assert home.status_code == 200 and 'lang="zh-CN"' in home.text
    assert home.headers["cache-control"] == "no-store"
    token = client.cookies[SESSION_COOKIE]
    key = world.app.state.ctx.blind_index_key_bytes
    assert meta_csrf(home.text) == csrf_token_for(token, key)


async def test_cookie_is_secure_over_https(app, world):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        r = await web_login(c, "lc_v01")
        assert r.status_code == 303
        assert "secure" in _session_set_cookie(r).lower()


async def test_login_form_without_its_csrf_token_is_refused(client, world):
    await client.get("/m/login")
    form = {"username": "lc_v01", "password": PASSWORD, "csrf_token": "forged"}
    r = await client.post("/m/login", data=form)
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    assert "页面已过期" in r.text


async def test_wrong_password_shows_a_chinese_message_and_counts_towards_the_throttle(client, world):
    for _ in range(5):
        r = await web_login(client, "lc_v02", "wrong-password")
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = await web_login(client, "lc_v02")
    assert r.status_code == 429 and "登录失败次数过多" in r.text


async def test_login_rotates_the_session_revoking_the_previous_token(client, world):
    csrf = form_csrf((await client.get("/m/login")).text)
    form = {"username": "lc_v01", "password": PASSWORD, "csrf_token": csrf}
    assert (await client.post("/m/login", data=form)).status_code == 303
    first = client.cookies[SESSION_COOKIE]
    r = await client.post("/m/login", data=form)  # e.g. a second tab's login form
    assert r.status_code == 303
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    old = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    new = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second}"})
    assert new.status_code == 200


async def test_signed_in_user_visiting_login_goes_home(client, world):
    await web_login(client, "lc_v01")
    r = await client.get("/m/login")
    assert r.status_code == 303 and r.headers["location"] == "/m/"


async def test_cookie_post_needs_the_csrf_header(client, world):
    await web_login(client, "lc_v01")
    refused = await client.post("/api/v1/cases", json=case_body())
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "csrf_failed"
    wrong = await client.post("/api/v1/cases", json=case_body(), headers={"X-CSRF-Token": "0" * 40})
    assert wrong.status_code == 403 and wrong.json()["code"] == "csrf_failed"
    token = meta_csrf((await client.get("/m/")).text)
    ok = await client.post("/api/v1/cases", json=case_body(), headers={"X-CSRF-Token": token})
    assert ok.status_code == 201, ok.text


async def test_logout_needs_csrf_then_revokes_and_clears(client, world):
    await web_login(client, "lc_v01")
    token = client.cookies[SESSION_COOKIE]
    refused = await client.post("/m/logout", data={})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    home = await client.get("/m/")
    r = await client.post("/m/logout", data={"csrf_token": form_csrf(home.text)})
    assert r.status_code == 303 and r.headers["location"] == "/m/login"
    assert 'jiefen_session=""' in r.headers["set-cookie"] or "max-age=0" in r.headers["set-cookie"].lower()
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


async def test_my_cases_and_detail_render_in_chinese(client, world):
    headers = await login(client, world, "lc_v01")
    created = (await client.post("/api/v1/cases", json=case_body(), headers=headers)).json()
    await web_login(client, "lc_v01")
    home = await client.get("/m/")
    assert created["reference"] in home.text
    assert "张三 与 李四" in home.text and category_label("neighbour") in home.text
    assert STATUS_LABELS[created["status"]] in home.text
    detail = await client.get(f"/m/cases/{created['id']}")
    assert detail.status_code == 200
    assert "办理经过" in detail.text and "登记" in detail.text
    assert "320481" in detail.text and "****" in detail.text  # masked ID only
    assert case_body()["parties"][0]["id_number"] not in detail.text


async def test_a_case_outside_the_mediators_scope_is_not_found(client, world):
    headers = await login(client, world, "dt_v01")
    other = (await client.post("/api/v1/cases", json=case_body(), headers=headers)).json()
    await web_login(client, "lc_v01")
    r = await client.get(f"/m/cases/{other['id']}")
    assert r.status_code == 404 and other["reference"] not in r.text
    assert (await client.get("/m/cases/not-a-uuid")).status_code == 404


async def test_new_case_form_is_prefilled_with_the_committees_town_and_village(client, world):
    await web_login(client, "lc_v01")
    page = await client.get("/m/cases/new")
    assert page.status_code == 200
    assert 'data-default="LY-LC"' in page.text and 'data-default="LY-LC-V01"' in page.text
    assert '<option value="LY-LC-V01" selected>' in page.text


async def test_first_page_with_its_assets_is_under_150_kb(client, world):
    page = await client.get("/m/login")
    total = len(page.content)
    for src in __import__("re").findall(r'(?:href|src)="(/m/static/[^"]+)"', page.text):
        asset = await client.get(src)
        assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
        total += len(asset.content)
    assert total < 150 * 1024, total
