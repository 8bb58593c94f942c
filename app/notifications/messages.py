"""What each message says. Pure: the facts come in, a :class:`Notice` goes out.

No message carries a full ID number or phone; party names appear only as 王某 (surname + 某). Cases are
named by their number, category, holder and due time, with a link to the case's page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.instants import wall_time
from app.notifications.formats import Notice
from app.routing.engine import CATEGORIES

CLOCK_LABELS = {"dispatch": "分派", "acceptance": "受理", "mediation": "调解"}
WEEKDAYS = "一二三四五六日"


def surname_only(name: str | None) -> str:
    """王小明 → 王某. Organizations keep their name (they are not personal data)."""
    name = (name or "").strip()
    return f"{name[0]}某" if name else "某"


def local_time(at: datetime) -> str:
    """A due time as the pages write it (24:00 of its day)."""
    return wall_time(at)


def category_label(category: str) -> str:
    return CATEGORIES.get(category, category)


def case_link(base_url: str, case_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/m/cases/{case_id}"


@dataclass(frozen=True)
class CaseFacts:
    """A case as a message names it."""

    case_id: uuid.UUID
    reference: str
    category: str
    holder: str  # the organization that holds it (or must act on it)
    applicant: str  # already in 王某 form
    due_at: datetime | None = None
    clock: str = "dispatch"
    holder_id: int | None = None  # the organization holding it now (None while it waits for dispatch)

    def line(self, base_url: str) -> str:
        due = f"，期限 {local_time(self.due_at)}" if self.due_at else ""
        return (
            f"- [{self.reference}]({case_link(base_url, self.case_id)}) {category_label(self.category)}，"
            f"申请人{self.applicant}，{self.holder}{due}"
        )

    def data(self) -> dict[str, object]:
        return {
            "case_id": str(self.case_id),
            "reference": self.reference,
            "category": self.category,
            "holder": self.holder,
            "clock": self.clock,
            "due_at": self.due_at.isoformat() if self.due_at else None,
        }


def breach(case: CaseFacts, base_url: str) -> Notice:
    clock = CLOCK_LABELS.get(case.clock, case.clock)
    title = f"超期提醒：{case.reference} 已超过{clock}期限"
    markdown = (
        f'### <font color="warning">超期</font> {case.reference} 已超过{clock}期限\n'
        f"> 类别：{category_label(case.category)}\n"
        f"> 申请人：{case.applicant}\n"
        f"> 承办：{case.holder}\n"
        f"> 期限：{local_time(case.due_at) if case.due_at else '—'}\n\n"
        f"[查看案件]({case_link(base_url, case.case_id)})"
    )
    return Notice("case.breached", title, markdown, case.data())


@dataclass(frozen=True)
class DigestFacts:
    organization: str
    day: date
    due_counts: dict[str, int]  # clock kind → due today or the next working day
    breached_counts: dict[str, int]  # clock kind → breached and still open
    top: Sequence[CaseFacts]


def digest(facts: DigestFacts, base_url: str) -> Notice:
    day = f"{facts.day:%Y-%m-%d}（周{WEEKDAYS[facts.day.weekday()]}）"
    lines = [f"### {facts.organization} 期限提醒 {day}"]
    kinds = sorted(
        set(facts.due_counts) | set(facts.breached_counts),
        key=lambda k: list(CLOCK_LABELS).index(k) if k in CLOCK_LABELS else 99,
    )
    for kind in kinds:
        label = CLOCK_LABELS.get(kind, kind)
        lines.append(
            f"> {label}：今明两个工作日到期 **{facts.due_counts.get(kind, 0)}** 件，"
            f'已超期未办 <font color="warning">{facts.breached_counts.get(kind, 0)}</font> 件'
        )
    if facts.top:
        lines += ["", "**需优先处理**", *(c.line(base_url) for c in facts.top)]
    data = {
        "organization": facts.organization,
        "day": facts.day.isoformat(),
        "due": facts.due_counts,
        "breached": facts.breached_counts,
        "top": [c.data() for c in facts.top],
    }
    return Notice("digest.daily", f"{facts.organization} 期限提醒", "\n".join(lines), data)


URGE_TITLES = {
    "urge.created": "督办",
    "urge.overdue": "督办逾期",
    "urge.answered": "督办已回复",
}


def urge(
    event: str, case: CaseFacts, supervisor: str, note: str, base_url: str, reply_due: datetime | None
) -> Notice:
    """A 督办 created or overdue (to the holder) or answered (to the supervisor who raised it). ``note`` is
    the supervisor's or holder's text, already free of personal data (app.pii.free_text)."""
    heading = URGE_TITLES[event]
    due = f"> 回复期限：{local_time(reply_due)}\n" if reply_due else ""
    markdown = (
        f"### {heading}：{case.reference}\n"
        f"> 督办单位：{supervisor}\n"
        f"> 承办：{case.holder}\n"
        f"> 类别：{category_label(case.category)}\n"
        f"{due}"
        f"> {note}\n\n"
        f"[查看案件]({case_link(base_url, case.case_id)})"
    )
    data = {
        **case.data(),
        "supervisor": supervisor,
        "note": note,
        "reply_due": reply_due.isoformat() if reply_due else None,
    }
    return Notice(event, f"{heading}：{case.reference}", markdown, data)


CONFIRMATION_TITLES = {
    "case.confirmation_requested": "已申请司法确认",
    "case.confirmation_answered": "法院已答复司法确认",
}


def confirmation(event: str, case: CaseFacts, answer: str | None, base_url: str) -> Notice:
    heading = CONFIRMATION_TITLES.get(event, "司法确认")
    answer_line = f"> 法院答复：{answer}\n" if answer else ""
    markdown = (
        f"### {heading}：{case.reference}\n"
        f"> 类别：{category_label(case.category)}\n"
        f"> 申请人：{case.applicant}\n"
        f"{answer_line}\n"
        f"[查看案件]({case_link(base_url, case.case_id)})"
    )
    return Notice(event, f"{heading}：{case.reference}", markdown, {**case.data(), "answer": answer})


def test(organization: str, now: datetime) -> Notice:
    markdown = f"### 解纷 测试消息\n> {organization} 的通知渠道已连通。\n> 发送时间：{local_time(now)}"
    return Notice("channel.test", "解纷 测试消息", markdown, {"organization": organization})
