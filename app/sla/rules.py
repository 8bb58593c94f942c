"""Clock rules as data, and the due time they give. Pure: no I/O.

For each clock kind a default rule, and where it differs for a tier or a channel a more specific one: the
length, its unit (working or calendar days), and whether one extension (延期) is allowed and how long it may
be. The most specific rule wins: a channel's over a tier's over the kind's default.

Sources of the defaults: dispatch 3 working days (DESIGN.md); acceptance 1 working day (12345-style 签收);
mediation 30 calendar days, one extension with both parties' consent (人民调解工作若干规定 第33条
"一般在一个月内调结"); administrative review 60 days from acceptance, extendable by 30 (行政复议法);
court-commissioned mediation 30 days, plus 30 with the court's consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from app.calendar.workdays import SHANGHAI, Due, WorkCalendar
from app.models import ClockKind, ClockUnit

MAX_LENGTH_DAYS = 366


@dataclass(frozen=True)
class ClockRule:
    kind: ClockKind
    length: int
    unit: ClockUnit
    extension_allowed: bool = False
    extension_max_days: int = 0
    tier: str | None = None
    channel: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": str(self.kind), "length": self.length, "unit": str(self.unit)}
        if self.tier:
            out["tier"] = self.tier
        if self.channel:
            out["channel"] = self.channel
        out["extension_allowed"] = self.extension_allowed
        out["extension_max_days"] = self.extension_max_days
        return out


@dataclass(frozen=True)
class ClockRules:
    version: int
    rules: tuple[ClockRule, ...]

    def rule_for(self, kind: ClockKind | str, tier: str | None, channel: str | None) -> ClockRule:
        """The channel's rule, else the tier's, else the kind's default (validation guarantees one)."""
        candidates = [r for r in self.rules if r.kind == kind]
        for rule in candidates:
            if rule.channel is not None and rule.channel == channel:
                return rule
        for rule in candidates:
            if rule.channel is None and rule.tier is not None and rule.tier == tier:
                return rule
        return next(r for r in candidates if r.tier is None and r.channel is None)


DEFAULT_RULES: tuple[ClockRule, ...] = (
    ClockRule(ClockKind.DISPATCH, 3, ClockUnit.WORKING_DAYS),
    ClockRule(ClockKind.ACCEPTANCE, 1, ClockUnit.WORKING_DAYS),
    ClockRule(ClockKind.MEDIATION, 30, ClockUnit.CALENDAR_DAYS, True, 30),
    ClockRule(ClockKind.MEDIATION, 60, ClockUnit.CALENDAR_DAYS, True, 30, channel="administrative_review"),
    ClockRule(ClockKind.MEDIATION, 30, ClockUnit.CALENDAR_DAYS, True, 30, tier="court"),
)


class RuleError(ValueError):
    def __init__(self, index: int, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.index, self.field, self.code, self.message = index, field, code, message


def parse_rules(raw: list[dict[str, Any]]) -> tuple[ClockRule, ...]:
    """Validate a rule list as an admin sent it; raises RuleError naming the first bad rule and field."""
    rules: list[ClockRule] = []
    allowed = {"kind", "length", "unit", "tier", "channel", "extension_allowed", "extension_max_days"}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise RuleError(i, "", "rule.not_an_object", "Each rule is an object.")
        unknown = sorted(set(item) - allowed)
        if unknown:
            raise RuleError(i, unknown[0], "rule.unknown_field", f"Unknown field {unknown[0]!r}.")
        try:
            kind = ClockKind(str(item.get("kind")))
        except ValueError:
            raise RuleError(i, "kind", "rule.kind", "kind is dispatch, acceptance or mediation.") from None
        try:
            unit = ClockUnit(str(item.get("unit")))
        except ValueError:
            raise RuleError(i, "unit", "rule.unit", "unit is working_days or calendar_days.") from None
        length = item.get("length")
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= MAX_LENGTH_DAYS:
            raise RuleError(
                i, "length", "rule.length", f"length is a whole number of days, 1..{MAX_LENGTH_DAYS}."
            )
        ext_allowed = item.get("extension_allowed", False)
        ext_days = item.get("extension_max_days", 0)
        if not isinstance(ext_allowed, bool):
            raise RuleError(
                i, "extension_allowed", "rule.extension_allowed", "extension_allowed is true or false."
            )
        if (
            not isinstance(ext_days, int)
            or isinstance(ext_days, bool)
            or not 0 <= ext_days <= MAX_LENGTH_DAYS
        ):
            raise RuleError(
                i, "extension_max_days", "rule.extension_max_days", "extension_max_days is 0..366."
            )
        if ext_allowed != (ext_days > 0):
            raise RuleError(
                i,
                "extension_max_days",
                "rule.extension_inconsistent",
                "An allowed extension needs extension_max_days > 0; a refused one 0.",
            )
        tier, channel = item.get("tier"), item.get("channel")
        for name, value in (("tier", tier), ("channel", channel)):
            if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 40):
                raise RuleError(i, name, f"rule.{name}", f"{name} is a code of 1..40 characters.")
        if tier is not None and channel is not None:
            raise RuleError(
                i, "channel", "rule.tier_and_channel", "A rule names a tier or a channel, not both."
            )
        rule = ClockRule(kind, length, unit, ext_allowed, ext_days, tier, channel)
        if any((r.kind, r.tier, r.channel) == (kind, tier, channel) for r in rules):
            raise RuleError(i, "kind", "rule.duplicate", "Another rule has the same kind, tier and channel.")
        rules.append(rule)
    for kind in ClockKind:
        if not any(r.kind == kind and r.tier is None and r.channel is None for r in rules):
            raise RuleError(
                len(rules), "kind", "rule.default_missing", f"A default rule for {kind} is required."
            )
    return tuple(rules)


def due_after(start: datetime, days: int, unit: ClockUnit | str, calendar: WorkCalendar) -> Due:
    """24:00 Asia/Shanghai of the ``days``-th day after the start day (the start day is not counted): working
    days per the official calendar, or calendar days (holidays count)."""
    if unit == ClockUnit.WORKING_DAYS:
        return calendar.due(start, days)
    due_date = start.astimezone(SHANGHAI).date() + timedelta(days=days)
    return Due(datetime.combine(due_date + timedelta(days=1), time(0), tzinfo=SHANGHAI), due_date, False)
