"""Chinese labels and the page-side SLA mark. Pure: no I/O, ``now`` is an argument."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH
from app.cases import lifecycle
from app.instants import wall_time
from app.reporting.history_rows import Vocabulary
from app.routing.categories import full_label
from app.routing.engine import CATEGORIES, RISK_LABELS, TIER_LABELS
from app.urges import rules as urge_rules

# The states in Chinese: one table, the lifecycle's, for the API and the pages alike.
STATUS_LABELS = lifecycle.STATUS_LABELS

# Event types of the audit timeline; the part after "case." is enough to name the step.
EVENT_LABELS: dict[str, str] = {
    "created": "登记",
    "routed": "分流",
    "dispatched": "分派",
    "accepted": "受理",
    "declined": "退回",
    "escalated": "上交（升级）",
    "outcome": "记录结果",
    "outcome_recorded": "记录结果",
    "resolved": "办结",
    "withdrawn": "撤回",
    "closed": "归档",
    "deadline_recomputed": "重算分派期限",
    "sla_breached": "超过分派期限",
    "breached": "超过分派期限",
    "routed_away": "移出本机构",
    "urged": "督办",  # issue #14
    "urge_answered": "答复督办",
}

OUTCOME_LABELS: dict[str, str] = {
    "settled": "调解成功",
    "failed": "调解不成",
    "withdrawn": "撤回",
    "referred_to_litigation": "转诉讼",
    "judicially_confirmed": "司法确认",
    # Administrative review (行政复议) decisions
    "upheld": "维持",
    "revoked": "撤销",
    "changed": "变更",
    "confirmed_illegal": "确认违法",
    "ordered_to_perform": "责令履行",
    "dismissed": "驳回",
    "mediated": "调解结案",
    "reconciled": "和解结案",
}

# The mediating tiers, and the justice offices' and bureau's own (they supervise, they do not mediate).
TIER_NAMES: dict[str, str] = {**TIER_LABELS, "supervision": "司法行政（监督）"}

ROLE_LABELS: dict[str, str] = {
    "mediator": "调解员",
    "supervisor": "监督管理员",
    "admin": "系统管理员",
    "court": "法院系统",
}

ORG_KIND_LABELS: dict[str, str] = {
    "justice_bureau": "司法局",
    "town": "镇（街道）",
    "justice_office": "司法所",
    "town_station": "镇（街道）调委会/非诉讼服务站",
    "village_committee": "村（社区）调委会",
    "specialised_committee": "行业性专业性调解组织",
    "city_center": "市级非诉讼服务中心",
    "city_channel": "市非诉讼服务中心渠道",
    "court_subcenter": "法院分中心",
}

# Why an assignment ended (AssignmentOut.end_reason).
END_REASON_LABELS: dict[str, str] = {
    "declined": "已退回",
    "escalated": "已上交",
    "withdrawn": "已撤回",
    "resolved": "已办结",
}

AGREEMENT_TYPE_LABELS: dict[str, str] = {"written": "书面协议", "oral": "口头协议"}
PARTY_KIND_LABELS: dict[str, str] = {"person": "自然人", "organization": "法人或其他组织"}
BREACH_STATE_LABELS: dict[str, str] = {"open": "未结", "closed": "已结"}

PARTY_ROLE_LABELS: dict[str, str] = {"applicant": "申请人", "respondent": "被申请人"}
AT_RISK_WINDOW = timedelta(hours=24)


def category_label(code: str | None) -> str:
    return full_label(code) if code in CATEGORIES else (code or "—")


def status_label(code: str | None) -> str:
    return STATUS_LABELS.get(code or "", code or "—")


def tier_label(code: str | None) -> str:
    return TIER_NAMES.get(code or "", code or "—")


def risk_label(code: str | None) -> str:
    return RISK_LABELS.get(code or "", code or "—")


def event_label(event_type: str) -> str:
    key = event_type.removeprefix("case.").removeprefix("sla.").replace(".", "_")
    return EVENT_LABELS.get(key, event_type)


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Asia/Shanghai wall time; a due time of exactly 24:00 reads as "24:00" of the day before."""
    return wall_time(value, fmt)


def sla_mark(case: dict[str, Any], now: datetime) -> str | None:
    """ "late", "at_risk" or None for a case (as the API shapes it).

    The mark is about the dispatch clock, so only a case still waiting for dispatch carries one: once the
    clock has stopped (dispatched, withdrawn) 已超期 disappears. An open breach, when the API provides one,
    wins; otherwise late after the due time, at risk when due within 24 hours.
    """
    due = case.get("dispatch_due_at")
    if case.get("status") != "pending_dispatch":
        return None
    breach = case.get("breach")
    if breach and breach.get("open", True):
        return "late"
    if due is None:
        return None
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    if now > due:
        return "late"
    if due - now <= AT_RISK_WINDOW:
        return "at_risk"
    return None


SLA_LABELS = {"late": "已超期", "at_risk": "即将超期"}


# The field error codes of app.auth.passwords, as the password form says them.
PASSWORD_ERROR_LABELS = {
    "password.incorrect": "当前密码不正确。",
    "password.too_short": f"新密码至少需要 {MIN_LENGTH} 个字符。",
    "password.too_long": f"新密码最多 {MAX_LENGTH} 个字符。",
    "password.one_class": "新密码须包含以下至少两类：小写字母、大写字母、数字、其他字符。",
    "password.contains_username": "新密码不能包含用户名。",
    "password.common": "这个密码太常见，容易被猜到，请换一个。",
    "password.reused": "新密码不能与当前密码相同。",
}


