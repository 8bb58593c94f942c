"""Who is calling: a person with a role, or a machine client, always bound to one organization."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.models import Role


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "client"
    id: int
    role: Role
    organization_id: int
    organization_kind: str
    town_id: int | None  # the town the organization belongs to, if any
    name: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    organization_name: str = ""
    # A person whose password someone else chose may only change it, look at /auth/me or sign out.
    password_change_required: bool = False

    @property
    def key(self) -> str:
        """Stable identity for per-principal records such as idempotency keys."""
        return f"{self.kind}:{self.id}"

    @property
    def is_machine(self) -> bool:
        return self.kind == "client"

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    @property
    def client_id(self) -> int | None:
        return self.id if self.kind == "client" else None
