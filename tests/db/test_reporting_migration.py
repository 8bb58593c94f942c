"""Migration 0009 on data: the retired category leaves every stored routing rule set, which still parses."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

from app import migrate
from app.routing.engine import parse_rule_set
from tests.db.test_migration_password_change import _execute
from tests.db.test_migrations import empty_db_url  # noqa: F401 - the fixture

PATH = Path(__file__).parents[2] / "migrations" / "versions" / "2026-12-07_reporting.py"
_spec = importlib.util.spec_from_file_location("migration_0009", PATH)
assert _spec and _spec.loader
m0009 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(m0009)

CATCH_ALL = {
    "id": "village-default",
    "description": "兜底",
    "target": {"tier": "village", "selector": "case_village"},
}
OLD = {
    "version": 2,
    "rules": [
        {
            "id": "administrative-dispute",
            "description": "行政争议",
            "when": {"category_in": ["administrative"], "cross_town": None},
            "target": {"tier": "city_center", "selector": "city_channel", "channel": "administrative_review"},
        },
        {
            "id": "mixed",
            "description": "土地或行政",
            "when": {"category_in": ["land", "administrative"]},
            "target": {"tier": "town", "selector": "case_town_station"},
        },
        {
            "id": "not-admin",
            "description": "非行政",
            "when": {"category_not_in": ["administrative"], "claim_amount_gte": "50000"},
            "target": {"tier": "town", "selector": "case_town_station"},
        },
        CATCH_ALL,
    ],
}


def test_the_rules_lose_the_retired_category_and_still_parse() -> None:
    mapped = m0009.map_rules_up(OLD)
    whens = [rule.get("when") for rule in mapped["rules"]]
    assert whens[0] == {"cross_town": None, "respondent_is_government": True}
    assert whens[1] == {"category_in": ["land"]}
    assert whens[2] == {"claim_amount_gte": "50000"}
    parse_rule_set(mapped)
    assert m0009.map_rules_up(mapped) == mapped  # idempotent
    down = m0009.map_rules_down(
        {**mapped, "rules": [{**CATCH_ALL, "when": {"category_in": ["tourism", "debt"]}}]}
    )
    assert down["rules"][0]["when"] == {"category_in": ["consumer", "debt"]}


async def test_every_stored_version_is_rewritten(empty_db_url) -> None:  # noqa: F811
    await asyncio.to_thread(migrate.upgrade, empty_db_url, "0008")
    document = json.dumps(OLD, ensure_ascii=False).replace("'", "''")
    await _execute(
        empty_db_url,
        "INSERT INTO routing_rule_sets (version, rules, note, created_at) "
        f"VALUES (2, '{document}', 'v2', '2026-11-30 10:00:00+00:00')",
    )
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
    rows = await _execute(empty_db_url, "SELECT version, rules, note FROM routing_rule_sets ORDER BY version")
    by_version = {r[0]: (r[1] if isinstance(r[1], dict) else json.loads(r[1]), r[2]) for r in rows}
    rules, note = by_version[2]
    assert [rule["id"] for rule in rules["rules"]] == [
        "administrative-dispute",
        "mixed",
        "not-admin",
        "village-default",
    ]
    assert "administrative" not in json.dumps(rules["rules"][1:])
    assert note.startswith("v2（0009")
    for document, _ in by_version.values():
        parse_rule_set(document)
    await asyncio.to_thread(migrate.downgrade, empty_db_url, "0008")
    await asyncio.to_thread(migrate.upgrade, empty_db_url)
