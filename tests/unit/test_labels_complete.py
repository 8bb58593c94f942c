"""Every enum a person can see has a Chinese label: a new value without one fails here, not on a page."""

from __future__ import annotations

import re

import pytest

from app.cases import lifecycle
from app.cases.lifecycle import EVENT_TYPES, Outcome
from app.cases.permissions import RULES
from app.confirmation.service import RECORDED_EVENTS
from app.feed.outbox import ROUTED_AWAY
from app.models import (
    CaseSource,
    CaseStatus,
    ChannelKind,
    ConfirmationStatus,
    DeliveryStatus,
    NoticeKind,
    OrgKind,
    PartyRole,
    Referrer,
    Role,
    Tier,
    UrgeStatus,
)
from app.routing.engine import CATEGORIES, CITY_CHANNELS, RISK_LABELS
from app.urges.service import URGE_ANSWERED, URGED
from app.web import labels

CJK = re.compile(r"[\u4e00-\u9fff]")

ENUMS: list[tuple[str, list[str], dict[str, str]]] = [
    ("case status", [s.value for s in CaseStatus], labels.STATUS_LABELS),
    ("outcome", [o.value for o in Outcome], labels.OUTCOME_LABELS),
    ("tier", [t.value for t in Tier], labels.TIER_NAMES),
    ("organization kind", [k.value for k in OrgKind], labels.ORG_KIND_LABELS),
    ("role", [r.value for r in Role], labels.ROLE_LABELS),
    ("party role", [r.value for r in PartyRole], labels.PARTY_ROLE_LABELS),
    ("category", list(CATEGORIES), CATEGORIES),
    ("risk level", list(RISK_LABELS), RISK_LABELS),
    ("city channel", list(CITY_CHANNELS), CITY_CHANNELS),
    ("assignment end", ["declined", "escalated", "withdrawn", "resolved"], labels.END_REASON_LABELS),
    ("agreement type", ["written", "oral"], labels.AGREEMENT_TYPE_LABELS),
    ("party kind", ["person", "organization"], labels.PARTY_KIND_LABELS),
    ("urge status", [s.value for s in UrgeStatus], labels.URGE_STATUS_LABELS),
    ("clock kind", ["dispatch", "acceptance", "mediation"], labels.CLOCK_LABELS),
    ("case action", list(RULES), labels.ACTION_LABELS),
    ("confirmation status", [s.value for s in ConfirmationStatus], labels.CONFIRMATION_STATUS_LABELS),
    ("contact field", ["phone", "address"], labels.CONTACT_FIELD_LABELS),
    ("case source", [s.value for s in CaseSource], labels.SOURCE_LABELS),
    ("referrer", [r.value for r in Referrer], labels.REFERRER_LABELS),
    # Notifications (#16)
    ("channel kind", [k.value for k in ChannelKind], labels.CHANNEL_KIND_LABELS),
    ("notice kind", [k.value for k in NoticeKind], labels.NOTICE_KIND_LABELS),
    ("delivery status", [s.value for s in DeliveryStatus], labels.DELIVERY_STATUS_LABELS),
]


@pytest.mark.parametrize(("name", "values", "table"), ENUMS, ids=[e[0] for e in ENUMS])
def test_every_value_has_a_chinese_label(name: str, values: list[str], table: dict[str, str]) -> None:
    missing = [v for v in values if not CJK.search(table.get(v, ""))]
    assert missing == [], f"{name} values without a Chinese label: {missing}"


def test_every_event_type_on_the_timeline_has_a_label() -> None:
    types = ["case.created", "case.routed", ROUTED_AWAY, *EVENT_TYPES.values(), *RECORDED_EVENTS]
    types += [URGED, URGE_ANSWERED]
    missing = [t for t in types if not CJK.search(labels.event_label(t))]
    assert missing == [], f"event types without a Chinese label: {missing}"


def test_the_outcome_and_tier_filters_use_the_full_tables() -> None:
    assert labels.tier_label("supervision") == "司法行政（监督）"
    assert labels.OUTCOME_LABELS["confirmed_illegal"] == "确认违法"


def test_the_api_says_the_states_as_the_pages_do() -> None:
    assert lifecycle.STATUS_LABELS == labels.STATUS_LABELS


def test_every_action_and_inbox_tab_the_pages_show_has_a_label() -> None:
    from app.cases.permissions import RULES
    from app.web.case_page import PAGE_ACTIONS
    from app.web.inbox import TABS

    actions = [str(a) for a in RULES] + list(PAGE_ACTIONS)
    missing = [a for a in actions if not CJK.search(labels.ACTION_LABELS.get(a, ""))]
    missing += [t for t in TABS if not CJK.search(labels.TAB_LABELS.get(t, ""))]
    assert missing == [], f"actions or tabs without a Chinese label: {missing}"
