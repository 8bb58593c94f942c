"""The pages' pure helpers: the SLA mark computed from dispatch_due_at, and Asia/Shanghai times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.web.labels import case_status_label, event_label, explain, local_time, money, sla_mark, status_label

NOW = datetime(2025, 10, 10, 4, 0, tzinfo=UTC)


def test_late_only_while_still_waiting_for_dispatch():
    due = NOW - timedelta(minutes=1)
    assert sla_mark({"status": "pending_dispatch", "dispatch_due_at": due}, NOW) == "late"
    assert sla_mark({"status": "dispatched", "dispatch_due_at": due}, NOW) is None


def test_at_risk_within_24_hours_of_the_due_time():
    case = {"status": "pending_dispatch", "dispatch_due_at": (NOW + timedelta(hours=23)).isoformat()}
    assert sla_mark(case, NOW) == "at_risk"
    case["dispatch_due_at"] = NOW + timedelta(hours=25)
    assert sla_mark(case, NOW) is None


def test_no_deadline_yet_means_no_mark_and_an_open_breach_wins():
    assert sla_mark({"status": "pending_dispatch", "dispatch_due_at": None}, NOW) is None
    breached = {"status": "pending_dispatch", "dispatch_due_at": None, "breach": {"open": True}}
    assert sla_mark(breached, NOW) == "late"


def test_late_disappears_when_the_clock_has_stopped():
    # Dispatched late, or withdrawn while late: the breach is history, the case is no longer 已超期.
    due = NOW - timedelta(days=2)
    for status in ("dispatched", "in_mediation", "resolved"):
        case = {"status": status, "dispatch_due_at": due, "breach": {"open": False}}
        assert sla_mark(case, NOW) is None


def test_money_reads_one_way_and_a_withdrawn_case_reads_withdrawn():
    assert money("80000") == "80,000.00 元"
    assert money(Decimal("1234.5")) == "1,234.50 元"
    assert money(None) == "—"
    assert case_status_label({"status": "resolved", "outcome": "withdrawn"}) == "已撤回"
    assert case_status_label({"status": "resolved", "outcome": "settled"}) == "已办结"


def test_routing_is_explained_by_the_rules_description_not_its_id():
    text = "规则 town-threshold（金额较大或跨村的纠纷由镇调委会调解）命中：金额 80000；分派至镇调委会。"
    assert explain(text).startswith("依据“金额较大或跨村的纠纷由镇调委会调解”：")
    assert "town-threshold" not in explain(text)
    escalated = explain("原承办层级（village）调解不成或超出职责")
    assert "village" not in escalated and "调解不成" in escalated


def test_midnight_due_reads_as_24_00_of_the_working_day():
    due = datetime(2025, 10, 11, 16, 0, tzinfo=UTC)  # 2025-10-12 00:00 +08:00
    assert local_time(due) == "2025-10-11 24:00"
    assert local_time("2025-10-11T09:30:00+08:00") == "2025-10-11 09:30"
    assert local_time(None) == "—"


def test_labels_are_chinese_and_unknown_codes_pass_through():
    assert status_label("pending_dispatch") == "待分派"
    assert event_label("case.created") == "登记"
    assert event_label("case.something_new") == "case.something_new"
