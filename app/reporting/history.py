"""History import, the case side: each checked row goes through the live domain functions, at its own times.

Intake (routing decided and stored by the rules in force, the dispatch clock started at ``received_at``),
then dispatch to ``handled_by`` (not to the routed organization: the old system's hand-off is the fact),
accept or decline, the outcome or the withdrawal, and the close, each with ``now`` set to the step's time.
Clocks, breaches (a late dispatch records and closes its breach), audit events and so the statistics are
what live work would have produced. Every event carries ``imported: true`` and the row's ``external_ref``.

All or nothing: each row runs in a savepoint so that one row's refusal (an outcome the organization may
not record, say) is listed with the others and the remaining rows are still checked; the caller rolls the
whole transaction back when any error was found, or always for a dry run. A row whose ``external_ref`` is
already stored is skipped, so an interrupted import is simply run again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.calendar.service import calendar_in_force
from app.calendar.workdays import SHANGHAI
from app.cases import actions, sql
from app.cases import repository as repo
from app.cases.events import rows_of
from app.cases.intake import _created_event, _party_rows, draft_case, store_decision
from app.cases.permissions import facts_of
from app.cases.schemas import CaseIn, PartyIn
from app.cases.transitions import Actor, Loaded, flush, load
from app.context import AppContext
from app.errors import DomainError, ValidationFailed
from app.models import Case, CaseSource, ClockKind, Organization, Referrer, Role
from app.reporting.history_rows import HistoryRow, RowError, Vocabulary, check_row
from app.routing import service as routing
from app.sla.clock import open_clock
from app.sla.rule_store import rules_in_force

# A domain error's field → the file's column.
FIELD_COLUMNS = {"organization_code": "handled_by", "town_code": "town_code", "village_code": "village_code"}


@dataclass
class ImportResult:
    rows: int = 0
    imported: int = 0
    skipped: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "errors": [e.as_json() for e in self.errors],
        }


def _acting_for(org: Organization, user_id: int | None, role: Role = Role.MEDIATOR) -> Principal:
    """The organization that took the step; the events name the administrator who imported, if any."""
    return Principal(
        kind="user" if user_id is not None else "import",
        id=user_id or 0,
        role=role,
        organization_id=org.id,
        organization_kind=org.kind,
        town_id=org.town_id,
        name="历史数据导入",
    )


class HistoryImport:
    def __init__(self, session: AsyncSession, ctx: AppContext, user_id: int | None, now: datetime) -> None:
        self.session, self.ctx, self.user_id, self.now = session, ctx, user_id, now
        self.orgs: dict[str, Organization] = {}
        self.by_id: dict[int, Organization] = {}
        self.current: dict[uuid.UUID, Loaded] = {}  # the row being imported, between its steps

    async def run(
        self, table: list[dict[str, str]], vocabulary: Vocabulary, *, dry_run: bool
    ) -> ImportResult:
        result = ImportResult(rows=len(table), dry_run=dry_run)
        self.orgs = {o.code: o for o in (await self.session.execute(select(Organization))).scalars()}
        self.by_id = {o.id: o for o in self.orgs.values()}
        checked: list[HistoryRow] = []
        seen: dict[str, int] = {}
        for number, values in enumerate(table, start=2):
            row = check_row(number, values, vocabulary, self.now)
            ref = values.get("external_ref", "")
            if ref and (first := seen.setdefault(ref, number)) != number:
                result.errors.append(
                    RowError(number, "external_ref", "external_ref.duplicate", f"Also on row {first}.")
                )
                continue
            if isinstance(row, list):
                result.errors += row
                continue
            result.errors += self._check_codes(row)
            checked.append(row)
        stored = await self._stored_refs([r.external_ref for r in checked])
        for row in checked:
            if row.external_ref in stored:
                result.skipped += 1
                continue
            if result.errors and not dry_run:
                continue  # nothing will be stored; the file's own errors are the answer
            try:
                async with self.session.begin_nested():
                    await self._import(row)
                result.imported += 1
            except DomainError as exc:
                result.errors += _row_errors(row.row, exc)
        result.errors.sort(key=lambda e: (e.row, e.column or ""))
        if result.errors:
            result.imported = 0
        return result

    def _check_codes(self, row: HistoryRow) -> list[RowError]:
        errors = []
        for column in ("town_code", "village_code", "intake_org_code", "handled_by"):
            code = getattr(row, column)
            if code and code not in self.orgs:
                errors.append(RowError(row.row, column, "organization.unknown", f"No organization {code!r}."))
        return errors

    async def _stored_refs(self, refs: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(refs), 500):
            stmt = select(Case.external_ref).where(Case.external_ref.in_(refs[i : i + 500]))
            found |= {ref for ref in (await self.session.execute(stmt)).scalars() if ref}
        return found

    async def _import(self, row: HistoryRow) -> None:
        case_id = await self._intake(row)
        admin = _acting_for(self.orgs[row.intake_org_code], self.user_id, Role.ADMIN)
        if row.dispatched_at is None:
            return
        handler = _acting_for(self.orgs[row.handled_by or ""], self.user_id)
        await self._step(
            case_id,
            admin,
            row.dispatched_at,
            row,
            lambda s, c, t: actions.dispatch(s, admin, c, row.handled_by or "", None, t),
        )
        if row.declined_at is not None:
            await self._step(
                case_id,
                handler,
                row.declined_at,
                row,
                lambda s, c, t: actions.decline(s, handler, c, row.decline_reason or "", t),
            )
            return
        if row.accepted_at is not None:
            await self._step(
                case_id, handler, row.accepted_at, row, lambda s, c, t: actions.accept(s, handler, c, None, t)
            )
        if row.outcome is not None and row.outcome_at is not None:
            if row.outcome == "withdrawn":
                reason = row.follow_up_note or "历史数据：撤回"
                await self._step(
                    case_id,
                    handler,
                    row.outcome_at,
                    row,
                    lambda s, c, t: actions.withdraw(s, handler, c, reason, t),
                )
            else:
                detail = _outcome_detail(row)
                await self._step(
                    case_id,
                    handler,
                    row.outcome_at,
                    row,
                    lambda s, c, t: actions.record_outcome(s, handler, c, row.outcome or "", detail, t),
                )
        if row.closed_at is not None:
            await self._step(
                case_id,
                handler,
                row.closed_at,
                row,
                lambda s, c, t: actions.close(handler, c, row.follow_up_note or "", t),
            )

    async def _step(
        self,
        case_id: uuid.UUID,
        principal: Principal,
        at: datetime,
        row: HistoryRow,
        apply: Callable[[AsyncSession, Loaded, datetime], Awaitable[None] | None],
    ) -> None:
        """One lifecycle action, as ``run_action`` does it, at the step's own time.

        The case is locked and read once per row (``load``); between steps the row's own ``Loaded`` is kept,
        with the who-may facts recomputed from it as ``load`` would read them."""
        loaded = self.current.get(case_id)
        if loaded is None:
            admin = _acting_for(self.orgs[row.intake_org_code], None, Role.ADMIN)
            loaded = await load(self.session, admin, case_id, 1, now=at)
            self.current = {case_id: loaded}
        else:
            holder = self.by_id.get(loaded.assignment.organization_id) if loaded.assignment else None
            settled = loaded.case.outcome == "settled"
            loaded.loaded_facts = facts_of(
                loaded.case,
                loaded.assignment,
                holder,
                now=at,
                agreement_type=row.agreement_type if settled else None,
            )
        result = apply(self.session, loaded, at)
        if result is not None:
            await result
        if loaded.assignment is not None and loaded.assignment not in self.session:
            self.session.add(loaded.assignment)
        _mark(loaded.events, row)
        await flush(self.session, loaded)

    async def _intake(self, row: HistoryRow) -> uuid.UUID:
        """create_case without its auto-dispatch: the decision is stored, the dispatch is the row's."""
        intake_org = self.orgs[row.intake_org_code]
        principal = _acting_for(intake_org, self.user_id)
        parties = [_party("applicant", n, False) for n in row.applicant_names]
        parties += [_party("respondent", n, row.respondent_is_government) for n in row.respondent_names]
        body = CaseIn.model_construct(
            category=row.category,
            summary=row.summary,
            claim_amount=None,
            occurred_on=None,
            received_at=row.received_at,
            risk_level="low",
            litigation_intended=False,
            confirm_duplicate=True,
            town_code=row.town_code,
            village_code=row.village_code,
            parties=parties,
            source=CaseSource(row.source),
            referred_by=Referrer(row.referred_by) if row.referred_by else None,
        )
        draft = await draft_case(self.session, principal, body, row.received_at)
        case = draft.case
        case.external_ref = row.external_ref
        case.applicant_count = max(row.applicant_count, len(row.applicant_names), 1)
        case.respondent_is_government = row.respondent_is_government
        routed = await routing.route(
            self.session, case, draft.respondents, (case.town_org_id, case.village_org_id, case.intake_org_id)
        )
        store_decision(case, routed.decision, routed.found)
        calendar, rules = await calendar_in_force(self.session), await rules_in_force(self.session)
        clock = open_clock(ClockKind.DISPATCH, case, row.received_at, calendar, rules)
        loaded = Loaded(case, None)
        loaded.events.append(_created_event(case, Actor.of(principal), row.received_at))
        case.reference = await repo.take_reference(
            self.session,
            None,
            self.ctx.settings.city_reference_prefix,
            row.received_at.astimezone(SHANGHAI).year,
        )
        for event in loaded.events:
            event["data"] = {**event.get("data", {}), "reference": case.reference}
        _mark(loaded.events, row)
        await repo.insert_new_case(
            self.session,
            sql.row_of(case, sql.CASE_COLUMNS),
            _party_rows(self.ctx, case.id, body, draft.places),
            None,
            await rows_of(self.session, case, loaded.events),
            [sql.row_of(clock, sql.CLOCK_COLUMNS)],
        )
        return case.id


