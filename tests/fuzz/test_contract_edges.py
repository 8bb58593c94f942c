"""What the fuzz run found where the service and its document disagreed, pinned as plain API tests.

Each request below fits neither the schema nor what the service means, and must be refused with a 422 that
names the field (before: a 500, or a 200 that silently ignored the value).
"""

from __future__ import annotations

import pytest

from tests.support import case_body, login


async def _case(client, world):
    headers = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(), headers=headers)
    assert r.status_code == 201, r.text
    return headers, r.json()


# Headers travel as latin-1: b"\xb2" is "²" to the service.
@pytest.mark.parametrize("if_match", [b'"\xb2"', b'"1234567890123"', b"null"])
async def test_if_match_other_than_a_version_is_a_422(client, world, if_match):
    # "²".isdigit() is true and int("²") raises: this was a 500.
    headers, case = await _case(client, world)
    r = await client.post(
        f"/api/v1/cases/{case['id']}/withdraw",
        json={"reason": "申请人撤回"},
        headers={**headers, "If-Match": if_match},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in r.json()["errors"]] == ["If-Match"]


async def test_if_match_as_the_etag_is_accepted(client, world):
    headers, case = await _case(client, world)
    r = await client.post(
        f"/api/v1/cases/{case['id']}/withdraw",
        json={"reason": "申请人撤回"},
        headers={**headers, "If-Match": f'W/"{case["version"]}"'},
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=lost", "status"), ("tier=galaxy", "tier"), ("category=unicorns", "category")],
)
async def test_unknown_vocabulary_in_a_filter_is_a_422(client, world, query, field):
    # These were a 200 with no items: a typo looked like "no such cases".
    headers = await login(client, world, "lc_sfs")
    r = await client.get(f"/api/v1/cases?{query}", headers=headers)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]


async def test_a_number_is_not_a_boolean(client, world):
    headers = await login(client, world, "admin")
    r = await client.patch("/api/v1/organizations/LY-LC-V01", json={"active": 0}, headers=headers)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["active"]
    headers = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(litigation_intended=1), headers=headers)
    assert r.status_code == 422, r.text
    assert "litigation_intended" in [e["field"] for e in r.json()["errors"]]
