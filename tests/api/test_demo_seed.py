"""`jiefen seed demo`: an account for every organization that acts, kept in an owner-only credentials file;
idempotent; --reset-passwords issues new ones; production refuses without --force."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, select

from app import cli, config
from app.auth import secrets
from app.db import session_scope, utcnow
from app.demo import commands
from app.demo.accounts import HEADER, read_credentials, seed_accounts
from app.models import Organization, OrgKind, User
from app.organizations.demo import load_demo_tree
from tests.conftest import TEST_KEYS

ACTING_KINDS = {
    OrgKind.VILLAGE_COMMITTEE,
    OrgKind.TOWN_STATION,
    OrgKind.SPECIALISED_COMMITTEE,
    OrgKind.CITY_CENTER,
    OrgKind.CITY_CHANNEL,
    OrgKind.JUSTICE_OFFICE,
    OrgKind.JUSTICE_BUREAU,
}


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id at its lowest cost: seeding hashes ~80 passwords, each ~0.5 s at the default cost."""
    monkeypatch.setattr(secrets, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


async def _seed(app, path: Path, *, reset: bool = False):
    async with session_scope(app.state.ctx.sessionmaker) as session:
        await load_demo_tree(session)
        return await seed_accounts(session, path, reset=reset, now=utcnow())


async def _login(client, username: str, password: str) -> int:
    r = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
    return r.status_code


async def test_every_acting_organization_gets_an_account_listed_in_an_owner_only_file(app, client, tmp_path):
    path = tmp_path / "demo-credentials.txt"
    report = await _seed(app, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == list(HEADER)
    entries = read_credentials(path)
    assert len(entries) == len(lines) - 1 == len(report.created)
    async with session_scope(app.state.ctx.sessionmaker) as session:
        rows = await session.execute(
            select(Organization.code, Organization.kind, User.username, User.role).join(
                User, User.organization_id == Organization.id, isouter=True
            )
        )
        by_org: dict[str, set[str]] = {}
        for code, kind, username, role in rows:
            if kind in ACTING_KINDS:
                by_org.setdefault(code, set())
                if username:
                    by_org[code].add(username)
                    assert entries[username].role == role and entries[username].org_code == code
    assert by_org and all(by_org.values()), [code for code, users in by_org.items() if not users]
    # The rule: the code without the city prefix; the README's names keep working.
    for username, code in [("lc_stn", "LY-LC-STN"), ("lc_v01", "LY-LC-V01"), ("sp_labour", "LY-SP-LABOUR"),
                           ("cc_admreview", "LY-CC-ADMREVIEW"), ("lc_sfs", "LY-LC-SFS"), ("bureau", "LY"),
                           ("admin", "LY"), ("cc", "LY-CC")]:  # fmt: skip
        assert entries[username].org_code == code
        assert entries[username].org_name
    assert entries["court"].role == "court" and entries["court"].org_code == "LY-COURT"
    assert await _login(client, "sp_labour", entries["sp_labour"].password) == 200
    feed = await client.get("/api/v1/feed", headers={"Authorization": f"Bearer {entries['court'].password}"})
    assert feed.status_code == 200


async def test_a_second_seed_adds_only_what_is_missing_and_keeps_the_file(app, tmp_path):
    path = tmp_path / "demo-credentials.txt"
    await _seed(app, path)
    first = read_credentials(path)
    async with session_scope(app.state.ctx.sessionmaker) as session:
        await session.execute(delete(User).where(User.username == "dt_v02"))
    again = await _seed(app, path)
    assert again.created == ["dt_v02"] and not again.reset
    second = read_credentials(path)
    assert set(second) == set(first)
    assert {u: c for u, c in second.items() if u != "dt_v02"} == {
        u: c for u, c in first.items() if u != "dt_v02"
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_reset_passwords_issues_new_ones_and_the_old_ones_stop_working(app, client, tmp_path):
    path = tmp_path / "demo-credentials.txt"
    await _seed(app, path)
    old = read_credentials(path)
    report = await _seed(app, path, reset=True)
    new = read_credentials(path)
    assert set(report.reset) == set(old) and not report.created
    assert all(new[u].password != old[u].password for u in old)
    assert await _login(client, "lc_v01", old["lc_v01"].password) == 401
    assert await _login(client, "lc_v01", new["lc_v01"].password) == 200
    async with session_scope(app.state.ctx.sessionmaker) as session:
        flags = set((await session.execute(select(User.password_change_required))).scalars())
    assert flags == {True}, "a reset password is one-time: its owner must choose a new one"
    old_key = await client.get("/api/v1/feed", headers={"Authorization": f"Bearer {old['court'].password}"})
    new_key = await client.get("/api/v1/feed", headers={"Authorization": f"Bearer {new['court'].password}"})
    assert old_key.status_code == 401 and new_key.status_code == 200


def test_production_refuses_without_force(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("JIEFEN_ENV", "production")
    monkeypatch.setattr(commands, "CREDENTIALS_FILE", tmp_path / "demo-credentials.txt")
    with pytest.raises(SystemExit) as refused:
        cli.main(["seed", "demo"])
    assert refused.value.code == 2
    assert "JIEFEN_ENV=production" in capsys.readouterr().err
    assert not (tmp_path / "demo-credentials.txt").exists()


def test_production_seeds_with_force(monkeypatch, tmp_path, db_url, capsys):
    path = tmp_path / "demo-credentials.txt"
    for name, value in {
        "JIEFEN_ENV": "production",
        "JIEFEN_DATABASE_URL": db_url,
        "JIEFEN_ENCRYPTION_KEY": TEST_KEYS["encryption_key"],
        "JIEFEN_BLIND_INDEX_KEY": TEST_KEYS["blind_index_key"],
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(commands, "CREDENTIALS_FILE", path)
    config.get_settings.cache_clear()
    try:
        cli.main(["seed", "demo", "--force"])
    finally:
        config.get_settings.cache_clear()
    assert str(path.resolve()) in capsys.readouterr().out
    assert "lc_stn" in read_credentials(path)
