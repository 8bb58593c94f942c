"""All ORM models, on one metadata, so that Alembic sees the whole schema."""

from app.models.base import Base
from app.models.case import (
    Assignment,
    Case,
    CaseEvent,
    CaseReferenceCounter,
    CaseSource,
    CaseStatus,
    IdempotencyKey,
    Party,
    PartyRole,
    Referrer,
)

# Case work (issue #12)
from app.models.casework import ConfirmationRequest, ConfirmationStatus, ContactReveal
from app.models.feed import FeedConsumer, FeedEvent
from app.models.identity import ApiClient, ApiClientKey, AuthToken, LoginAttempt, Role, User
from app.models.notification import (
    ChannelKind,
    DeliveryStatus,
    NoticeKind,
    NotificationChannel,
    NotificationDelivery,
)
from app.models.organization import Organization, OrgKind, Tier
from app.models.routing import RoutingRuleSet
from app.models.sla import CalendarYear, ClockKind, ClockUnit, SlaClock, SlaClockRuleSet

# 督办 (issue #14)
from app.models.urge import Urge, UrgeStatus

__all__ = [  # noqa: RUF022 (notifications in their own block, for merging)
    "ApiClient",
    "ApiClientKey",
    "Assignment",
    "AuthToken",
    "Base",
    "CalendarYear",
    "Case",
    "CaseEvent",
    "CaseReferenceCounter",
    "CaseSource",
    "CaseStatus",
    "ClockKind",
    "ClockUnit",
    "ConfirmationRequest",
    "ConfirmationStatus",
    "ContactReveal",
    "FeedConsumer",
    "FeedEvent",
    "IdempotencyKey",
    "LoginAttempt",
    "OrgKind",
    "Organization",
    "Party",
    "PartyRole",
    "Referrer",
    "Role",
    "RoutingRuleSet",
    "SlaClock",
    "SlaClockRuleSet",
    "Tier",
    "Urge",  # 督办 (issue #14)
    "UrgeStatus",
    "User",
    # Notifications (#16)
    "ChannelKind",
    "DeliveryStatus",
    "NoticeKind",
    "NotificationChannel",
    "NotificationDelivery",
]
