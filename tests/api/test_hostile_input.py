"""Hostile input never gives a 500: NUL characters, values of the wrong JSON type, crafted cursors, datetimes
without an offset, dates at the ends of the range, and dates outside the business bounds. Each is a 4xx
problem response naming the client's field with a stable code."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest

from app.calendar.workdays import SHANGHAI
from app.cli import openapi_document
from app.models import Case
from tests.api.test_intake import count
from tests.support import act, case_body, login

NUL = "\u0000"


def fields(r) -> set[tuple[str, str]]:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return {(e["field"], e["code"]) for e in r.json()["errors"]}


async def intake(client, world, user="lc_v01", **overrides):
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, user)
    )
    assert r.status_code == 201, r.text
    return r.json()


# --- NUL characters ------------------------------------------------------------------------------------


def _with_party_name(name: str) -> dict:
    body = case_body()
    body["parties"][0]["name"] = name
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (case_body(summary=f"邻里纠纷{NUL}，双方协商未果。"), "summary"),
        (_with_party_name(f"张{NUL}三"), "parties.0.name"),
        (case_body(town_code=f"LY-LC{NUL}"), "town_code"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/routing/preview"])
async def test_nul_in_a_case_body_is_422_naming_the_field(client, world, app, path, body, field):
    r = await client.post(path, json=body, headers=await login(client, world, "lc_v01"))
    assert r.status_code == 422, r.text
    assert fields(r) == {(field, "string.nul")}
    assert await count(app, Case) == 0


@pytest.mark.parametrize(
    ("path", "user", "field"),
    [
        ("/api/v1/cases?town=LY-LC%00", "lc_sfs", "town"),
        ("/api/v1/cases?status=x%00&category=%00", "lc_sfs", "status"),
        ("/api/v1/sla/breaches?organization=LY%00", "bureau", "organization"),
        ("/api/v1/sla/at-risk?town=%00", "bureau", "town"),
        ("/api/v1/sla/summary?from=2026-01-01&to=2026-01-31&town=%00", "bureau", "town"),
        ("/api/v1/organizations?town=%00", "bureau", "town"),
    ],
)
async def test_nul_in_a_query_parameter_is_422_naming_it(client, world, path, user, field):
    r = await client.get(path, headers=await login(client, world, user))
    assert r.status_code == 422, r.text
    assert (field, "string.nul") in fields(r)


async def test_nul_in_organization_fields_and_path(client, world):
    admin = await login(client, world, "admin")
    new = {
        "code": "LY-LC-V99",
        "name": f"新村{NUL}调委会",
        "kind": "village_committee",
        "parent_code": "LY-LC",
    }
    r = await client.post("/api/v1/organizations", json=new, headers=admin)
    assert r.status_code == 422 and fields(r) == {("name", "string.nul")}, r.text
    r = await client.patch(
        "/api/v1/organizations/LY-LC-V01", json={"region_code": f"3204{NUL}"}, headers=admin
    )
    assert r.status_code == 422 and fields(r) == {("region_code", "string.nul")}, r.text
    r = await client.patch("/api/v1/organizations/LY%00", json={"name": "某某调委会"}, headers=admin)
    assert r.status_code == 422 and fields(r) == {("code", "string.nul")}, r.text


async def test_nul_in_routing_rules_login_and_lifecycle_actions(client, world):
    admin = await login(client, world, "admin")
    rules = (await client.get("/api/v1/routing/rules", headers=admin)).json()["current"]["rules"]
    rules[0]["id"] = f"r{NUL}"
    r = await client.put("/api/v1/routing/rules", json={"rules": rules, "note": "x"}, headers=admin)
    assert r.status_code == 422 and fields(r) == {("rules.0.id", "string.nul")}, r.text

    r = await client.post("/api/v1/auth/login", json={"username": f"lc{NUL}", "password": "x"})
    assert r.status_code == 422 and fields(r) == {("username", "string.nul")}, r.text

    v01 = await login(client, world, "lc_v01")
    case = await intake(client, world)
    r = await act(client, v01, case, "decline", reason=f"不属于本村{NUL}")
    assert r.status_code == 422 and fields(r) == {("reason", "string.nul")}, r.text


async def test_a_lone_surrogate_is_422_naming_the_field(client, world):
    admin = await login(client, world, "admin")
    rules = (await client.get("/api/v1/routing/rules", headers=admin)).json()["current"]["rules"]
    rules[0]["target"]["channel"] = "\ud800"
    r = await client.put(
        "/api/v1/routing/rules",
        content=json.dumps({"rules": rules}),  # ASCII-escaped: "\\ud800" on the wire
        headers={**admin, "content-type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert fields(r) == {("rules.0.target.channel", "string.unpaired_surrogate")}


# --- values of the wrong JSON type ---------------------------------------------------------------------


def _with_party(index: int, party: object) -> dict:
    body = case_body()
    body["parties"][index] = party
    return body


def _with_role(role: object) -> dict:
    body = case_body()
    body["parties"][0]["role"] = role
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with_role({}), "parties.0.role"),
        (_with_role([]), "parties.0.role"),
        (_with_role(["applicant"]), "parties.0.role"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/routing/preview"])
async def test_a_role_of_the_wrong_type_is_422(client, world, path, body, field):
    r = await client.post(path, json=body, headers=await login(client, world, "lc_v01"))
    assert r.status_code == 422, r.text
    assert (field, "literal_error") in fields(r)


@pytest.mark.parametrize("party", [[], 3, "respondent", None])
async def test_a_party_of_the_wrong_type_stays_422(client, world, party):
    """A guard beside the test above (this one passed before): the whole party of the wrong type."""
    r = await client.post(
        "/api/v1/routing/preview", json=_with_party(1, party), headers=await login(client, world, "lc_v01")
    )
    assert r.status_code == 422 and "parties.1" in {f for f, _ in fields(r)}, r.text


# --- crafted cursors -----------------------------------------------------------------------------------


def crafted(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# Each of these reached a query (or int()/fromisoformat()) as a value of the wrong type, or was taken as a
# position although we never issued it.
CRAFTED = [
    crafted(["2026-01-01T00:00:00+08:00", "00000000-0000-0000-0000-000000000000"]),  # well typed, unsigned
    crafted([1, 2]),
    crafted(["x", "y"]),
    crafted([{"a": 1}, []]),
    crafted([None]),
    crafted(["9"]),
]


@pytest.mark.parametrize("cursor", CRAFTED)
async def test_a_cursor_we_did_not_issue_is_400_on_every_list(client, world, cursor):
    case = await intake(client, world)
    lists = [
        ("/api/v1/cases", await login(client, world, "lc_v01")),
        (f"/api/v1/cases/{case['id']}/events", await login(client, world, "lc_v01")),
        ("/api/v1/sla/breaches", await login(client, world, "bureau")),
        ("/api/v1/sla/at-risk", await login(client, world, "bureau")),
        ("/api/v1/court/cases", world.headers("court")),
    ]
    for path, headers in lists:
        r = await client.get(path, params={"cursor": cursor}, headers=headers)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["code"] == "cursor.invalid", (path, r.text)


@pytest.mark.parametrize(
    "cursor", [crafted([]), crafted({"a": 1}), "not base64!.abc", "日本.签名", "x" * 600]
)
async def test_garbage_cursors_stay_400(client, world, cursor):
    """A guard (these were refused before too): not base64, not a list, the wrong length, too long."""
    r = await client.get(
        "/api/v1/cases", params={"cursor": cursor}, headers=await login(client, world, "lc_v01")
    )
    assert r.status_code == 400 and r.json()["code"] == "cursor.invalid", r.text


async def test_issued_cursors_page_through_and_belong_to_their_list(client, world):
    v01 = await login(client, world, "lc_v01")
    ids = {(await intake(client, world))["id"] for _ in range(3)}
    seen, cursor = [], None
    while True:
        r = await client.get(
            "/api/v1/cases", params={"limit": 1, **({"cursor": cursor} if cursor else {})}, headers=v01
        )
        assert r.status_code == 200, r.text
        seen += [c["id"] for c in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        issued = cursor
    assert sorted(seen) == sorted(ids)
    # The same sort key's shape, but another list's cursor: refused, not reinterpreted.
    r = await client.get("/api/v1/court/cases", params={"cursor": issued}, headers=world.headers("court"))
    assert r.status_code == 400 and r.json()["code"] == "cursor.invalid"
    body, signature = issued.rsplit(".", 1)
    tampered = crafted(["2999-01-01T00:00:00+08:00", json.loads(base64.urlsafe_b64decode(body + "=="))[1]])
    r = await client.get("/api/v1/cases", params={"cursor": f"{tampered}.{signature}"}, headers=v01)
    assert r.status_code == 400 and r.json()["code"] == "cursor.invalid"


async def test_case_events_page_with_a_signed_cursor(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await intake(client, world)
    r = await client.get(f"/api/v1/cases/{case['id']}/events", params={"limit": 1}, headers=v01)
    first = r.json()
    r = await client.get(
        f"/api/v1/cases/{case['id']}/events", params={"limit": 1, "cursor": first["next_cursor"]}, headers=v01
    )
    assert r.status_code == 200 and r.json()["items"][0]["id"] > first["items"][0]["id"], r.text


# --- datetimes without an offset, dates at the ends of the range -------------------------------------


@pytest.mark.parametrize("name", ["received_from", "received_to"])
async def test_a_filter_datetime_without_an_offset_is_422(client, world, name):
    r = await client.get(
        "/api/v1/cases", params={name: "2026-01-01T00:00:00"}, headers=await login(client, world, "lc_sfs")
    )
    assert r.status_code == 422 and fields(r) == {(name, "datetime.offset_required")}, r.text


@pytest.mark.parametrize(
    ("path", "user", "field"),
    [
        ("/api/v1/calendar/due?start=9999-12-31T23:59:59%2B08:00", "lc_v01", "start"),
        ("/api/v1/calendar/due?start=0001-01-01T00:00:00%2B14:00", "lc_v01", "start"),
        ("/api/v1/calendar/due?start=9999-12-31T00:00:00%2B08:00&working_days=60", "lc_v01", "start"),
        ("/api/v1/calendar/days/9999-12-31", "lc_v01", "day"),
        ("/api/v1/calendar/days/0001-01-01", "lc_v01", "day"),
        ("/api/v1/sla/summary?from=2026-01-01&to=9999-12-31", "bureau", "to"),
        ("/api/v1/sla/summary?from=0001-01-01&to=2026-01-01", "bureau", "from"),
        ("/api/v1/sla/breaches?to=9999-12-31", "bureau", "to"),
        ("/api/v1/sla/breaches?from=0001-01-01", "bureau", "from"),
        ("/api/v1/cases?received_from=0001-01-01T00:00:00%2B14:00", "lc_sfs", "received_from"),
        ("/api/v1/cases?received_to=9999-12-31T23:59:59-12:00", "lc_sfs", "received_to"),
    ],
)
async def test_dates_at_the_ends_of_the_range_are_422_with_the_bound(client, world, path, user, field):
    r = await client.get(path, headers=await login(client, world, user))
    assert r.status_code == 422, r.text
    assert fields(r) == {(field, "date.out_of_range")}
    assert "1900-01-01 and 2099-12-31" in r.json()["errors"][0]["message"]


async def test_received_at_at_the_start_of_time_is_422(client, world, app):
    r = await client.post(
        "/api/v1/cases",
        json=case_body(received_at="0001-01-01T00:00:00+14:00"),
        headers=await login(client, world, "lc_v01"),
    )
    assert r.status_code == 422 and fields(r) == {("received_at", "received_at.too_old")}, r.text
    assert await count(app, Case) == 0


# --- business-date bounds ------------------------------------------------------------------------------


def today() -> datetime:
    return datetime.now(SHANGHAI)


@pytest.mark.parametrize(
    ("patch", "field", "code"),
    [
        ({"received_at": "2020-01-01T09:00:00+08:00"}, "received_at", "received_at.too_old"),
        ({"occurred_on": "1949-09-30"}, "occurred_on", "occurred_on.too_early"),
        ({"occurred_on": "0001-01-01"}, "occurred_on", "occurred_on.too_early"),
    ],
)
async def test_intake_dates_outside_the_business_bounds_are_422(client, world, app, patch, field, code):
    r = await client.post(
        "/api/v1/cases", json=case_body(**patch), headers=await login(client, world, "lc_v01")
    )
    assert r.status_code == 422 and fields(r) == {(field, code)}, r.text
    assert await count(app, Case) == 0


async def test_intake_dates_inside_the_bounds_are_accepted(client, world):
    recent = (today() - timedelta(days=300)).isoformat()
    case = await intake(client, world, received_at=recent, occurred_on="1949-10-01")
    assert case["occurred_on"] == "1949-10-01"


async def mediating(client, world, **overrides):
    v01 = await login(client, world, "lc_v01")
    case = await intake(client, world, **overrides)
    r = await act(client, v01, case, "accept")
    assert r.status_code == 200, r.text
    return v01, r.json()


def settled(effective_on: str) -> dict:
    return {"outcome": "settled", "agreement_type": "written", "agreement_effective_on": effective_on}


@pytest.mark.parametrize(
    ("effective_on", "code"),
    [
        ("9999-12-31", "date.out_of_range"),
        ("0001-01-01", "date.out_of_range"),
        ((today() + timedelta(days=4)).date().isoformat(), "agreement_effective_on.too_late"),
    ],
)
async def test_agreement_effective_on_outside_its_bounds_is_422(client, world, effective_on, code):
    v01, case = await mediating(client, world)
    r = await act(client, v01, case, "outcome", **settled(effective_on))
    assert r.status_code == 422 and fields(r) == {("agreement_effective_on", code)}, r.text


async def test_agreement_cannot_take_effect_before_the_case_was_received(client, world):
    received = today() - timedelta(days=10)
    v01, case = await mediating(client, world, received_at=received.isoformat())
    day_before = (received - timedelta(days=1)).date().isoformat()
    r = await act(client, v01, case, "outcome", **settled(day_before))
    assert r.status_code == 422, r.text
    assert fields(r) == {("agreement_effective_on", "agreement_effective_on.before_received")}
    # The bounds themselves are allowed: from the day received to three days ahead.
    r = await act(client, v01, case, "outcome", **settled(received.date().isoformat()))
    assert r.status_code == 200, r.text
    v01, other = await mediating(client, world)
    ahead = (today() + timedelta(days=3)).date()
    r = await act(client, v01, other, "outcome", **settled(ahead.isoformat()))
    assert r.status_code == 200, r.text
    assert r.json()["judicial_confirmation_due_on"] == (ahead + timedelta(days=30)).isoformat()


def test_the_bounds_are_in_the_openapi_descriptions():
    schemas = openapi_document()["components"]["schemas"]
    intake_fields = schemas["CaseIn"]["properties"]
    assert "365 days back" in intake_fields["received_at"]["description"]
    assert "1949-10-01" in intake_fields["occurred_on"]["description"]
    assert "3 days" in schemas["OutcomeIn"]["properties"]["agreement_effective_on"]["description"]


# --- numbers are not dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "user", "field"),
    [
        ("/api/v1/calendar/days/0", "lc_v01", "day"),
        ("/api/v1/calendar/due?start=0.5", "lc_v01", "start"),
        ("/api/v1/cases?received_to=0.5", "lc_sfs", "received_to"),
        ("/api/v1/sla/breaches?to=0", "bureau", "to"),
        ("/api/v1/sla/summary?from=1&to=2", "bureau", "from"),
    ],
)
async def test_a_number_is_not_a_date(client, world, path, user, field):
    """Pydantic's lax mode would read these as Unix timestamps (1970-01-01) and answer 200."""
    r = await client.get(path, headers=await login(client, world, user))
    assert r.status_code == 422, r.text
    assert (field, "date.format") in fields(r)


async def test_a_number_is_not_an_agreement_date_nor_an_intake_date(client, world):
    headers = await login(client, world, "lc_v01")
    r = await client.post(
        "/api/v1/cases", json=case_body(occurred_on=0, received_at=1700000000), headers=headers
    )
    assert r.status_code == 422 and {f for f, _ in fields(r)} == {"occurred_on", "received_at"}, r.text
    case = await intake(client, world)
    case = (await act(client, headers, case, "accept")).json()
    r = await act(client, headers, case, "outcome", outcome="failed", agreement_effective_on=0)
    assert r.status_code == 422 and fields(r) == {("agreement_effective_on", "date.format")}, r.text


async def test_nul_in_the_login_form_is_a_page_error_not_a_500(client, world):
    from tests.browser.web import web_login

    r = await web_login(client, "lc_v01\x00", "x\x00y")
    assert r.status_code == 422 and "无法识别的字符" in r.text
