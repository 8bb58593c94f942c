"""History import, the file side: read a .csv (UTF-8, with or without BOM) or .xlsx into rows, and check
each row's values. Pure except for reading the bytes given; every error names its row and column.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first case row 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from app.calendar.workdays import SHANGHAI
from app.routing.categories import CATEGORIES, RETIRED_CATEGORIES, full_label

COLUMNS = (
    "external_ref",
    "received_at",
    "category",
    "town_code",
    "village_code",
    "intake_org_code",
    "summary",
    "applicant_count",
    "respondent_is_government",
    "source",
    "handled_by",
    "dispatched_at",
    "accepted_at",
    "declined_at",
    "decline_reason",
    "outcome",
    "outcome_at",
    "agreement_type",
    "agreed_amount",
    "agreement_effective_on",
    "closed_at",
    "follow_up_note",
)
OPTIONAL_COLUMNS = ("applicant_names", "respondent_names", "referred_by")
REQUIRED_VALUES = ("external_ref", "received_at", "category", "town_code", "intake_org_code", "summary")
EARLIEST = datetime(2000, 1, 1, tzinfo=SHANGHAI)
NAME_SEPARATOR = "；"
TRUE, FALSE = frozenset({"true", "是"}), frozenset({"false", "否"})


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    code: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


class FileRejected(Exception):
    """The file as a whole cannot be read (not csv/xlsx, not UTF-8, a missing column)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Vocabulary:
    """The Chinese labels a row may use instead of codes (given by the shell, which owns the labels)."""

    outcomes: Mapping[str, str]
    sources: Mapping[str, str]
    referrers: Mapping[str, str]
    agreement_types: Mapping[str, str]


@dataclass
class HistoryRow:
    """One case of the old system, checked: codes resolved, times aware, amounts exact."""

    row: int
    external_ref: str
    received_at: datetime
    category: str
    town_code: str
    village_code: str | None
    intake_org_code: str
    summary: str
    applicant_count: int
    respondent_is_government: bool
    source: str
    referred_by: str | None
    handled_by: str | None
    dispatched_at: datetime | None
    accepted_at: datetime | None
    declined_at: datetime | None
    decline_reason: str | None
    outcome: str | None
    outcome_at: datetime | None
    agreement_type: str | None
    agreed_amount: Decimal | None
    agreement_effective_on: date | None
    closed_at: datetime | None
    follow_up_note: str | None
    applicant_names: list[str] = field(default_factory=list)
    respondent_names: list[str] = field(default_factory=list)


