"""POST /admin/cases/import: the history import as an admin API (the CLI ``jiefen cases import`` is the same).

Under /admin rather than beside /cases/{case_id}, whose GET would otherwise claim "import" as a case id (a
wrong Allow header on this path)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from app.db import utcnow
from app.deps import AdminPrincipal, Context, Session
from app.errors import FieldError, ValidationFailed
from app.reporting.history import import_history
from app.reporting.history_rows import FileRejected, RowError, read_table
from app.web.labels import IMPORT_VOCABULARY

router = APIRouter(prefix="/admin/cases", tags=["admin"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportOut(BaseModel):
    rows: int
    imported: int
    skipped: int
    dry_run: bool
    errors: list[dict[str, Any]]


def _rejected(errors: list[RowError]) -> ValidationFailed:
    """Each error's field is ``rows.<row>.<column>``, the row numbered as a spreadsheet shows it."""
    return ValidationFailed(
        [FieldError(f"rows.{e.row}.{e.column or '*'}", e.code, e.message) for e in errors],
        detail=f"{len(errors)} errors in the file; nothing was stored.",
    )


@router.post(
    "/import",
    response_model=ImportOut,
    openapi_extra={"requestBody": {"content": {"text/csv": {}, XLSX: {}}, "required": True}},
    responses={422: {}},
)
async def import_cases(
    request: Request,
    session: Session,
    ctx: Context,
    principal: AdminPrincipal,
    dry_run: Annotated[bool, Query(description="check every row, store nothing")] = False,
) -> ImportOut:
    """Import past years' cases: the body is a .csv (UTF-8, with or without BOM) or .xlsx file, sent with
    its Content-Type. All or nothing; a row whose external_ref is stored already is skipped."""
    kind = (request.headers.get("content-type") or "").split(";")[0].strip()
    name = (
        "upload.xlsx"
        if kind == XLSX
        else "upload.csv"
        if kind in ("text/csv", "application/csv")
        else "upload"
    )
    try:
        table = read_table(await request.body(), name)
    except FileRejected as exc:
        raise _rejected(exc.errors) from None
    result = await import_history(
        session, ctx, table, IMPORT_VOCABULARY, user_id=principal.user_id, now=utcnow(), dry_run=dry_run
    )
    if result.errors:
        raise _rejected(result.errors)
    return ImportOut(**result.as_json())
