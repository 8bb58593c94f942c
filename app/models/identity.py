"""People and machines that call the API, their tokens and the login throttle's counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, BigIntPK, JSONType, Timestamped


class Role(StrEnum):
    MEDIATOR = "mediator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    COURT = "court"  # machine clients only


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # A password someone else chose (the CLI, an admin, the demo seed) is known to two people: its owner must
    # replace it before doing anything else. True for every user made through the ORM; the server default
    # only backfilled the users that existed before the column did.
    password_change_required: Mapped[bool] = mapped_column(default=True, server_default=false())


class AuthToken(Base):
    """An opaque bearer token for a human session; only its SHA-256 is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Counted in the database so that every replica sees the same failures."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index(None, "username", "attempted_at"),
        Index(None, "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    attempted_at: Mapped[datetime]


class ApiClient(Timestamped, Base):
    """A machine client (e.g. the court sub-center's case system), bound to one organization."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    revoked_at: Mapped[datetime | None]


class ApiClientKey(Base):
    """One key of a client. Rotation adds a key and gives the old one an expiry (overlap window)."""

    __tablename__ = "api_client_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown in lists and logs
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
