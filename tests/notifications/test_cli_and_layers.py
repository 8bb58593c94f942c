"""The operators' commands (jiefen channels …, jiefen notify …) and the one-way flow of events."""

from __future__ import annotations

import ast
import asyncio
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import cli, config
from app.calendar.workdays import SHANGHAI
from app.notifications.sender import deliver_once
from app.sla.background import sweep_once
from tests.notifications.support import channel, deliveries, pending_case, set_due
from tests.support import make_id_number, person


@pytest.fixture
def environment(settings, monkeypatch):
    for key, value in {
        "JIEFEN_DATABASE_URL": settings.database_url,
        "JIEFEN_ENCRYPTION_KEY": settings.encryption_key,
        "JIEFEN_BLIND_INDEX_KEY": settings.blind_index_key,
        "JIEFEN_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
    }.items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    yield
    config.get_settings.cache_clear()


async def jiefen(capsys, *argv: str) -> str:
    capsys.readouterr()
    await asyncio.to_thread(cli.main, list(argv))
    return str(capsys.readouterr().out)


async def test_the_channel_and_notify_commands(app, world, client, receiver, environment, capsys):
    url = f"{receiver.base}/cgi-bin/webhook/send?key=clirobotkey"
    out = await jiefen(
        capsys, "channels", "add", "LY-LC-SFS", "--kind", "wecom", "--url", url, "--events", "digest"
    )
    channel_id = int(out.strip())
    listed = await jiefen(capsys, "channels", "list")
    assert (
        f"{channel_id}\tLY-LC-SFS\twecom" in listed
        and "key=clir****" in listed
        and "clirobotkey" not in listed
    )
    assert "delivered" in await jiefen(capsys, "channels", "test", str(channel_id))
    assert len(receiver.received) == 1

    case = await pending_case(client, world, app)
    holiday = datetime(2025, 10, 2, 8, 30, tzinfo=SHANGHAI)
    await set_due(app, case["id"], holiday - timedelta(days=2), holiday + timedelta(hours=3))
    assert "not a working day" in await jiefen(capsys, "notify", "digest", "--at", "2025-10-02T08:30:00")
    out = await jiefen(capsys, "notify", "digest", "--at", "2025-10-02T08:30:00", "--force")
    assert "1 messages queued" in out
    assert "delivered 1" in await jiefen(capsys, "notify", "deliver", "--once")
    assert "期限提醒 2025-10-02（周四）" in receiver.received[1].json()["markdown"]["content"]

    assert f"removed channel {channel_id}" in await jiefen(capsys, "channels", "remove", str(channel_id))
    with pytest.raises(SystemExit):
        await jiefen(capsys, "channels", "remove", str(channel_id))


async def test_no_full_id_number_phone_or_name_reaches_any_receiver(app, world, client, receiver):
    """Cases with random personal data, through the real producers (breach, digest) and every format."""
    await channel(app, "LY-LC-SFS", "wecom", f"{receiver.base}/send?key=a")
    await channel(app, "LY-LC-SFS", "dingtalk", f"{receiver.base}/robot?access_token=b", "SECx")
    await channel(app, "LY-LC-SFS", "webhook", f"{receiver.base}/hook")
    rng = random.Random(16)
    secrets: list[str] = []
    for i in range(4):
        id_number = make_id_number(rng)
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        name = rng.choice("王李张刘陈") + rng.choice("小大") + rng.choice("明红军")
        parties = [person("applicant", name, 100 + i, phone=phone), person("respondent", "赵六", 200 + i)]
        parties[0]["id_number"] = id_number
        case = await pending_case(
            client,
            world,
            app,
            parties=parties,
            summary=f"{name}（电话{phone}）与邻居因排水沟发生纠纷，请求调解。",
        )
        now = datetime.now(UTC)
        await set_due(app, case["id"], now - timedelta(days=9), now - timedelta(minutes=i + 1))
        secrets += [id_number, phone, name]
    await sweep_once(app.state.ctx)
    from app.db import session_scope
    from app.notifications.digest import run_digest

    async with session_scope(app.state.ctx.sessionmaker) as s:
        await run_digest(s, datetime.now(UTC), "https://x", force=True)
    await deliver_once(app.state.ctx)
    assert len(receiver.received) == len(await deliveries(app)) == 3 * (4 + 1)
    for got in receiver.received:
        text = got.body.decode()
        leaked = [s for s in secrets if s in text]
        assert leaked == [], text


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_cases_never_import_their_subscribers():
    root = Path(__file__).resolve().parents[2] / "app" / "cases"
    for path in root.glob("*.py"):
        bad = [m for m in _imports(path) if m.startswith(("app.feed", "app.notifications"))]
        assert bad == [], f"{path.name} imports {bad}"
