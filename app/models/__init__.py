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
from app.models.feed import FeedConsumer, FeedEvent
from app.models.identity import ApiClient, ApiClientKey, AuthToken, LoginAttempt, Role, User
from app.models.organization import Organization, OrgKind, Tier
from app.models.routing import RoutingRuleSet
from app.models.sla import CalendarYear, SlaBreach

__all__ = [
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
    "SlaBreach",
    "Tier",
    "User",
]
