"""The 督办 on the holder's own pages (/m/): a badge in its inbox, the note on the case, and the answer.

The answer is a plain form (the session's CSRF token in a field, as sign-out is), so it works on any
phone without JavaScript; it goes through the same service as ``POST /api/v1/urges/{id}/answer``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.sessions import csrf_valid
from app.db import utcnow
from app.deps import Context, Session, csrf_key
from app.errors import DomainError, problem_response
from app.urges import repository as urge_repo
from app.urges import service
from app.urges.rules import URGE_STATUS_LABELS, urge_status
from app.web.render import signed_in
from app.web.session import session_token

router = APIRouter(include_in_schema=False)


async def attach_open_urges(session: AsyncSession, principal: Principal, cases: list[dict[str, Any]]) -> None:
    """Set ``case["urge"]`` on each case with a 督办 its viewer's organization has still to answer."""
    found = await urge_repo.open_urges_for(session, principal.organization_id, [c["id"] for c in cases])
    now = utcnow()
    for case in cases:
        urge = found.get(case["id"])
        case["urge"] = (
            None
            if urge is None
            else {
                "id": urge.id,
                "note": urge.note,
                "report_back_by": urge.report_back_by,
                "status_label": URGE_STATUS_LABELS[urge_status(None, urge.report_back_by, now)],
            }
        )


@router.post("/m/urges/{urge_id}/answer")
async def answer(
    urge_id: int,
    request: Request,
    session: Session,
    ctx: Context,
    note: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    principal = await signed_in(request, session)
    if isinstance(principal, Response):
        return principal
    token = session_token(request)
    if token is None or not csrf_valid(token, csrf_token, csrf_key(ctx)):
        return problem_response(403, "Forbidden", "Missing or wrong CSRF token.", "csrf_failed")
    note = note.strip()
    back = request.headers.get("referer", "")
    path = "/" + back.split("://", 1)[-1].split("/", 1)[-1] if back else "/m/"
    if not path.startswith(("/m/", "/s/")):
        path = "/m/"
    if len(note) < 2:
        return RedirectResponse(f"{path.split('?')[0]}?urge=short", status_code=303)
    try:
        urge = await service.answer_urge(session, principal, urge_id, note, utcnow())
    except DomainError as exc:
        return problem_response(exc.status, exc.title, exc.detail, exc.code)
    return RedirectResponse(f"/m/cases/{urge.case_id}?urge=answered", status_code=303)
