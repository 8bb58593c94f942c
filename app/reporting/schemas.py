"""Response bodies of the report API (the shape issue #15 §3 gives)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RateOut(BaseModel):
    """A rate with what it is made of: value = numerator ÷ denominator, rounded half up to 4 places."""

    value: float | None = Field(description="null when the denominator is 0")
    numerator: int
    denominator: int


class TallyOut(BaseModel):
    code: str
    name: str
    mediated: int
    settled: int
    failed: int
    withdrawn: int
    escalated: int
    success_rate: RateOut


class CategoryTallyOut(TallyOut):
    subcategories: list[TallyOut]


class OrganizationTallyOut(TallyOut):
    tier: str


class AgreementsOut(BaseModel):
    written: int
    oral: int
    unrecorded: int = Field(description="settled without a recorded agreement type")
    parties: int = Field(description="parties to the settled cases")


class PeopleMediationOut(BaseModel):
    mediated: int = Field(description="调解案件数: attempts concluded in the period (cases once, city-wide)")
    settled: int
    failed: int
    withdrawn: int
    escalated: int
    resolved_cases: int = Field(description="化解纠纷数: distinct cases settled")
    success_rate: RateOut
    grassroots_share: RateOut
    by_category: list[CategoryTallyOut]
    by_town: list[TallyOut]
    by_tier: list[TallyOut]
    by_organization: list[OrganizationTallyOut] = Field(description="each accepted assignment is an attempt")
    agreements: AgreementsOut
    agreed_amount_yuan: str = Field(description="decimal, two places")
    agreed_amount_wan_yuan: str = Field(description="万元, two places, half up")
    mass_disputes: int
    high_risk: int
    by_source: dict[str, int]
    by_referrer: dict[str, int]


class JudicialConfirmationOut(BaseModel):
    requested: int
    confirmed: int
    refused: int


class CourtSubcenterOut(BaseModel):
    resolved: int
    judicial_confirmation: JudicialConfirmationOut


class SubstantiveOut(BaseModel):
    count: int
    rate: RateOut


class AdministrativeReviewOut(BaseModel):
    received: int
    accepted: int
    concluded: int
    decisions: dict[str, int]
    direct_correction_rate: RateOut
    substantive_resolution: SubstantiveOut


class DispatchOut(BaseModel):
    within_deadline: RateOut


class PeriodOut(BaseModel):
    from_: str = Field(alias="from")
    to: str


class HeadlineOut(BaseModel):
    period: PeriodOut
    mediated: int
    settled: int
    resolved_cases: int
    success_rate: RateOut
    grassroots_share: RateOut


class ComparisonsOut(BaseModel):
    year_over_year: HeadlineOut = Field(description="同比: the same period a year earlier")
    period_over_period: HeadlineOut = Field(description="环比: the period of the same length just before")


class StatisticsOut(BaseModel):
    period: PeriodOut
    people_mediation: PeopleMediationOut
    court_subcenter: CourtSubcenterOut
    administrative_review: AdministrativeReviewOut
    dispatch: DispatchOut
    comparisons: ComparisonsOut


class NarrativeOut(BaseModel):
    text: str
