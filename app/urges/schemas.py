"""Request and response bodies of the 督办."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.instants import LocalDateTime
from app.models import UrgeStatus
from app.validation import ApiDate


class UrgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(min_length=2, max_length=1000, description="督办意见")
    report_back_by: ApiDate | None = Field(default=None, description="Day by which the holder reports back")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    note: str = Field(min_length=2, max_length=1000, description="答复")


class OrgName(BaseModel):
    code: str
    name: str


class UrgeOut(BaseModel):
    id: int
    case_id: uuid.UUID
    reference: str
    case_status: str
    clock: str
    clock_label: str
    status: UrgeStatus
    status_label: str
    note: str
    report_back_by: date | None
    created_at: LocalDateTime
    created_by: OrgName | None
    holder: OrgName
    answered_at: LocalDateTime | None
    answer_note: str | None


class UrgePage(BaseModel):
    items: list[UrgeOut]
    next_cursor: str | None