def password_error_label(code: str) -> str:
    return PASSWORD_ERROR_LABELS.get(code, "新密码不符合要求。")


# ---- The receiving organization's pages (#12): inbox tabs, actions, money, what a case reads as. ----

# The inbox tabs, in the order shown.
TAB_LABELS: dict[str, str] = {
    "incoming": "待受理",
    "mediating": "调解中",
    "follow_up": "待回访",
    "registered": "我登记的",
    "done": "已办结",
}

ACTION_LABELS: dict[str, str] = {
    "dispatch": "分派",
    "accept": "受理",
    "decline": "退回",
    "escalate": "上交",
    "outcome": "记录调解结果",
    "withdraw": "撤回",
    "close": "回访结案",
    "request_confirmation": "申请司法确认",
    "extend": "延期",
    "urge": "督办",
}

# Offered on the decline form; the mediator may also type their own.
DECLINE_REASONS: tuple[str, ...] = (
    "不属于本组织受理范围",
    "当事人不同意调解",
    "已进入诉讼程序",
    "已由其他组织受理",
    "当事人无法联系",
)

PERFORMED_LABELS: dict[str, str] = {"true": "已履行", "false": "未履行"}


def money(value: Any) -> str:
    """One way to write an amount everywhere: 80,000.00 元."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):,.2f} 元"


def case_status_label(case: dict[str, Any]) -> str:
    """A withdrawn case reads 已撤回, not 已办结; others by their state."""
    if case.get("outcome") == "withdrawn" and case.get("status") in ("resolved", "closed"):
        return "已撤回"
    return status_label(case.get("status"))


_RULE_PREFIX = re.compile(r"^规则 [A-Za-z0-9_.:-]+（(.+?)）命中：")
_TIER_IN_TEXT = re.compile(r"（(village|town|specialised|city_center|court)）")


def explain(text: str | None) -> str:
    """A routing explanation as a person reads it: the rule's description, not its id; tiers in Chinese."""
    if not text:
        return ""
    text = _RULE_PREFIX.sub(lambda m: f"依据“{m.group(1)}”：", text)
    return _TIER_IN_TEXT.sub(lambda m: f"（{tier_label(m.group(1))}）", text)


# --- SLA clocks (issue #13) -------------------------------------------------------------------------------
CLOCK_LABELS: dict[str, str] = {"dispatch": "分派期限", "acceptance": "受理期限", "mediation": "调解期限"}
CLOCK_UNIT_LABELS: dict[str, str] = {"working_days": "工作日", "calendar_days": "自然日"}
# Why a clock stopped (SlaClock.stopped_by).
CLOCK_STOP_LABELS: dict[str, str] = {
    "dispatched": "已分派",
    "accepted": "已受理",
    "declined": "已退回",
    "escalated": "已上交",
    "resolved": "已办结",
    "withdrawn": "已撤回",
}
EVENT_LABELS["mediation_extended"] = "延期调解"


def clock_label(kind: str | None) -> str:
    return CLOCK_LABELS.get(kind or "", kind or "—")


# The supervisors' workspace (issue #14): 督办 statuses, defined beside their rules.
URGE_STATUS_LABELS = urge_rules.URGE_STATUS_LABELS

# Case work (issue #12, API side): judicial-confirmation requests, contact.
CONFIRMATION_STATUS_LABELS: dict[str, str] = {
    "requested": "已申请司法确认，待法院答复",
    "confirmed": "确认有效",
    "refused": "不予确认",
}
CONTACT_FIELD_LABELS: dict[str, str] = {"phone": "电话", "address": "住址"}
EVENT_LABELS.update({"confirmation_requested": "申请司法确认", "confirmation_answered": "法院答复司法确认"})


# --- reporting (#15): the source of a case and who referred it -------------------------------------------
SOURCE_LABELS: dict[str, str] = {"applied": "申请调解", "initiative": "主动调解", "referred": "委托移送"}
REFERRER_LABELS: dict[str, str] = {
    "court": "法院",
    "police": "公安",
    "petition": "信访",
    "procuratorate": "检察院",
    "other": "其他",
}
# What a history import may write instead of a code (app.reporting.history_rows).
IMPORT_VOCABULARY = Vocabulary(
    outcomes=OUTCOME_LABELS,
    sources=SOURCE_LABELS,
    referrers=REFERRER_LABELS,
    agreement_types=AGREEMENT_TYPE_LABELS,
)
# Notifications (#16)
CHANNEL_KIND_LABELS: dict[str, str] = {
    "wecom": "企业微信/政务微信群机器人",
    "dingtalk": "钉钉群机器人",
    "webhook": "签名 Webhook",
}
NOTICE_KIND_LABELS: dict[str, str] = {
    "breach": "超期提醒",
    "digest": "每日期限提醒",
    "urge": "督办",
    "confirmation": "司法确认",
}
DELIVERY_STATUS_LABELS: dict[str, str] = {
    "pending": "待发送",
    "delivered": "已送达",
    "dead": "发送失败（待处理）",
}
