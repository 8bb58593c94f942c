"""Routing-rule conditions: the predicate for each condition and the Chinese sentence that says why.

Pure functions, no I/O. Each check returns ``(holds, reason)``; the reason states the case fact that
decided it (so it reads correctly both in a match explanation and in a "why not" line of a dry run).
The vocabulary (category and risk labels) is passed in by ``engine`` to keep this module free of
import cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

# Order matters: conditions are checked (and reported) in this order.
CONDITION_NAMES: tuple[str, ...] = (
    "category_in",
    "category_not_in",
    "claim_amount_gte",
    "claim_amount_lt",
    "applicant_count_gte",
    "cross_village",
    "cross_town",
    "risk_level_in",
    "respondent_is_government",
    "litigation_intended",
)


class Facts(Protocol):
    """The attributes of ``engine.CaseFacts`` a condition may read."""

    @property
    def category(self) -> str: ...
    @property
    def claim_amount(self) -> Decimal | None: ...
    @property
    def applicant_count(self) -> int: ...
    @property
    def cross_village(self) -> bool: ...
    @property
    def cross_town(self) -> bool: ...
    @property
    def risk_level(self) -> str: ...
    @property
    def respondent_is_government(self) -> bool: ...
    @property
    def litigation_intended(self) -> bool: ...


class Labels(Protocol):
    @property
    def categories(self) -> Mapping[str, str]: ...
    @property
    def risk_levels(self) -> Mapping[str, str]: ...
    @property
    def parents(self) -> Mapping[str, str]: ...  # sub-category → its top-level category


Outcome = tuple[bool, str]
Check = Callable[[Any, Facts, Labels], Outcome]


def format_amount(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def _names(codes: Iterable[str], labels: Mapping[str, str]) -> str:
    return "、".join(labels.get(code, code) for code in codes)


def _in(listed: tuple[str, ...], f: Facts, lb: Labels) -> bool:
    """A rule naming a top-level category covers its sub-categories."""
    return f.category in listed or lb.parents.get(f.category) in listed


def _category_in(expected: tuple[str, ...], f: Facts, lb: Labels) -> Outcome:
    label = lb.categories.get(f.category, f.category)
    if _in(expected, f, lb):
        return True, f"纠纷类别为「{label}」"
    return False, f"纠纷类别「{label}」不在所列类别（{_names(expected, lb.categories)}）之中"


def _category_not_in(excluded: tuple[str, ...], f: Facts, lb: Labels) -> Outcome:
    label = lb.categories.get(f.category, f.category)
    if not _in(excluded, f, lb):
        return True, f"纠纷类别「{label}」不属于排除类别"
    return False, f"纠纷类别「{label}」属于排除类别（{_names(excluded, lb.categories)}）"


def _amount_gte(threshold: Decimal, f: Facts, lb: Labels) -> Outcome:
    if f.claim_amount is None:
        return False, "未填写标的额"
    if f.claim_amount >= threshold:
        return True, f"标的额 {format_amount(f.claim_amount)}，达到 {format_amount(threshold)}"
    return False, f"标的额 {format_amount(f.claim_amount)}，不足 {format_amount(threshold)}"


def _amount_lt(threshold: Decimal, f: Facts, lb: Labels) -> Outcome:
    if f.claim_amount is None:
        return False, "未填写标的额"
    if f.claim_amount < threshold:
        return True, f"标的额 {format_amount(f.claim_amount)}，低于 {format_amount(threshold)}"
    return False, f"标的额 {format_amount(f.claim_amount)}，不低于 {format_amount(threshold)}"


def _applicants_gte(threshold: int, f: Facts, lb: Labels) -> Outcome:
    if f.applicant_count >= threshold:
        return True, f"申请人 {f.applicant_count} 人，达到 {threshold} 人"
    return False, f"申请人 {f.applicant_count} 人，不足 {threshold} 人"


def _flag(fact: str, yes: str, no: str) -> Check:
    def check(expected: bool, f: Facts, lb: Labels) -> Outcome:
        actual = bool(getattr(f, fact))
        return actual == expected, (yes if actual else no)

    return check


def _risk_in(expected: tuple[str, ...], f: Facts, lb: Labels) -> Outcome:
    label = lb.risk_levels.get(f.risk_level, f.risk_level)
    if f.risk_level in expected:
        return True, f"风险等级为「{label}」"
    return False, f"风险等级为「{label}」，不在所列等级（{_names(expected, lb.risk_levels)}）之中"


CHECKS: dict[str, Check] = {
    "category_in": _category_in,
    "category_not_in": _category_not_in,
    "claim_amount_gte": _amount_gte,
    "claim_amount_lt": _amount_lt,
    "applicant_count_gte": _applicants_gte,
    "cross_village": _flag("cross_village", "当事人分属不同村（社区）", "当事人同属一个村（社区）"),
    "cross_town": _flag("cross_town", "当事人分属不同镇（街道）", "当事人同属一个镇（街道）"),
    "risk_level_in": _risk_in,
    "respondent_is_government": _flag(
        "respondent_is_government", "被申请人为政府机关（行政机关）", "被申请人不是政府机关"
    ),
    "litigation_intended": _flag("litigation_intended", "当事人已起诉或拟起诉", "当事人未表示起诉"),
}
assert tuple(CHECKS) == CONDITION_NAMES


def check_conditions(
    conditions: Mapping[str, Any], facts: Facts, labels: Labels
) -> tuple[str | None, list[str]]:
    """Check the set conditions in ``CONDITION_NAMES`` order, stopping at the first failure.

    Returns ``(failed_condition, reasons)``: ``failed_condition`` is None when all hold, and
    ``reasons`` ends with the failing condition's reason (or lists every satisfied one).
    """
    reasons: list[str] = []
    for name in CONDITION_NAMES:
        expected = conditions.get(name)
        if expected is None:
            continue
        holds, reason = CHECKS[name](expected, facts, labels)
        if not holds:
            return name, [reason]
        reasons.append(reason)
    return None, reasons
