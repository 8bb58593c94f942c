"""Request and response bodies of the channels' admin API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.instants import LocalDateTime

EventKind = Literal["breach", "digest", "urge", "confirmation"]


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    org: str = Field(min_length=1, max_length=40, description="Organization code, e.g. LY-LC-SFS")
    kind: Literal["wecom", "dingtalk", "webhook"]
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="https URL of the robot or receiver; a WeCom robot may be given by its key alone",
    )
    secret: str | None = Field(
        default=None, max_length=200, description="DingTalk signing secret, or a webhook's whsec_… secret"
    )
    events: list[EventKind] = Field(default=["breach", "digest", "urge", "confirmation"], min_length=1)


class ChannelOut(BaseModel):
    id: int
    organization: str = Field(description="Organization code")
    organization_name: str
    kind: str
    url: str = Field(description="Masked: a robot's key shows its first 4 characters")
    secret: str | None = Field(description="Masked")
    events: list[str]
    active: bool
    created_at: LocalDateTime
    last_success_at: LocalDateTime | None
    last_error_at: LocalDateTime | None
    last_error: str | None
    queued: int = Field(description="Messages waiting to be delivered")
    dead: int = Field(description="Dead letters (an admin may retry them)")


class NewChannelOut(ChannelOut):
    signing_secret: str | None = Field(
        default=None, description="Only when the service generated the webhook's secret: shown only here"
    )


class ChannelList(BaseModel):
    items: list[ChannelOut]


class DeliveryOut(BaseModel):
    id: int
    message_id: str
    event: str
    status: str
    attempts: int
    created_at: LocalDateTime
    next_attempt_at: LocalDateTime
    last_attempt_at: LocalDateTime | None
    delivered_at: LocalDateTime | None
    last_status_code: int | None
    last_error: str | None
    payload: dict[str, Any]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_before: int | None = Field(description="Pass as `before` for the next (older) page")