def _party(role: Literal["applicant", "respondent"], name: str, government: bool) -> PartyIn:
    kind: Literal["person", "organization"] = "organization" if government else "person"
    return PartyIn.model_construct(
        role=role,
        kind=kind,
        name=name[:100],
        id_number=None,
        phone=None,
        address=None,
        is_government=government,
        town_code=None,
        village_code=None,
    )


def _outcome_detail(row: HistoryRow) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if row.agreement_type:
        detail["agreement_type"] = row.agreement_type
    if row.agreed_amount is not None:
        detail["agreed_amount"] = str(row.agreed_amount)
    if row.agreement_effective_on is not None:
        detail["agreement_effective_on"] = row.agreement_effective_on.isoformat()
    return detail


def _mark(events: list[dict[str, Any]], row: HistoryRow) -> None:
    for event in events:
        event["data"] = {**(event.get("data") or {}), "imported": True, "external_ref": row.external_ref}


def _row_errors(number: int, exc: DomainError) -> list[RowError]:
    if isinstance(exc, ValidationFailed):
        return [RowError(number, FIELD_COLUMNS.get(e.field, e.field), e.code, e.message) for e in exc.errors]
    return [RowError(number, None, exc.code, exc.detail)]


async def import_history(
    session: AsyncSession,
    ctx: AppContext,
    table: list[dict[str, str]],
    vocabulary: Vocabulary,
    *,
    user_id: int | None,
    now: datetime,
    dry_run: bool,
) -> ImportResult:
    """Import inside a savepoint of the caller's transaction, kept only when every row went in."""
    outer = await session.begin_nested()
    try:
        result = await HistoryImport(session, ctx, user_id, now).run(table, vocabulary, dry_run=dry_run)
    except BaseException:
        await outer.rollback()
        raise
    if dry_run or result.errors:
        await outer.rollback()
    else:
        await outer.commit()
    return result
