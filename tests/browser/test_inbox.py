"""The inbox (/m/) through httpx: tabs and counts per role, exact search, filters, keyset pages, no cap."""

from __future__ import annotations

import random
import re

from app.web.inbox import PAGE_SIZE
from tests.browser.web import web_login
from tests.support import act, case_body, login, make_id_number, person

REFERENCE = re.compile(r"LY-\d{4}-\d{6}")


def references(html: str) -> list[str]:
    """The case numbers on the cards, in order."""
    found = html.split('id="case-list"', 1)
    return REFERENCE.findall(found[1]) if len(found) == 2 else []


def tab_count(html: str, tab: str) -> int:
    match = re.search(rf'id="tab-{tab}">[^<]*<span class="count">(\d+)</span>', html)
    assert match, f"no tab {tab}"
    return int(match.group(1))


async def new_case(client, world, username="lc_v01", **overrides):
    r = await client.post(
        "/api/v1/cases", json=case_body(**overrides), headers=await login(client, world, username)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_tabs_count_the_organizations_work_and_the_first_with_work_opens(client, world):
    v01 = await login(client, world, "lc_v01")
    waiting = await new_case(client, world)
    mediating = (await act(client, v01, await new_case(client, world), "accept")).json()
    to_town = await new_case(client, world, claim_amount="80000.00")  # registered here, held by the station
    await web_login(client, "lc_v01")
    home = (await client.get("/m/")).text
    assert [tab_count(home, t) for t in ("incoming", "mediating", "follow_up", "registered", "done")] == [
        1,
        1,
        0,
        3,
        0,
    ]
    assert references(home) == [waiting["reference"]]  # 待受理 opens first
    assert "＋ 登记新纠纷" in home
    registered = (await client.get("/m/?tab=registered")).text
    assert set(references(registered)) == {waiting["reference"], mediating["reference"], to_town["reference"]}
    card = registered.split(to_town["reference"], 1)[1]
    assert "八字桥社区" in card and "溧城街道" in card and "人民调解委员会" not in card.split("</li>", 1)[0]
    mediating_tab = (await client.get("/m/?tab=mediating")).text
    assert "调解已" in mediating_tab or "今日受理" in mediating_tab


async def test_search_by_number_exact_name_and_id_number_through_the_blind_index(client, world):
    id_number = make_id_number(random.Random(77))
    target = await new_case(
        client,
        world,
        parties=[person("applicant", "钱七", 5, id_number=id_number), person("respondent", "孙八", 6)],
    )
    other = await new_case(client, world)
    await web_login(client, "lc_v01")
    for q in (target["reference"], target["reference"].lower(), "钱七", id_number, id_number.lower()):
        page = (await client.get("/m/", params={"q": q})).text
        assert references(page) == [target["reference"]], q
    assert references((await client.get("/m/", params={"q": "钱"})).text) == []  # exact names only
    assert other["reference"] in (await client.get("/m/?tab=incoming")).text
    # Another committee's case is not found, even by its exact number.
    hidden = await new_case(client, world, username="dt_v01")
    assert references((await client.get("/m/", params={"q": hidden["reference"]})).text) == []


async def test_filters_by_state_and_category(client, world):
    v01 = await login(client, world, "lc_v01")
    debt = await new_case(client, world, category="debt")
    accepted = (await act(client, v01, await new_case(client, world), "accept")).json()
    await web_login(client, "lc_v01")
    by_category = (await client.get("/m/", params={"tab": "registered", "category": "debt"})).text
    assert references(by_category) == [debt["reference"]]
    by_state = (await client.get("/m/", params={"tab": "registered", "status": "in_mediation"})).text
    assert references(by_state) == [accepted["reference"]]


async def test_keyset_pages_reach_every_case_with_no_cap(client, world):
    total = PAGE_SIZE * 2 + 3
    made = [(await new_case(client, world))["reference"] for _ in range(total)]
    await web_login(client, "lc_v01")
    seen: list[str] = []
    url = "/m/?tab=registered"
    while url:
        page = (await client.get(url)).text
        seen += references(page)
        more = re.search(r'id="more" rel="next"\s+href="([^"]+)"', page)
        url = more.group(1).replace("&amp;", "&") if more else ""
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen)) == total
    assert (await client.get("/m/", params={"cursor": "forged.cursor"})).status_code in (200, 303)


async def test_a_supervisor_is_not_offered_registration_and_sees_the_town_by_state(client, world):
    await new_case(client, world)
    await web_login(client, "lc_sfs")
    home = (await client.get("/m/")).text
    assert "登记新纠纷" not in home and 'href="/m/cases/new"' not in home
    assert 'id="tab-registered"' not in home
    assert tab_count(home, "incoming") == 1


async def test_the_new_case_form_tells_a_supervisor_at_once_that_they_cannot_register(client, world):
    await web_login(client, "lc_sfs")
    r = await client.get("/m/cases/new")
    assert r.status_code == 403 and "不能登记纠纷" in r.text and 'id="intake"' not in r.text
