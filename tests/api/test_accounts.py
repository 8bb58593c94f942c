"""Accounts: the first-login password change (gate, /auth/password), the admin user API, the users CLI."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app import cli
from app.auth.admin import create_user
from app.auth.passwords import strength_errors
from app.db import session_scope
from app.models import LoginAttempt, Role, User
from tests.support import PASSWORD, login

ONE_TIME = "Given-by-admin-1"
OWN = "Mein-eigenes-2026"


async def _new_user(app, username="new_med", org="LY-LC-V03", role=Role.MEDIATOR) -> None:
    async with session_scope(app.state.ctx.sessionmaker) as s:
        await create_user(s, username, role, org, ONE_TIME)


async def _token(client, username: str, password: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def _change(client, headers, current: str, new: str):
    return await client.post(
        "/api/v1/auth/password", json={"current_password": current, "new_password": new}, headers=headers
    )


def _codes(r) -> set[str]:
    return {e["code"] for e in r.json().get("errors", [])}


# --- the gate and /auth/me -------------------------------------------------------------------------------


async def test_a_new_account_must_change_its_password_before_anything_else(client, world, app):
    await _new_user(app)
    headers = await _token(client, "new_med", ONE_TIME)
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["password_change_required"] is True
    assert me.json()["organization_name"].endswith("人民调解委员会")
    for method, path in [
        ("GET", "/api/v1/cases"),
        ("GET", "/api/v1/organizations"),
        ("POST", "/api/v1/cases"),
        ("GET", "/api/v1/calendar/days/2026-12-01"),
    ]:
        r = await client.request(method, path, headers=headers, json={} if method == "POST" else None)
        assert r.status_code == 403, (path, r.text)
        assert r.json()["code"] == "password_change_required"
        assert r.headers["content-type"].startswith("application/problem+json")

    assert (await _change(client, headers, ONE_TIME, OWN)).status_code == 204
    me = await client.get("/api/v1/auth/me", headers=headers)  # the same token still works
    assert me.json()["password_change_required"] is False
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200
    # The new password is the one that signs in now.
    assert (await _token(client, "new_med", OWN))["Authorization"]
    r = await client.post("/api/v1/auth/login", json={"username": "new_med", "password": ONE_TIME})
    assert r.status_code == 401


async def test_logout_is_allowed_while_a_change_is_pending(client, world, app):
    await _new_user(app)
    headers = await _token(client, "new_med", ONE_TIME)
    assert (await client.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_machine_keys_and_existing_users_are_not_gated(client, world):
    me = await client.get("/api/v1/auth/me", headers=world.headers("court"))
    assert me.status_code == 200 and me.json()["password_change_required"] is False
    headers = await login(client, world, "lc_v01")
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["password_change_required"] is False
    assert (await client.get("/api/v1/cases", headers=headers)).status_code == 200
    # A machine key has no password to change: to it the endpoint does not exist.
    r = await _change(client, world.headers("court"), "x", OWN)
    assert r.status_code == 404


# --- POST /auth/password ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "code"),
    [
        ("Short-1", "password.too_short"),
        ("abcdefghijkl", "password.one_class"),
        ("123456789012", "password.one_class"),
        ("my-lc_v01-pass", "password.contains_username"),
        ("Password123", "password.common"),
        (PASSWORD, "password.reused"),
    ],
)
async def test_weak_or_reused_passwords_are_refused_with_a_field_code(client, world, new, code):
    headers = await login(client, world, "lc_v01")
    r = await _change(client, headers, PASSWORD, new)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_failed"
    assert code in _codes(r)
    assert all(e["field"] == "new_password" for e in r.json()["errors"])
    # Nothing changed: the old password still signs in.
    assert (await _token(client, "lc_v01", PASSWORD))["Authorization"]


def test_strength_rules_accept_a_reasonable_password():
    assert strength_errors("correct horse 9", "lc_v01") == []
    assert strength_errors("调解员的新密码abc", "lc_v01") == []  # Chinese counts as "other" characters
    assert [e.code for e in strength_errors("QWERTYUIOP", "lc_v01")] == [
        "password.one_class",
        "password.common",
    ]


async def test_a_wrong_current_password_is_refused_and_counts_as_a_failed_login(client, world, app):
    headers = await login(client, world, "lc_v01")
    r = await _change(client, headers, "not-my-password", OWN)
    assert r.status_code == 422 and _codes(r) == {"password.incorrect"}
    assert r.json()["errors"][0]["field"] == "current_password"
    async with app.state.ctx.sessionmaker() as s:
        failures = await s.scalar(
            select(func.count()).where(LoginAttempt.username == "lc_v01", LoginAttempt.succeeded.is_(False))
        )
    assert failures == 1
    for _ in range(4):
        await _change(client, headers, "not-my-password", OWN)
    # Guessing through a session meets the login throttle.
    r = await _change(client, headers, PASSWORD, OWN)
    assert r.status_code == 429 and r.json()["code"] == "login_throttled"


async def test_a_change_keeps_this_token_and_ends_the_other_sessions(client, world):
    first = await _token(client, "lc_v02", PASSWORD)
    other = await _token(client, "lc_v02", PASSWORD)
    assert (await _change(client, first, PASSWORD, OWN)).status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=first)).status_code == 200
    r = await client.get("/api/v1/auth/me", headers=other)
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


async def test_login_expires_at_is_in_shanghai_time(client, world):
    r = await client.post("/api/v1/auth/login", json={"username": "lc_v01", "password": PASSWORD})
    expires_at = r.json()["expires_at"]
    assert expires_at.endswith("+08:00"), expires_at


async def test_organizations_need_a_login_and_the_api_docs_say_so(client, world, app):
    assert (await client.get("/api/v1/organizations")).status_code == 401
    assert (await client.get("/api/v1/organizations", headers=world.headers("court"))).status_code == 200
    described = app.openapi()["paths"]["/api/v1/organizations"]["get"]["description"]
    assert "Needs a login" in described


# --- the admin user API ----------------------------------------------------------------------------------


async def test_admin_creates_a_user_whose_one_time_password_must_be_changed(client, world):
    admin = await login(client, world, "admin")
    body = {"username": "dt_v02", "role": "mediator", "org": "LY-DT-V02", "display_name": "王调解"}
    r = await client.post("/api/v1/admin/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.headers["cache-control"] == "no-store"
    out = r.json()
    assert out["user"]["password_change_required"] is True and out["user"]["active"] is True
    assert out["user"]["organization"]["code"] == "LY-DT-V02"
    assert out["user"]["created_at"].endswith("+08:00")
    headers = await _token(client, "dt_v02", out["one_time_password"])
    r = await client.get("/api/v1/cases", headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "password_change_required"
    again = await client.post("/api/v1/admin/users", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "user.exists"
    wrong_org = {**body, "username": "sup_x", "role": "supervisor"}
    r = await client.post("/api/v1/admin/users", json=wrong_org, headers=admin)
    assert r.status_code == 422 and "role.organization_kind" in _codes(r)


async def test_admin_lists_users_by_keyset_with_filters(client, world):
    admin = await login(client, world, "admin")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 5} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/api/v1/admin/users", params=params, headers=admin)).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 12
    r = await client.get("/api/v1/admin/users", params={"role": "supervisor"}, headers=admin)
    assert {u["username"] for u in r.json()["items"]} == {"bureau", "lc_sfs", "dt_sfs"}
    r = await client.get("/api/v1/admin/users", params={"org": "LY-LC-V01"}, headers=admin)
    assert [u["username"] for u in r.json()["items"]] == ["lc_v01"]
    assert r.json()["items"][0]["organization"]["name"]


async def test_admin_disables_enables_and_resets(client, world):
    admin = await login(client, world, "admin")
    victim = await _token(client, "dt_v01", PASSWORD)
    r = await client.post("/api/v1/admin/users/dt_v01/disable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await client.get("/api/v1/auth/me", headers=victim)).status_code == 401  # sessions ended
    r = await client.post("/api/v1/auth/login", json={"username": "dt_v01", "password": PASSWORD})
    assert r.status_code == 401
    r = await client.post("/api/v1/admin/users/dt_v01/enable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is True
    session = await _token(client, "dt_v01", PASSWORD)

    r = await client.post("/api/v1/admin/users/dt_v01/reset-password", headers=admin)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    one_time = r.json()["one_time_password"]
    assert r.json()["user"]["password_change_required"] is True
    assert (await client.get("/api/v1/auth/me", headers=session)).status_code == 401
    headers = await _token(client, "dt_v01", one_time)
    assert (await client.get("/api/v1/cases", headers=headers)).json()["code"] == "password_change_required"

    r = await client.post("/api/v1/admin/users/nobody/disable", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "user.not_found"
    r = await client.post("/api/v1/admin/users/admin/disable", headers=admin)
    assert r.status_code == 409 and r.json()["code"] == "user.self"


@pytest.mark.parametrize("username", ["bureau", "lc_sfs", "lc_v01"])
async def test_only_admins_reach_the_user_api(client, world, username):
    headers = await login(client, world, username)
    for method, path in [
        ("GET", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users/lc_v02/disable"),
        ("POST", "/api/v1/admin/users/lc_v02/reset-password"),
    ]:
        r = await client.request(method, path, headers=headers)
        assert r.status_code == 403 and r.json()["code"] == "role_required"
    r = await client.post(
        "/api/v1/admin/users", json={"username": "x1", "role": "admin", "org": "LY"}, headers=headers
    )
    assert r.status_code == 403


async def test_machine_keys_do_not_see_the_user_api(client, world):
    r = await client.get("/api/v1/admin/users", headers=world.headers("court"))
    assert r.status_code == 404


# --- the users CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def run_cli(settings, monkeypatch, capsys):
    """``jiefen …`` against the test database, in a thread (the command runs its own event loop)."""
    monkeypatch.setattr(cli, "get_settings", lambda: settings.with_keys())

    async def run(*argv: str) -> str:
        capsys.readouterr()
        await asyncio.to_thread(cli.main, list(argv))
        return capsys.readouterr().out

    return run


async def _user(app, username: str) -> User:
    async with app.state.ctx.sessionmaker() as s:
        return (await s.execute(select(User).where(User.username == username))).scalar_one()


async def test_cli_users_list_filters_and_shows_state(run_cli, world, app):
    await _new_user(app)
    out = await run_cli("users", "list")
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(lines) == {"new_med", *world_users()}
    assert "must change password" in lines["new_med"] and "must change" not in lines["lc_v01"]
    assert "LY-LC-V01" in lines["lc_v01"]
    out = await run_cli("users", "list", "--role", "supervisor")
    assert {line.split()[0] for line in out.splitlines()[1:]} == {"bureau", "lc_sfs", "dt_sfs"}
    out = await run_cli("users", "list", "--org", "LY-LC-V03")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["new_med"]


def world_users() -> set[str]:
    from tests.support import USERS

    return set(USERS)


async def test_cli_create_makes_a_user_who_must_change_the_password(run_cli, world, app, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(ONE_TIME + "\n"))
    out = await run_cli("users", "create", "cli_adm", "--role", "admin", "--password-stdin")
    assert "cli_adm" in out
    assert (await _user(app, "cli_adm")).password_change_required is True


async def test_cli_reset_password_prints_a_one_time_password_once(run_cli, client, world, app):
    session = await _token(client, "lc_v02", PASSWORD)
    out = await run_cli("users", "reset-password", "lc_v02")
    password = out.strip().splitlines()[-1]
    assert len(password) >= 10 and PASSWORD not in out
    assert (await _user(app, "lc_v02")).password_change_required is True
    assert (await client.get("/api/v1/auth/me", headers=session)).status_code == 401
    headers = await _token(client, "lc_v02", password)
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["password_change_required"] is True


async def test_cli_disable_revokes_tokens_and_enable_restores_login(run_cli, client, world, app):
    session = await _token(client, "dt_stn", PASSWORD)
    await run_cli("users", "disable", "dt_stn")
    assert (await _user(app, "dt_stn")).active is False
    assert (await client.get("/api/v1/auth/me", headers=session)).status_code == 401
    r = await client.post("/api/v1/auth/login", json={"username": "dt_stn", "password": PASSWORD})
    assert r.status_code == 401
    await run_cli("users", "enable", "dt_stn")
    assert (await _token(client, "dt_stn", PASSWORD))["Authorization"]


async def test_cli_unlock_clears_the_login_throttle(run_cli, client, world):
    for _ in range(5):
        await client.post("/api/v1/auth/login", json={"username": "cc", "password": "wrong-wrong"})
    r = await client.post("/api/v1/auth/login", json={"username": "cc", "password": PASSWORD})
    assert r.status_code == 429
    out = await run_cli("users", "unlock", "cc")
    assert "5 failed" in out
    assert (await _token(client, "cc", PASSWORD))["Authorization"]


async def test_cli_reports_an_unknown_user(run_cli, world):
    with pytest.raises(SystemExit, match="No user named ghost"):
        await run_cli("users", "disable", "ghost")
