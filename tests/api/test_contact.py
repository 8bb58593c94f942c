"""Contact with the parties: who may reveal full phones and addresses, the access log, the per-user limit,
and landline numbers taken, masked and revealed like mobiles."""

from __future__ import annotations

from tests.support import act, case_body, login


async def register(client, world, username="lc_v01", **overrides):
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, username)
    )
    assert r.status_code == 201, r.text
    return r.json()


def reveal(client, headers, case):
    return client.post(f"/api/v1/cases/{case['id']}/contact-reveal", headers=headers)


async def test_the_holder_reveals_and_the_supervisor_reads_the_log(client, world):
    v01 = await login(client, world, "lc_v01")
    case = await register(client, world)
    detail = (await client.get(f"/api/v1/cases/{case['id']}", headers=v01)).json()
    assert detail["may_reveal_contact"] is True
    assert detail["parties"][0]["phone"] == "138****8000"  # masked everywhere else, as before

    r = await reveal(client, v01, case)
    assert r.status_code == 200, r.text
    shown = r.json()
    applicant, respondent = shown["parties"]
    assert applicant["phone"] == "13800138000" and applicant["address"] == "溧城街道八字桥社区12号"
    assert respondent["phone"] == "13900139000" and respondent["address"] is None
    assert applicant["id_number"] == case["parties"][0]["id_number"]  # ID numbers stay masked
    assert "最小必要" in shown["notice"]

    sfs = await login(client, world, "lc_sfs")
    log = await client.get(f"/api/v1/cases/{case['id']}/contact-log", headers=sfs)
    assert log.status_code == 200, log.text
    (entry,) = log.json()["items"]
    assert entry["user"] == "lc_v01" and entry["organization"]["code"] == "LY-LC-V01"
    assert entry["fields"] == ["address", "phone"] and entry["parties"] == [0, 1]
    assert (await client.get(f"/api/v1/cases/{case['id']}", headers=sfs)).json()["may_read_contact_log"]

    # The bureau and admins read it too; the mediator does not; another town's office cannot see the case.
    bureau = await login(client, world, "bureau")
    assert (await client.get(f"/api/v1/cases/{case['id']}/contact-log", headers=bureau)).status_code == 200
    r = await client.get(f"/api/v1/cases/{case['id']}/contact-log", headers=v01)
    assert r.status_code == 403 and r.json()["code"] == "contact.log_not_permitted"
    dt_sfs = await login(client, world, "dt_sfs")
    assert (await client.get(f"/api/v1/cases/{case['id']}/contact-log", headers=dt_sfs)).status_code == 404
    # Supervisors may read the log but not reveal.
    r = await reveal(client, sfs, case)
    assert r.status_code == 403 and r.json()["code"] == "contact.not_permitted"


async def test_the_contact_log_pages_newest_first(client, world):
    v01, sfs = await login(client, world, "lc_v01"), await login(client, world, "lc_sfs")
    case = await register(client, world)
    for _ in range(3):
        assert (await reveal(client, v01, case)).status_code == 200
    url = f"/api/v1/cases/{case['id']}/contact-log"
    first = (await client.get(url, params={"limit": 2}, headers=sfs)).json()
    second = (await client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=sfs)).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True) and second["next_cursor"] is None


async def test_the_registrar_reveals_only_while_the_case_is_with_it(client, world):
    stn, v02 = await login(client, world, "lc_stn"), await login(client, world, "lc_v02")
    case = await register(client, world, username="lc_stn", village_code="LY-LC-V02")
    assert case["current_organization"]["code"] == "LY-LC-V02"
    r = await reveal(client, stn, case)  # the town station registered it, village 02 holds it
    assert r.status_code == 403 and r.json()["code"] == "contact.not_permitted"
    assert (await reveal(client, v02, case)).status_code == 200
    r = await act(client, v02, case, "decline", reason="不属于本组织受理范围")
    assert r.status_code == 200 and r.json()["status"] == "pending_dispatch"
    # Back with nobody: the registering committee phones the parties again; the decliner no longer may.
    assert (await reveal(client, stn, case)).status_code == 200
    assert (await reveal(client, v02, case)).status_code == 403
    # Out of scope is absent, as everywhere.
    assert (await reveal(client, await login(client, world, "dt_v01"), case)).status_code == 404


async def test_reveals_are_limited_per_person_and_hour(client, world, app):
    app.state.ctx.settings.contact_reveals_per_hour = 2
    v01 = await login(client, world, "lc_v01")
    case = await register(client, world)
    assert (await reveal(client, v01, case)).status_code == 200
    assert (await reveal(client, v01, case)).status_code == 200
    r = await reveal(client, v01, case)
    assert r.status_code == 429 and r.json()["code"] == "contact.rate_limited"
    assert 3000 < int(r.headers["Retry-After"]) <= 3600 and "最小必要" in r.json()["detail"]
    log = await client.get(
        f"/api/v1/cases/{case['id']}/contact-log", headers=await login(client, world, "lc_sfs")
    )
    assert len(log.json()["items"]) == 2  # the refused reveal showed nothing and logged nothing
    # Per person: another holder's mediator is not held back by it.
    other = await register(client, world, username="lc_stn", village_code="LY-LC-V02")
    assert (await reveal(client, await login(client, world, "lc_v02"), other)).status_code == 200


async def test_a_landline_is_taken_masked_and_revealed_like_a_mobile(client, world):
    parties = case_body()["parties"]
    parties[1]["phone"] = "0519-87654321转123"
    case = await register(client, world, parties=parties)
    assert case["parties"][1]["phone"] == "0519****4321"
    r = await reveal(client, await login(client, world, "lc_v01"), case)
    assert r.json()["parties"][1]["phone"] == "0519-87654321-123"

    parties[1]["phone"] = "0519-1234567"  # a local number never starts with 1
    r = await client.post(
        "/api/v1/cases", json=case_body(parties=parties), headers=await login(client, world, "lc_v01")
    )
    assert r.status_code == 422
    assert ("parties.1.phone", "phone.format") in {(e["field"], e["code"]) for e in r.json()["errors"]}
