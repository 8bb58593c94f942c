"""Bodies of the contact endpoints: the revealed contact data and the access log."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from app.cases.schemas import OrgRef
from app.instants import LocalDateTime
from app.models import PartyRole

# What a reveal says to the person who asked (and why it is logged and limited).
MINIMUM_NECESSARY = (
    "依据《个人信息保护法》第六条“最小必要”原则，当事人的联系方式仅用于本案联系、送达和回访，"
    "每次查看均记录在案（查看人、时间、案件、字段），并按人限制查看次数。"
)


class RevealedParty(BaseModel):
    position: int
    role: PartyRole
    name: str
    phone: str | None = Field(description="In full (a mobile's 11 digits, or a landline with its area code).")
    address: str | None = Field(description="In full, as registered.")
    id_number: str | None = Field(description="Still masked: first 6 and last 4 characters.")


class ContactRevealOut(BaseModel):
    case_id: uuid.UUID
    reference: str
    revealed_at: LocalDateTime
    parties: list[RevealedParty]
    notice: str = Field(description="Why this is logged and limited: PIPL's minimum-necessary rule.")


class ContactLogEntry(BaseModel):
    id: int
    revealed_at: LocalDateTime
    user: str = Field(description="The username of who revealed")
    organization: OrgRef
    fields: list[str] = Field(description="Which fields were shown in full: phone, address")
    parties: list[int] = Field(description="The positions of the parties whose data was shown")


class ContactLogPage(BaseModel):
    items: list[ContactLogEntry]
    next_cursor: str | None
