"""Organizations: the "1+1+N" tree (city → town → village) plus specialised committees and the two "1"s."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped


class Tier(StrEnum):
    """Where an organization sits in the "1+1+N" ladder; ``supervision`` bodies mediate nothing."""

    VILLAGE = "village"
    TOWN = "town"
    SPECIALISED = "specialised"
    CITY_CENTER = "city_center"
    COURT = "court"
    SUPERVISION = "supervision"


class OrgKind(StrEnum):
    JUSTICE_BUREAU = "justice_bureau"  # 司法局, the root: city supervisor
    TOWN = "town"  # 镇/街道: a region node, parent of its station, justice office and villages
    JUSTICE_OFFICE = "justice_office"  # 司法所: town supervisor
    TOWN_STATION = "town_station"  # 镇(街道)调委会/非诉讼服务站
    VILLAGE_COMMITTEE = "village_committee"  # 村(社区)调委会
    SPECIALISED_COMMITTEE = "specialised_committee"  # 行业性专业性调解组织
    CITY_CENTER = "city_center"  # 市级非诉讼服务中心
    CITY_CHANNEL = "city_channel"  # its channels: lawyer mediation, notarization, arbitration, ...
    COURT_SUBCENTER = "court_subcenter"  # 法院分中心


class Organization(Timestamped, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The town (region node) an organization belongs to; NULL for city-wide bodies. Scoping and the
    # per-town statistics filter on it without walking the tree.
    town_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(30))  # specialised committees: the case category
    channel: Mapped[str | None] = mapped_column(String(40))  # city-center channels
    active: Mapped[bool] = mapped_column(default=True)
