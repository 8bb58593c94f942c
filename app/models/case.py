"""Cases, their parties, assignments (each hand-off to an organization) and the append-only audit trail."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, JSONType, Timestamped


class CaseStatus(StrEnum):
    PENDING_DISPATCH = "pending_dispatch"  # 待分派: dispatch clock running
    DISPATCHED = "dispatched"  # 已分派: waiting for the organization to accept
    IN_MEDIATION = "in_mediation"  # 调解中
    RESOLVED = "resolved"  # 已办结: outcome recorded
    CLOSED = "closed"  # 已归档: follow-up done


class CaseSource(StrEnum):
    """How a case came to the committee (the Ministry's form): 申请调解, 主动调解, 委托移送."""

    APPLIED = "applied"
    INITIATIVE = "initiative"
    REFERRED = "referred"


class Referrer(StrEnum):
    """Who referred a case (委托移送单位)."""

    COURT = "court"
    POLICE = "police"
    PETITION = "petition"
    PROCURATORATE = "procuratorate"
    OTHER = "other"


class Case(Timestamped, Base):
    __tablename__ = "cases"
    __table_args__ = (
        # Supervisors' and reporting queries: by town and period, by status.
        Index(None, "town_org_id", "received_at"),
        Index(None, "status", "received_at"),
        Index(None, "intake_org_id", "received_at"),
        Index(None, "current_org_id", "status"),
        Index(None, "resolved_at"),
        # The inbox's 待回访 and 已办结 tabs: what an organization resolved.
        Index(None, "resolved_org_id", "status"),
        Index("uq_cases_external_ref", "external_ref", unique=True),
        # The SLA sweep and the at-risk list read only cases waiting for dispatch: their cost follows the
        # number of open clocks, not the number of cases stored.
        Index(
            "ix_cases_pending_due",
            "dispatch_due_at",
            postgresql_include=["id", "dispatch_clock_started_at"],  # the sweep's anti-join is index-only
            postgresql_where=text("status = 'pending_dispatch'"),
            sqlite_where=text("status = 'pending_dispatch'"),
        ),
        Index(
            "ix_cases_pending_calendar",
            "dispatch_calendar_version",
            postgresql_where=text("status = 'pending_dispatch'"),
            sqlite_where=text("status = 'pending_dispatch'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. LY-2026-000123
    category: Mapped[str] = mapped_column(String(30), index=True)
    summary: Mapped[str] = mapped_column(Text)
    claim_amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # yuan × 100: exact on both databases
    occurred_on: Mapped[date | None]
    risk_level: Mapped[str] = mapped_column(String(10), default="low")
    # 当事人已起诉或拟起诉: routes to pre-litigation mediation (诉前调解) at the court sub-center.
    litigation_intended: Mapped[bool] = mapped_column(default=False)
    applicant_count: Mapped[int] = mapped_column(Integer, default=1)
    respondent_is_government: Mapped[bool] = mapped_column(default=False)
    cross_village: Mapped[bool] = mapped_column(default=False)
    cross_town: Mapped[bool] = mapped_column(default=False)
    town_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    village_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    intake_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime]
    # How the case came to the committee (issue #15): applied | initiative | referred, and who referred it.
    source: Mapped[str] = mapped_column(String(20), default=CaseSource.APPLIED, server_default="applied")
    referred_by: Mapped[str | None] = mapped_column(String(20))
    # The old system's number of an imported case: a re-import skips the rows already imported.
    external_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=CaseStatus.PENDING_DISPATCH)
    version: Mapped[int] = mapped_column(Integer, default=1)  # optimistic concurrency (If-Match)

    # The routing decision (rule engine output), kept with its explanation.
    routing_tier: Mapped[str | None] = mapped_column(String(20))
    routing_selector: Mapped[str | None] = mapped_column(String(40))  # how the target org is chosen
    routing_channel: Mapped[str | None] = mapped_column(String(40))
    routing_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    routing_rule_id: Mapped[str | None] = mapped_column(String(64))
    routing_rule_set_version: Mapped[int | None]
    routing_explanation: Mapped[str | None] = mapped_column(Text)
    routing_flags: Mapped[list[str]] = mapped_column(JSONType, default=list)

    # Where the case is now (denormalized from the open assignment for lists and scoping).
    current_tier: Mapped[str | None] = mapped_column(String(20))
    current_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))

    # The running dispatch clock (while pending_dispatch).
    dispatch_clock_started_at: Mapped[datetime | None]
    dispatch_due_at: Mapped[datetime | None]
    dispatch_due_provisional: Mapped[bool] = mapped_column(default=False)
    dispatch_calendar_version: Mapped[str | None] = mapped_column(String(200))

    # The outcome, for statistics: which tier and organization resolved it, how.
    outcome: Mapped[str | None] = mapped_column(String(40))
    resolved_tier: Mapped[str | None] = mapped_column(String(20))
    resolved_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    resolved_at: Mapped[datetime | None]
    # Settled agreements may be confirmed by the court within 30 days of taking effect (人民调解法 第33条).
    judicial_confirmation_due_on: Mapped[date | None]
    closed_at: Mapped[datetime | None]


class PartyRole(StrEnum):
    APPLICANT = "applicant"
    RESPONDENT = "respondent"


class Party(Base):
    """A party to a case. ID number, phone and address are encrypted; the ID has a blind index."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))  # person | organization
    name: Mapped[str] = mapped_column(String(100), index=True)  # the inbox's exact-name search
    is_government: Mapped[bool] = mapped_column(default=False)
    id_number_enc: Mapped[str | None] = mapped_column(Text)
    id_number_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_enc: Mapped[str | None] = mapped_column(Text)
    address_enc: Mapped[str | None] = mapped_column(Text)
    # Kept in the clear (masked on output) so responses need no decryption on the hot path.
    id_number_masked: Mapped[str | None] = mapped_column(String(24))
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    town_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    village_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))


class Assignment(Base):
    """One hand-off of a case to one organization: dispatched, then accepted or declined, then an outcome."""

    __tablename__ = "assignments"
    __table_args__ = (
        # A case has at most one open assignment.
        Index(
            "uq_assignments_open_case",
            "case_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        Index(None, "organization_id", "dispatched_at"),
        Index(
            "ix_assignments_dispatched_at_cover",
            "dispatched_at",
            postgresql_include=["town_org_id", "organization_id", "dispatch_due_at", "tier"],
        ),
        # Reporting: the attempts that ended in a period (issue #15).
        Index(None, "ended_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    tier: Mapped[str] = mapped_column(String(20))
    clock_started_at: Mapped[datetime]
    dispatch_due_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime]
    # The case's town, copied so that the on-time summary reads assignments alone (covering index).
    town_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    dispatched_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    auto_dispatched: Mapped[bool] = mapped_column(default=False)
    accepted_at: Mapped[datetime | None]
    declined_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(Text)
    ended_at: Mapped[datetime | None]
    # declined | escalated | resolved | withdrawn
    end_reason: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class CaseEvent(Base):
    """Append-only audit trail: one row per transition (who, when, from, to, why)."""

    __tablename__ = "case_events"
    __table_args__ = (Index(None, "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    case_version: Mapped[int] = mapped_column(Integer)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"))
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(index=True)


class CaseReferenceCounter(Base):
    """Next human case number per prefix and year (LY-2026-000123): numbering restarts each year."""

    __tablename__ = "case_reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class IdempotencyKey(Base):
    """A claimed ``Idempotency-Key``: per principal, with the body's fingerprint and the first response."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    principal: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    operation: Mapped[str] = mapped_column(String(60))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)  # the exact bytes, so a replay is identical
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
