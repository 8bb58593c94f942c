"""The demo organization tree of 溧阳市 (Liyang, Jiangsu): every organization with a stable ``code``.

Region codes follow the GB/T 2260 county code 320481 with a 3-digit town suffix; village names are
illustrative. Loading is idempotent: existing codes are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Organization, OrgKind, Tier

CITY_CODE = "LY"
CITY_REGION = "320481"

# (code suffix, name, villages)
TOWNS: list[tuple[str, str, list[str]]] = [
    ("LC", "溧城街道", ["八字桥社区", "燕山社区", "西门社区"]),
    ("GX", "古县街道", ["古县社区", "东升村", "西郊村"]),
    ("KL", "昆仑街道", ["昆仑社区", "汤桥村", "南渚村"]),
    ("DT", "埭头镇", ["埭头村", "后周村", "庆丰村"]),
    ("SH", "上黄镇", ["上黄村", "浒西村", "南山后村"]),
    ("DB", "戴埠镇", ["戴埠村", "李家园村", "新桥村"]),
    ("TMH", "天目湖镇", ["天目湖村", "桂林村", "龙兴村"]),
    ("BQ", "别桥镇", ["别桥村", "塘马村", "黄金山村"]),
    ("SX", "上兴镇", ["上兴村", "余巷村", "牛马塘村"]),
    ("ZH", "竹箦镇", ["竹箦村", "水母村", "陆笪村"]),
    ("ND", "南渡镇", ["南渡村", "庆丰村", "新渡村"]),
    ("SZ", "社渚镇", ["社渚村", "周城村", "嵩里村"]),
]

SPECIALISED: list[tuple[str, str, str]] = [
    ("LABOUR", "labour", "溧阳市劳动争议人民调解委员会"),
    ("MEDICAL", "medical", "溧阳市医疗纠纷人民调解委员会"),
    ("TRAFFIC", "traffic", "溧阳市道路交通事故损害赔偿纠纷人民调解委员会"),
    ("PROPERTY", "property_management", "溧阳市物业纠纷人民调解委员会"),
    ("FAMILY", "marriage_family", "溧阳市婚姻家庭纠纷人民调解委员会"),
    ("CONSUMER", "consumer", "溧阳市消费纠纷人民调解委员会"),
    ("ENTERPRISE", "enterprise", "溧阳市涉企纠纷人民调解委员会"),
]

CITY_CHANNELS: list[tuple[str, str, str]] = [
    ("LAWYER", "lawyer_mediation", "律师调解工作室"),
    ("NOTARY", "notarization", "公证调解"),
    ("ARBITRATION", "arbitration", "仲裁"),
    ("ADMREVIEW", "administrative_review", "行政复议"),
    ("LEGALAID", "legal_aid", "法律援助"),
    ("ADMMED", "administrative_mediation", "行政调解"),
]


@dataclass(frozen=True)
class OrgSpec:
    code: str
    name: str
    tier: Tier
    kind: OrgKind
    parent: str | None
    town: str | None = None
    region_code: str | None = None
    category: str | None = None
    channel: str | None = None


def demo_tree() -> list[OrgSpec]:
    """Parents before children."""
    specs = [
        OrgSpec(
            CITY_CODE, "溧阳市司法局", Tier.SUPERVISION, OrgKind.JUSTICE_BUREAU, None, region_code=CITY_REGION
        ),
        OrgSpec(
            "LY-CC",
            "溧阳市非诉讼服务中心",
            Tier.CITY_CENTER,
            OrgKind.CITY_CENTER,
            CITY_CODE,
            channel="general",
        ),
        OrgSpec("LY-COURT", "溧阳市人民法院诉讼服务分中心", Tier.COURT, OrgKind.COURT_SUBCENTER, CITY_CODE),
    ]
    specs += [
        OrgSpec(
            f"LY-CC-{s}",
            f"市非诉讼服务中心·{name}",
            Tier.CITY_CENTER,
            OrgKind.CITY_CHANNEL,
            "LY-CC",
            channel=ch,
        )
        for s, ch, name in CITY_CHANNELS
    ]
    specs += [
        OrgSpec(f"LY-SP-{s}", name, Tier.SPECIALISED, OrgKind.SPECIALISED_COMMITTEE, CITY_CODE, category=cat)
        for s, cat, name in SPECIALISED
    ]
    for index, (suffix, name, villages) in enumerate(TOWNS, start=1):
        town = f"LY-{suffix}"
        region = f"{CITY_REGION}{index:03d}"
        specs += [
            OrgSpec(town, name, Tier.TOWN, OrgKind.TOWN, CITY_CODE, town=town, region_code=region),
            OrgSpec(
                f"{town}-STN",
                f"{name}人民调解委员会(非诉讼服务站)",
                Tier.TOWN,
                OrgKind.TOWN_STATION,
                town,
                town,
            ),
            OrgSpec(f"{town}-SFS", f"{name}司法所", Tier.SUPERVISION, OrgKind.JUSTICE_OFFICE, town, town),
        ]
        specs += [
            OrgSpec(
                f"{town}-V{v:02d}",
                f"{vname}人民调解委员会",
                Tier.VILLAGE,
                OrgKind.VILLAGE_COMMITTEE,
                town,
                town,
                region_code=f"{region}{v:03d}",
            )
            for v, vname in enumerate(villages, start=1)
        ]
    return specs


async def load_demo_tree(session: AsyncSession) -> int:
    """Insert the organizations that are missing; return how many were added."""
    existing = {
        code: oid for code, oid in (await session.execute(select(Organization.code, Organization.id)))
    }
    added = 0
    for spec in demo_tree():
        if spec.code in existing:
            continue
        org = Organization(
            code=spec.code,
            name=spec.name,
            tier=spec.tier,
            kind=spec.kind,
            parent_id=existing.get(spec.parent) if spec.parent else None,
            town_id=existing.get(spec.town) if spec.town and spec.town != spec.code else None,
            region_code=spec.region_code,
            category=spec.category,
            channel=spec.channel,
        )
        session.add(org)
        await session.flush()
        if spec.town == spec.code:
            org.town_id = org.id  # a town node belongs to itself
        existing[spec.code] = org.id
        added += 1
    await session.flush()
    return added


MEDIATING_DEMO_KINDS = (
    OrgKind.VILLAGE_COMMITTEE,
    OrgKind.TOWN_STATION,
    OrgKind.SPECIALISED_COMMITTEE,
    OrgKind.CITY_CENTER,
    OrgKind.CITY_CHANNEL,
)
COURT_CODE = "LY-COURT"
COURT_CLIENT = "court"  # the court sub-center's machine key


def demo_username(code: str) -> str:
    """The demo account of an organization: its code without the city prefix, lower case, ``-`` → ``_``
    (``LY-LC-STN`` → ``lc_stn``, ``LY-SP-LABOUR`` → ``sp_labour``, ``LY-CC-ADMREVIEW`` → ``cc_admreview``).
    The city bureau itself is ``bureau`` (its code is the bare prefix)."""
    if code == CITY_CODE:
        return "bureau"
    return code.removeprefix(f"{CITY_CODE}-").lower().replace("-", "_")


def demo_users() -> list[tuple[str, str, str]]:
    """(username, role, organization code) for every organization that acts: a mediator for each
    committee, station and city-center channel, a supervisor for each justice office and the bureau, and
    an admin. The court acts through its machine key (COURT_CLIENT), not a person."""
    users = [("admin", "admin", CITY_CODE)]
    for spec in demo_tree():
        if spec.kind in MEDIATING_DEMO_KINDS:
            users.append((demo_username(spec.code), "mediator", spec.code))
        elif spec.kind in (OrgKind.JUSTICE_OFFICE, OrgKind.JUSTICE_BUREAU):
            users.append((demo_username(spec.code), "supervisor", spec.code))
    return users


# Demo users: (username, role, organization code)
DEMO_USERS: list[tuple[str, str, str]] = demo_users()
