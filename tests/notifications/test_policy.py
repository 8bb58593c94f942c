"""Pure rules: URL policy, masking, formats' limits, backoff, and no personal data in any payload."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.notifications import messages, policy
from app.notifications.formats import WECOM_MAX_BYTES, body_bytes, render
from app.notifications.messages import CaseFacts, DigestFacts
from app.notifications.urls import AllowList, UrlRefused, check_url, mask_url
from app.pii.free_text import mask_free_text
from tests.support import make_id_number

NOW = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://user:pw@example.com/hook",
        "https://[::1",  # malformed: refused, never a 500
        "https://example.com:99999/hook",
    ],
)
def test_private_addresses_and_plain_http_are_refused_without_the_allow_list(url):
    with pytest.raises(UrlRefused):
        check_url(url, AllowList.parse(""))


def test_the_allow_list_admits_listed_hosts_and_networks():
    allow = AllowList.parse("127.0.0.1, 10.8.0.0/16, govwx.internal")
    assert check_url("http://127.0.0.1:8080/x", allow)
    assert check_url("https://10.8.3.4/x", allow)
    assert check_url("https://govwx.internal/cgi-bin/webhook/send?key=a", allow)
    with pytest.raises(UrlRefused):
        check_url("https://10.9.0.1/x", allow)
    assert check_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", AllowList.parse(""))


def test_robot_keys_are_masked():
    masked = mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0")
    assert masked == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****"


def test_wecom_content_stays_under_4096_bytes():
    top = [
        CaseFacts(
            uuid.uuid4(), f"LY-2026-{i:06d}", "neighbour", "溧城镇八字桥社区人民调解委员会", "王某", NOW
        )
        for i in range(200)
    ]
    notice = messages.digest(
        DigestFacts("溧城司法所", date(2026, 12, 7), {"dispatch": 200}, {}, top), "https://x"
    )
    content = render("wecom", notice, NOW)["markdown"]["content"]
    assert len(content.encode()) <= WECOM_MAX_BYTES
    assert content.endswith("…") and content.startswith("### 溧城司法所")


def test_backoff_first_retry_within_10_s_doubling_to_an_hour_then_dead_after_24_h():
    rng = random.Random(7)
    waits = [policy.backoff_seconds(n, rng) for n in range(1, 15)]
    assert 5 <= waits[0] <= 10
    assert all(b >= a or b == policy.MAX_WAIT_SECONDS for a, b in itertools.pairwise(waits))
    assert max(waits) == policy.MAX_WAIT_SECONDS
    retry = policy.Outcome(policy.Verdict.RETRY, 500)
    assert policy.next_attempt(retry, 3, NOW, NOW + timedelta(hours=1), rng) is not None
    assert policy.next_attempt(retry, 30, NOW, NOW + timedelta(hours=23, minutes=59), rng) is None
    assert policy.classify("webhook", 404, None, None).verdict == policy.Verdict.DEAD
    assert policy.classify("webhook", 429, None, "12").retry_after == 12
    assert policy.classify("wecom", 200, {"errcode": 45009}, None).verdict == policy.Verdict.WAIT
    assert policy.classify("dingtalk", 200, {"errcode": 310000}, None).verdict == policy.Verdict.DEAD


names = st.text(alphabet="王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗明华建国小红伟芳", min_size=2, max_size=4)


@settings(max_examples=150, deadline=None)
@given(name=names, seed=st.integers(0, 10**6), phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_no_full_id_number_phone_or_name_in_any_payload(name, seed, phone):
    id_number = make_id_number(random.Random(seed))
    # Personal data typed into the free text a message quotes (a 督办's note, the court's answer).
    note = f"{name}（身份证{id_number}，电话{phone}）未到场"
    facts = CaseFacts(
        uuid.uuid4(), "LY-2026-000001", "neighbour", "溧城司法所", messages.surname_only(name), NOW
    )
    notices = [
        messages.breach(facts, "https://x"),
        messages.digest(
            DigestFacts("溧城司法所", date(2026, 12, 7), {"dispatch": 1}, {}, [facts]), "https://x"
        ),
        messages.urge("urge.created", facts, "溧城司法所", mask_free_text(note), "https://x", NOW),
        messages.confirmation("case.confirmation_answered", facts, mask_free_text(note), "https://x"),
    ]
    for notice in notices:
        for kind in ("wecom", "dingtalk", "webhook"):
            text = body_bytes(render(kind, notice, NOW)).decode()
            assert id_number not in text and phone not in text
            assert f"申请人{name}" not in text and f"申请人：{name}" not in text
