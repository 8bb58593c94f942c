"""Routing through the API: every default rule (with boundaries) via the dry run, and rule-set versions."""

from __future__ import annotations

import pytest

from tests.support import case_body, login, person

APPLICANT, RESPONDENT = person("applicant", "张三", 1), person("respondent", "李四", 2)


def body(**overrides):
    return case_body(parties=overrides.pop("parties", [APPLICANT, RESPONDENT]), **overrides)


@pytest.mark.parametrize(
    ("overrides", "rule", "organization"),
    [
        ({}, "village-default", "LY-LC-V01"),
        ({"claim_amount": "49999.99"}, "village-default", "LY-LC-V01"),
        ({"claim_amount": "50000.00"}, "town-threshold", "LY-LC-STN"),
        ({"claim_amount": None}, "village-default", "LY-LC-V01"),
        ({"category": "land"}, "land-contract", "LY-LC-STN"),
        ({"category": "labour"}, "specialised", "LY-SP-LABOUR"),
        ({"category": "traffic", "claim_amount": "900000"}, "specialised", "LY-SP-TRAFFIC"),
        ({"category": "marriage_family"}, "village-default", "LY-LC-V01"),
        ({"risk_level": "high"}, "high-risk", "LY-CC"),
        ({"litigation_intended": True}, "litigation-intended", "LY-COURT"),
        ({"category": "migrant_wages"}, "specialised", "LY-SP-LABOUR"),
        ({"category": "debt", "claim_amount": "100"}, "village-default", "LY-LC-V01"),
        (
            {
                "parties": [
                    APPLICANT,
                    {**RESPONDENT, "kind": "organization", "is_government": True, "id_number": None},
                ]
            },
            "government-respondent",
            "LY-CC-ADMREVIEW",
        ),
        (
            {"parties": [APPLICANT, {**RESPONDENT, "village_code": "LY-LC-V02"}]},
            "cross-village",
            "LY-LC-STN",
        ),
        ({"parties": [APPLICANT, {**RESPONDENT, "town_code": "LY-DT"}]}, "cross-town", "LY-CC"),
        (
            {"category": "labour", "parties": [APPLICANT, {**RESPONDENT, "town_code": "LY-DT"}]},
            "cross-town",
            "LY-CC",
        ),
        (
            {"parties": [person("applicant", f"申请人{i}", 10 + i) for i in range(4)] + [RESPONDENT]},
            "village-default",
            "LY-LC-V01",
        ),
        (
            {"parties": [person("applicant", f"申请人{i}", 10 + i) for i in range(5)] + [RESPONDENT]},
            "mass-dispute",
            "LY-CC",
        ),
    ],
)
async def test_default_rules_via_preview(client, world, overrides, rule, organization):
    headers = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/routing/preview", json=body(**overrides), headers=headers)
    assert r.status_code == 200, r.text
    decision = r.json()
    assert decision["rule"] == rule
    assert decision["organization"]["code"] == organization
    assert rule in decision["explanation"]
    if rule == "mass-dispute":
        assert set(decision["flags"]) == {"mass_dispute", "high_attention"}
    # The dry run stores nothing.
    assert (await client.get("/api/v1/cases", headers=headers)).json()["items"] == []


async def test_preview_explains_why_not_the_earlier_rules(client, world):
    r = await client.post(
        "/api/v1/routing/preview",
        json=body(claim_amount="50000.00"),
        headers=await login(client, world, "lc_v01"),
    )
    checked = {c["rule"]: c for c in r.json()["not_matched"]}
    assert "litigation-intended" in checked and "specialised" in checked
    assert "town-threshold" not in checked


async def test_rules_are_admin_only_validated_and_versioned(client, world):
    admin = await login(client, world, "admin")
    assert (
        await client.get("/api/v1/routing/rules", headers=await login(client, world, "lc_v01"))
    ).status_code == 403
    current = (await client.get("/api/v1/routing/rules", headers=admin)).json()
    assert current["current"]["version"] == 1 and current["previous_versions"] == []
    rules = current["current"]["rules"]

    broken = [dict(r) for r in rules]
    broken[0] = {**broken[0], "target": {"tier": "village", "selector": "court"}}
    r = await client.put("/api/v1/routing/rules", json={"rules": broken}, headers=admin)
    assert r.status_code == 422
    assert {"field": "rules.0.target.tier", "code": "tier_selector_mismatch"}.items() <= r.json()["errors"][
        0
    ].items()
    assert (await client.get("/api/v1/routing/rules", headers=admin)).json()["current"]["version"] == 1

    # Raise the town threshold to 100,000 yuan: a 60,000 case now stays in the village.
    edited = [dict(r) for r in rules]
    for rule in edited:
        if rule["id"] == "town-threshold":
            rule["when"] = {**rule["when"], "claim_amount_gte": "100000"}
    r = await client.put(
        "/api/v1/routing/rules", json={"rules": edited, "note": "提高镇级门槛"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    history = (await client.get("/api/v1/routing/rules", headers=admin)).json()
    assert history["current"]["version"] == 2 and history["previous_versions"] == [1]
    case = await client.post(
        "/api/v1/cases", json=body(claim_amount="60000"), headers=await login(client, world, "lc_v01")
    )
    assert case.json()["routing"]["rule"] == "village-default"
    assert case.json()["routing"]["rule_set_version"] == 2
