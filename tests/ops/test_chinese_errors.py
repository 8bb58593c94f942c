"""Chinese problem answers when Accept-Language prefers zh: title, detail, each field message; same codes."""

from __future__ import annotations

import re
import uuid

import httpx

from app.auth.passwords import MIN_LENGTH
from app.main import create_app
from tests.support import PASSWORD, act, case_body, login

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"Accept-Language": "en-US,en;q=0.9,zh-CN;q=0.8"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _bad_case() -> dict:
    body = case_body(category="nope", risk_level="extreme", summary="", claim_amount="abc")
    valid = body["parties"][0]["id_number"]
    body["parties"][0]["id_number"] = valid[:17] + ("0" if valid[17] != "0" else "1")  # a wrong check digit
    body["parties"][1]["phone"] = "12345"
    del body["parties"][0]["name"]
    return body


async def _post_case(client, headers, body):
    return await client.post(
        "/api/v1/cases", json=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
    )


def _all_chinese(problem: dict) -> None:
    assert CJK.search(problem["title"]), problem["title"]
    assert CJK.search(problem["detail"]), problem["detail"]
    for error in problem.get("errors", []):
        assert CJK.search(error["message"]), error


async def test_every_field_error_of_an_intake_reads_chinese_with_the_same_codes(client, world):
    headers = await login(client, world, "lc_v01")
    english = await _post_case(client, headers, _bad_case())
    chinese = await _post_case(client, {**headers, **ZH}, _bad_case())
    assert english.status_code == chinese.status_code == 422
    en, zh = english.json(), chinese.json()
    assert en["title"] == "Invalid request" and en["detail"] == "The request has invalid fields."
    assert not any(CJK.search(e["message"]) for e in en["errors"])  # English stays today's text
    _all_chinese(zh)
    assert zh["title"] == "请求内容有误" and zh["code"] == en["code"] == "validation_failed"
    assert [(e["field"], e["code"]) for e in zh["errors"]] == [(e["field"], e["code"]) for e in en["errors"]]
    by_code = {e["code"]: e["message"] for e in zh["errors"]}
    assert by_code["id_number.checksum"] == "身份证号码校验位不符，请核对。"
    assert by_code["phone.format"].startswith("请填写有效的手机号码")
    assert by_code["string_too_short"] == "至少 5 个字。"  # pydantic's limit, kept through CaseIn
    assert chinese.headers["content-language"] == "zh-CN"
    assert "Accept-Language" in chinese.headers["vary"]


async def test_q_values_decide_and_english_is_the_default(client, world):
    headers = await login(client, world, "lc_v01")
    missing = f"/api/v1/cases/{uuid.uuid4()}"
    cases = [
        ({}, "No such case."),
        (EN, "No such case."),
        ({"Accept-Language": "zh;q=0"}, "No such case."),
        ({"Accept-Language": "en;q=0.3, zh-Hans;q=0.8"}, "没有该案件。"),
        ({"Accept-Language": "zh"}, "没有该案件。"),
    ]
    for language, detail in cases:
        r = await client.get(missing, headers={**headers, **language})
        assert r.status_code == 404 and r.json()["code"] == "case.not_found"
        assert r.json()["detail"] == detail, language


async def test_authentication_and_conflicts_answer_in_chinese(client, world):
    r = await client.get("/api/v1/cases", headers={**ZH, "Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"
    assert r.json()["title"] == "需要登录" and CJK.search(r.json()["detail"])

    headers = {**await login(client, world, "lc_v01"), **ZH}
    created = await _post_case(client, headers, case_body())
    assert created.status_code == 201, created.text
    case = created.json()
    stale = {**case, "version": case["version"] - 1}
    r = await act(client, headers, stale, "accept")
    assert r.status_code == 412, r.text
    assert r.json()["detail"] == "案件已被他人更新，请刷新后重试。" and r.json()["code"] == "version_mismatch"


async def test_a_message_with_a_value_carries_it_in_chinese(client, world):
    headers = {**await login(client, world, "lc_v01"), **ZH}
    r = await client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "aB1"}, headers=headers
    )
    assert r.status_code == 422, r.text
    [short] = [e for e in r.json()["errors"] if e["code"] == "password.too_short"]
    assert short["message"] == f"密码至少 {MIN_LENGTH} 个字符。"


async def test_pydantic_errors_are_mapped_by_type_with_their_limits(client, world):
    headers = {**await login(client, world, "admin"), **ZH}
    r = await client.get("/api/v1/cases", params={"limit": 100000}, headers=headers)
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert error["code"] == "less_than_equal" and re.fullmatch(r"应不大于 \d+。", error["message"])


async def test_the_body_limit_and_the_500_answer_in_chinese(settings, world):
    app = create_app(settings.model_copy(update={"max_body_bytes": 1000}))

    async def boom() -> None:
        raise RuntimeError("internals")

    app.add_api_route("/api/v1/test-boom", boom, methods=["GET"])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            big = await c.post(
                "/api/v1/cases", content=b"x" * 2000, headers={**ZH, "Content-Type": "application/json"}
            )
            assert big.status_code == 413 and big.json()["code"] == "body.too_large"
            assert big.json()["detail"] == "请求内容超过 1000 字节。" and big.json()["max_body_bytes"] == 1000
            failed = await c.get("/api/v1/test-boom", headers=ZH)
            assert failed.status_code == 500 and failed.json()["code"] == "internal_error"
            assert failed.json()["title"] == "服务器内部错误"
            english = await c.get("/api/v1/test-boom")
            assert english.json()["title"] == "Internal server error"
    finally:
        await app.state.ctx.close()


async def test_the_pages_scripts_ask_for_chinese_or_leave_it_to_the_browser():
    # The pages are in Chinese: a script that names Accept-Language asks for zh (the case page does, so a
    # phone set to another language still reads the API's errors in the page's language); the others leave
    # the browser's own header, which a zh-CN phone sends with every fetch.
    import re

    from app.web.assets import ASSETS

    for name, asset in ASSETS.items():
        if name.endswith(".js"):
            for value in re.findall(rb'"Accept-Language":\s*"([^"]*)"', asset.body):
                assert value.startswith(b"zh"), (name, value)