def read_table(content: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of the first sheet (or the CSV) as header → text; FileRejected when unreadable."""
    if filename.lower().endswith(".xlsx"):
        records = _xlsx_records(content)
    elif filename.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRejected([RowError(1, None, "file.encoding", "The CSV is not UTF-8.")]) from None
        records = list(csv.reader(io.StringIO(text)))
    else:
        raise FileRejected([RowError(1, None, "file.format", "Give a .csv or an .xlsx file.")])
    if not records:
        raise FileRejected([RowError(1, None, "file.empty", "The file has no header row.")])
    header = [h.strip() for h in records[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise FileRejected([RowError(1, c, "column.missing", f"The column {c} is missing.") for c in missing])
    return [
        {name: (values[i].strip() if i < len(values) else "") for i, name in enumerate(header) if name}
        for values in records[1:]
    ]


def _xlsx_records(content: bytes) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise FileRejected([RowError(1, None, "file.format", "The .xlsx file cannot be read.")]) from None
    sheet = book.worksheets[0]
    return [
        [_cell_text(v) for v in row]
        for row in sheet.iter_rows(values_only=True)
        if any(v is not None for v in row)
    ]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.isoformat()
            if value.tzinfo
            else value.date().isoformat()
            if value.time() == time(0)
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Checker:
    def __init__(self, number: int, values: dict[str, str], now: datetime) -> None:
        self.number, self.values, self.now = number, values, now
        self.errors: list[RowError] = []

    def fail(self, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, code, message))

    def text(self, column: str) -> str | None:
        return self.values.get(column) or None

    def instant(self, column: str) -> datetime | None:
        raw = self.text(column)
        if raw is None:
            return None
        try:
            if len(raw) == 10:
                moment = datetime.combine(date.fromisoformat(raw), time(12), SHANGHAI)
            else:
                moment = datetime.fromisoformat(raw)
                if moment.tzinfo is None:
                    self.fail(column, "datetime.offset_missing", "Give a date or a time with its offset.")
                    return None
        except ValueError:
            self.fail(column, "datetime.format", "Not YYYY-MM-DD or ISO 8601 with an offset.")
            return None
        if moment < EARLIEST:
            self.fail(column, "datetime.too_early", "Dates before 2000 are refused.")
            return None
        if moment > self.now:
            self.fail(column, "datetime.future", "The date is in the future.")
            return None
        return moment

    def day(self, column: str) -> date | None:
        raw = self.text(column)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            self.fail(column, "date.format", "Not YYYY-MM-DD.")
            return None

    def flag(self, column: str) -> bool:
        raw = (self.text(column) or "false").lower()
        if raw not in TRUE | FALSE:
            self.fail(column, "boolean.format", "Give true/false or 是/否.")
        return raw in TRUE

    def code(self, column: str, codes: Mapping[str, str], default: str | None = None) -> str | None:
        """A code, or its Chinese label."""
        raw = self.text(column)
        if raw is None:
            return default
        if raw in codes:
            return raw
        for code, label in codes.items():
            if raw == label:
                return code
        self.fail(column, f"{column}.unknown", f"Unknown value {raw!r}.")
        return default


# A category by its code, its label (合同, 民间借贷) or its full label (合同/民间借贷).
_LABELS = {code: full_label(code) for code in CATEGORIES}


def _category_code(raw: str) -> str | None:
    for code in CATEGORIES:
        if raw in (code, CATEGORIES[code], _LABELS[code]):
            return code
    return None


def check_row(
    number: int, values: dict[str, str], vocabulary: Vocabulary, now: datetime
) -> HistoryRow | list[RowError]:
    c = _Checker(number, values, now)
    for column in REQUIRED_VALUES:
        if not c.text(column):
            c.fail(column, "missing", f"{column} is required.")
    government = c.flag("respondent_is_government")
    category = c.text("category")
    if category in RETIRED_CATEGORIES or category == "行政争议":
        category, government = RETIRED_CATEGORIES["administrative"], True
    elif category is not None:
        category = _category_code(category)
        if category is None:
            c.fail("category", "category.unknown", "Unknown category (a code or a Chinese label).")
    applicants = c.text("applicant_count") or "1"
    if not applicants.isdigit() or int(applicants) < 1:
        c.fail("applicant_count", "applicant_count.format", "A whole number, at least 1.")
    amount = None
    if raw := c.text("agreed_amount"):
        try:
            amount = Decimal(raw.replace(",", ""))
            if not amount.is_finite() or amount < 0 or amount != round(amount, 2):
                raise InvalidOperation
        except InvalidOperation:
            c.fail("agreed_amount", "agreed_amount.format", "A non-negative amount in yuan, two decimals.")
    source = c.code("source", vocabulary.sources, "applied")
    referred_by = c.code("referred_by", vocabulary.referrers)
    row = HistoryRow(
        row=number,
        external_ref=c.text("external_ref") or "",
        received_at=c.instant("received_at") or EARLIEST,
        category=category or "other",
        town_code=c.text("town_code") or "",
        village_code=c.text("village_code"),
        intake_org_code=c.text("intake_org_code") or "",
        summary=c.text("summary") or "",
        applicant_count=int(applicants) if applicants.isdigit() else 1,
        respondent_is_government=government,
        source=source or "applied",
        # The old systems rarely say who referred a case: without the column, 其他.
        referred_by=(referred_by or "other") if source == "referred" else None,
        handled_by=c.text("handled_by"),
        dispatched_at=c.instant("dispatched_at"),
        accepted_at=c.instant("accepted_at"),
        declined_at=c.instant("declined_at"),
        decline_reason=c.text("decline_reason"),
        outcome=c.code("outcome", vocabulary.outcomes),
        outcome_at=c.instant("outcome_at"),
        agreement_type=c.code("agreement_type", vocabulary.agreement_types),
        agreed_amount=amount,
        agreement_effective_on=c.day("agreement_effective_on"),
        closed_at=c.instant("closed_at"),
        follow_up_note=c.text("follow_up_note"),
        applicant_names=_names(c.text("applicant_names")),
        respondent_names=_names(c.text("respondent_names")),
    )
    _check_sequence(c, row)
    return c.errors or row


def _names(raw: str | None) -> list[str]:
    return [n.strip() for n in (raw or "").split(NAME_SEPARATOR) if n.strip()]


def _check_sequence(c: _Checker, row: HistoryRow) -> None:
    """Each step needs the one before it, and comes at or after it."""
    withdrawn_from = row.accepted_at or row.dispatched_at or row.received_at
    steps = [
        ("dispatched_at", row.dispatched_at, "received_at", row.received_at),
        ("accepted_at", row.accepted_at, "dispatched_at", row.dispatched_at),
        ("declined_at", row.declined_at, "dispatched_at", row.dispatched_at),
        (
            "outcome_at",
            row.outcome_at,
            "accepted_at",
            withdrawn_from if row.outcome == "withdrawn" else row.accepted_at,
        ),
        ("closed_at", row.closed_at, "outcome_at", row.outcome_at),
    ]
    for column, moment, before, earlier in steps:
        if moment is None:
            continue
        if earlier is None:
            c.fail(column, "sequence.missing_step", f"{column} needs {before}.")
        elif moment < earlier:
            c.fail(column, "sequence.before_previous_step", f"{column} is before {before}.")
    if row.dispatched_at is not None and not row.handled_by:
        c.fail("handled_by", "missing", "A dispatched case names the organization that received it.")
    if row.accepted_at is not None and row.declined_at is not None:
        c.fail("declined_at", "sequence.accepted_and_declined", "A case is either accepted or declined.")
    if (c.text("outcome") is None) != (c.text("outcome_at") is None):
        column = "outcome_at" if row.outcome else "outcome"
        c.fail(column, "outcome.incomplete", "Give outcome and outcome_at together.")
    if row.declined_at is not None and not row.decline_reason:
        c.fail("decline_reason", "missing", "A decline has its reason.")
    if row.closed_at is not None and not row.follow_up_note:
        c.fail("follow_up_note", "missing", "Closing records the follow-up note.")
