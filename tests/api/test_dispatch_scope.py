"""Where a supervisor may dispatch: a town office in its town and city-wide bodies; the bureau anywhere."""

from __future__ import annotations

import pytest

from app.auth.principal import Principal
from app.auth.scope import may_dispatch_to
from app.models import OrgKind, Role
from tests.support import act, case_body, login


async def pending_case(client, world):
    """A 溧城街道 case back in pending_dispatch: its only village committee declined it."""
    v01 = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(), headers=v01)
    assert r.status_code == 201, r.text
    r = await act(client, v01, r.json(), "decline", reason="不属于本村")
    assert r.status_code == 200 and r.json()["status"] == "pending_dispatch", r.text
    return r.json()


async def test_a_town_office_cannot_dispatch_to_another_towns_committee(client, world):
    case = await pending_case(client, world)
    sfs = await login(client, world, "lc_sfs")
    for target in ("LY-DT-STN", "LY-DT-V01"):
        r = await act(client, sfs, case, "dispatch", organization_code=target)
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["errors"] == [
            {
                "field": "organization_code",
                "code": "dispatch.target_out_of_scope",
                "message": problem["errors"][0]["message"],
            }
        ]
    # Nothing changed, and the other town's committee still cannot read the case.
    r = await client.get(f"/api/v1/cases/{case['id']}", headers=await login(client, world, "lc_sfs"))
    assert r.json()["status"] == "pending_dispatch" and r.json()["version"] == case["version"]
    r = await client.get(f"/api/v1/cases/{case['id']}", headers=await login(client, world, "dt_stn"))
    assert r.status_code == 404


@pytest.mark.parametrize("target", ["LY-LC-STN", "LY-SP-LABOUR", "LY-CC", "LY-CC-LAWYER", "LY-COURT"])
async def test_a_town_office_dispatches_in_its_town_and_to_city_wide_bodies(client, world, target):
    case = await pending_case(client, world)
    r = await act(client, await login(client, world, "lc_sfs"), case, "dispatch", organization_code=target)
    assert r.status_code == 200, r.text
    assert r.json()["current_organization"]["code"] == target


async def test_the_bureau_dispatches_anywhere(client, world):
    case = await pending_case(client, world)
    r = await act(
        client, await login(client, world, "bureau"), case, "dispatch", organization_code="LY-DT-STN"
    )
    assert r.status_code == 200, r.text
    assert r.json()["current_organization"]["code"] == "LY-DT-STN"


def principal(role: Role, kind: str, town_id: int | None) -> Principal:
    return Principal("user", 1, role, 10, kind, town_id, "x")


LC, DT = 100, 200
TOWN_OFFICE = principal(Role.SUPERVISOR, OrgKind.JUSTICE_OFFICE, LC)


@pytest.mark.parametrize(
    ("kind", "town", "allowed"),
    [
        (OrgKind.TOWN_STATION, LC, True),
        (OrgKind.VILLAGE_COMMITTEE, LC, True),
        (OrgKind.TOWN_STATION, DT, False),
        (OrgKind.VILLAGE_COMMITTEE, DT, False),
        (OrgKind.SPECIALISED_COMMITTEE, None, True),
        (OrgKind.CITY_CENTER, None, True),
        (OrgKind.CITY_CHANNEL, None, True),
        (OrgKind.COURT_SUBCENTER, None, True),
        (OrgKind.VILLAGE_COMMITTEE, None, False),  # a village committee belongs to some town
    ],
)
def test_town_office_targets(kind, town, allowed):
    assert may_dispatch_to(TOWN_OFFICE, kind, town) is allowed


def test_who_else_may_dispatch():
    bureau = principal(Role.SUPERVISOR, OrgKind.JUSTICE_BUREAU, None)
    admin = principal(Role.ADMIN, OrgKind.JUSTICE_BUREAU, None)
    mediator = principal(Role.MEDIATOR, OrgKind.TOWN_STATION, LC)
    townless_office = principal(Role.SUPERVISOR, OrgKind.JUSTICE_OFFICE, None)
    assert may_dispatch_to(bureau, OrgKind.VILLAGE_COMMITTEE, DT)
    assert may_dispatch_to(admin, OrgKind.TOWN_STATION, DT)
    assert not may_dispatch_to(mediator, OrgKind.TOWN_STATION, LC)
    assert not may_dispatch_to(townless_office, OrgKind.TOWN_STATION, LC)
    assert may_dispatch_to(townless_office, OrgKind.CITY_CENTER, None)
