"""The paragraph a justice bureau writes into the annual rule-of-law report, filled from the figures. Pure.

Each sentence comes from one section of the report and is left out when its figures are all zero. Rates
are printed as computed, rounded half up to one decimal place (95.3%, not "95%以上").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.reporting.definitions import round_half_up

# The administrative-review decisions the paragraph names after "其中", in this order.
NAMED_DECISIONS: dict[str, str] = {
    "revoked": "撤销",
    "changed": "变更",
    "confirmed_invalid": "确认无效",
    "confirmed_illegal": "确认违法",
    "ordered_to_perform": "责令履行",
}


def percent(rate: dict[str, Any]) -> str:
    """Like "95.3%": numerator ÷ denominator × 100, half up to one place (from the counts)."""
    value = Decimal(rate["numerator"] * 100) / rate["denominator"]
    return f"{round_half_up(value, 1)}%"


def _people_mediation(pm: dict[str, Any], place: str) -> str:
    if not pm["resolved_cases"] and not pm["success_rate"]["denominator"]:
        return ""
    text = f"{place}共化解矛盾纠纷{pm['resolved_cases']}件"
    if pm["grassroots_share"]["denominator"]:
        text += (
            f"，{percent(pm['grassroots_share'])}的矛盾纠纷在镇（街道）、村（居）以及行业性专业性、"
            "企事业调解组织化解"
        )
    if pm["success_rate"]["denominator"]:
        text += f"，调解成功率达{percent(pm['success_rate'])}"
    return text + "。"


def _dispatch(dispatch: dict[str, Any]) -> str:
    rate = dispatch["within_deadline"]
    if not rate["denominator"]:
        return ""
    if rate["numerator"] == rate["denominator"]:
        return "平台案件分派均在3个工作日内完成。"
    return f"平台案件在3个工作日内完成分派的占{percent(rate)}。"


def _court(court: dict[str, Any]) -> str:
    if not court["resolved"]:
        return ""
    return f"非诉讼服务法院分中心成功化解各类矛盾纠纷{court['resolved']}件。"


def _review(review: dict[str, Any]) -> str:
    if not (review["received"] or review["accepted"] or review["concluded"]):
        return ""
    text = (
        f"共收到行政复议申请{review['received']}件，受理{review['accepted']}件，审结{review['concluded']}件"
    )
    if review["concluded"]:
        named = [
            f"{label}{review['decisions'][code]}件"
            for code, label in NAMED_DECISIONS.items()
            if review["decisions"].get(code)
        ]
        if named:
            text += "，其中，" + "，".join(named)
        substantive = review["substantive_resolution"]
        text += (
            f"，行政复议直接纠错率为{percent(review['direct_correction_rate'])}"
            f"，以调解、和解等实质性化解{substantive['count']}件，实质性化解率为{percent(substantive['rate'])}"
        )
    return text + "。"


def paragraph(report: dict[str, Any], place: str = "全市") -> str:
    """The paragraph for ``report`` (``service.statistics``); ``place`` is 全市 or a town's name."""
    return "".join(
        (
            _people_mediation(report["people_mediation"], place),
            _dispatch(report["dispatch"]),
            _court(report["court_subcenter"]),
            _review(report["administrative_review"]),
        )
    )
