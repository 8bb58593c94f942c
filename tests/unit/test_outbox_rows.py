"""Who receives which feed rows."""

from datetime import UTC, datetime

from app.feed.outbox import ROUTED_AWAY, feed_rows

COURT, CC = 3, 2
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def ev(type_: str, version: int) -> dict:
    return {"case_id": "c", "type": type_, "case_version": version, "data": {}, "occurred_at": NOW}


def test_dispatch_to_the_court_is_delivered_and_other_orgs_get_nothing():
    rows = feed_rows([ev("case.created", 1), ev("case.dispatched", 2)], [None, None], COURT, None, {COURT})
    assert [(r["organization_id"], r["type"]) for r in rows] == [(COURT, "case.dispatched")]
    assert feed_rows([ev("case.dispatched", 2)], [None], CC, None, {COURT}) == []


def test_decline_by_the_court_then_auto_dispatch_elsewhere_is_routed_away():
    rows = feed_rows([ev("case.declined", 4), ev("case.dispatched", 5)], [COURT, None], CC, None, {COURT})
    assert [(r["type"], r["data"]["event"]) for r in rows] == [(ROUTED_AWAY, "case.declined")]


def test_outcome_and_close_reach_the_court_that_resolved_it():
    assert [r["type"] for r in feed_rows([ev("case.resolved", 4)], [COURT], None, COURT, {COURT})] == [
        "case.resolved"
    ]
    assert [r["type"] for r in feed_rows([ev("case.closed", 5)], [None], None, COURT, {COURT})] == [
        "case.closed"
    ]
