"""The pages' pure helpers: the SLA mark computed from dispatch_due_at, and Asia/Shanghai times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.web.labels import event_label, local_time, sla_mark, status_label

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


def test_no_deadline_yet_means_no_mark_and_a_breach_field_wins():
    assert sla_mark({"status": "pending_dispatch", "dispatch_due_at": None}, NOW) is None
    breached = {"status": "dispatched", "dispatch_due_at": None, "breach": {"late_by": 3}}
    assert sla_mark(breached, NOW) == "late"


def test_midnight_due_reads_as_24_00_of_the_working_day():
    due = datetime(2025, 10, 11, 16, 0, tzinfo=UTC)  # 2025-10-12 00:00 +08:00
    assert local_time(due) == "2025-10-11 24:00"
    assert local_time("2025-10-11T09:30:00+08:00") == "2025-10-11 09:30"
    assert local_time(None) == "—"


def test_labels_are_chinese_and_unknown_codes_pass_through():
    assert status_label("pending_dispatch") == "待分派"
    assert event_label("case.created") == "登记"
    assert event_label("case.something_new") == "case.something_new"
