"""Routing rule sets: ordered, versioned, never edited in place (a PUT adds a version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONType


class RoutingRuleSet(Base):
    __tablename__ = "routing_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)  # the highest version is in force
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the validated rule set document
    note: Mapped[str | None] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
