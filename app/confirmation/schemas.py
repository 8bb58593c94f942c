"""Bodies of judicial confirmation (司法确认): the request and the court's answer (a case shows its request
as ``ConfirmationOut``, defined with the case's own views)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.cases.action_views import _Action
from app.cases.detail import ConfirmationOut
from app.cases.schemas import CourtCaseNumber
from app.validation import ApiDate

__all__ = ["ConfirmationOut", "ConfirmationRequestIn", "CourtAnswerIn"]


class ConfirmationRequestIn(_Action):
    note: str | None = Field(default=None, max_length=1000, description="e.g. 双方当事人共同申请")


class CourtAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["confirmed", "refused"] = Field(
        description="确认有效 (confirmed) or 不予确认 (refused)"
    )
    court_case_number: CourtCaseNumber | None = Field(
        default=None, description="案号, required when confirmed, e.g. (2026)苏0481民特123号"
    )
    decided_on: ApiDate = Field(description="The day of the ruling (Asia/Shanghai); not in the future")
    reason: str | None = Field(default=None, max_length=2000, description="Required when refused")
