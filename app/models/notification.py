"""Notification channels (group robots, signed webhooks) and their outbox (issue #16)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, JSONType


class ChannelKind(StrEnum):
    WECOM = "wecom"  # 企业微信 / 政务微信 group robot
    DINGTALK = "dingtalk"  # 钉钉 group robot
    WEBHOOK = "webhook"  # Standard Webhooks JSON


class NoticeKind(StrEnum):
    """What a channel subscribes to."""

    BREACH = "breach"
    DIGEST = "digest"
    URGE = "urge"  # 督办
    CONFIRMATION = "confirmation"  # 司法确认


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # queued, or waiting for its next try
    DELIVERED = "delivered"
    DEAD = "dead"  # given up: a permanent refusal, or 24 h of failures; an admin may retry it


class NotificationChannel(Base):
    """An organization's channel. The URL (which carries a robot's key) and the secret are stored
    encrypted (app.pii.crypto); ``url_masked`` is what people see."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    url_encrypted: Mapped[str] = mapped_column(Text)
    url_masked: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # The delivery log: what the senders last saw.
    last_success_at: Mapped[datetime | None]
    last_error_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationDelivery(Base):
    """One message for one channel: the outbox row, written in the transaction of what caused it.

    ``message_id`` stays the same across retries and redeliveries (Standard Webhooks' ``webhook-id``), so a
    receiver deduplicates by it. ``dedupe_key`` makes a producer idempotent per channel (one digest a day,
    one message per breach, whichever replica produced it)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("channel_id", "dedupe_key"),
        Index(None, "channel_id", "id"),
        # The senders' queue: only rows still to send.
        Index(
            "ix_notification_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channels.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))  # e.g. case.breached, digest.daily
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the body as the channel's format wants it
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
