"""ID numbers and phones typed into free text are masked in every masked view and in the logs."""

from __future__ import annotations

import json
import logging
import sys

from app.logging_config import JsonFormatter
from app.pii.logs import MaskPersonalData
from tests.support import act, case_body, login

ID = "320481198005170012"
SUMMARY = f"申请人张三（身份证{ID}，电话+86 139-0013-9000）与邻居因砌墙争执，损失80000.00元，2026-11-01发生。"
SECRETS = (ID, "139-0013-9000", "13900139000", "0519-87654321", "13700137000", "13600136000")


def assert_masked(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


async def test_free_text_is_masked_in_the_case_api_the_timeline_and_the_pages(client, world):
    v01 = await login(client, world, "lc_v01")
    r = await client.post("/api/v1/cases", json=case_body(summary=SUMMARY), headers=v01)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["summary"] == (
        "申请人张三（身份证320481********0012，电话139****9000）与邻居因砌墙争执，损失80000.00元，2026-11-01发生。"
    )
    r = await act(client, v01, case, "accept", note="已联系单位电话0519-87654321")
    r = await act(client, v01, r.json(), "escalate", reason="调解不成，申请人另留电话13700137000")
    assert r.status_code == 200, r.text
    case = r.json()
    assert_masked(case["routing"]["explanation"])
    assert "137****7000" in case["routing"]["explanation"]

    stn = await login(client, world, "lc_stn")
    r = await act(client, stn, case, "accept")
    assert r.status_code == 200, r.text
    r = await act(
        client, stn, r.json(), "outcome", outcome="settled", note="双方和解，被申请人电话13600136000"
    )
    assert r.status_code == 200, r.text

    for who in ("lc_v01", "lc_sfs", "bureau", "admin"):
        headers = await login(client, world, who)
        shown = await client.get(f"/api/v1/cases/{case['id']}", headers=headers)
        listed = await client.get("/api/v1/cases", headers=headers)
        events = await client.get(f"/api/v1/cases/{case['id']}/events", headers=headers)
        for r in (shown, listed, events):
            assert r.status_code == 200, r.text
            assert_masked(r.text)
        items = events.json()["items"]
        assert (
            next(e["reason"] for e in items if e["type"] == "case.accepted") == "已联系单位电话0519****4321"
        )
        resolved = next(e for e in items if e["type"] == "case.resolved")
        assert resolved["data"]["note"] == "双方和解，被申请人电话136****6000"
        assert resolved["data"]["outcome"] == "settled"

    client.cookies.set("jiefen_session", world.tokens["lc_v01"])
    page = await client.get(f"/m/cases/{case['id']}")
    assert page.status_code == 200 and "砌墙争执" in page.text
    assert_masked(page.text)
    inbox = await client.get("/m/")
    assert inbox.status_code == 200
    assert_masked(inbox.text)


def test_log_messages_and_tracebacks_are_masked():
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskPersonalData())
    try:
        raise ValueError(f"bad summary: {SUMMARY}")
    except ValueError:
        record = logging.LogRecord(
            "jiefen", logging.ERROR, __file__, 1, "note %s", ("电话13900139000",), None
        )
        record.exc_info = sys.exc_info()
    record.fields = {"request_id": "13900139000"}  # structured fields are ids by design: kept as sent
    assert handler.filter(record)
    line = json.loads(handler.format(record))
    assert line["message"] == "note 电话139****9000"
    assert_masked(line["exception"])
    assert "320481********0012" in line["exception"]
    assert line["request_id"] == "13900139000"


def test_the_service_log_handler_masks_personal_data():
    """What `jiefen serve` and the app install: the JSON handler carries the masking filter."""
    from app.logging_config import logging_config

    handler = logging_config("INFO")["handlers"]["stdout"]
    assert "personal_data" in handler["filters"]
