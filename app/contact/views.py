"""POST /cases/{id}/contact-reveal and GET /cases/{id}/contact-log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.cases.presenter import org_ref
from app.contact import repository as repo
from app.contact import service
from app.contact.schemas import ContactLogEntry, ContactLogPage, ContactRevealOut
from app.db import utcnow
from app.deps import Context, HumanPrincipal, Session
from app.pagination import MAX_LIMIT, Keyset

router = APIRouter(prefix="/cases", tags=["contact with the parties"])


def _positive_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(value)
    return value


CONTACT_LOG = Keyset("contact-log", (_positive_int,))  # (reveal id,), newest first


@router.post(
    "/{case_id}/contact-reveal", response_model=ContactRevealOut, responses={403: {}, 404: {}, 429: {}}
)
async def contact_reveal(
    case_id: uuid.UUID, session: Session, ctx: Context, principal: HumanPrincipal
) -> ContactRevealOut:
    """查看联系方式: every party's full phone and address (ID numbers stay masked), for the mediators of the
    organization holding the case, and of the registering committee while the case is with it. Each reveal
    is logged (who, when, which fields) and limited per person and hour (429 `contact.rate_limited`), after
    PIPL's minimum-necessary rule (最小必要). Others who can see the case get 403 `contact.not_permitted`."""
    limit = service.RateLimit(ctx.settings.contact_reveals_per_hour)
    return await service.reveal(session, ctx.cipher, principal, case_id, limit, utcnow())


@router.get("/{case_id}/contact-log", response_model=ContactLogPage, responses={403: {}, 404: {}})
async def contact_log(
    case_id: uuid.UUID,
    session: Session,
    ctx: Context,
    principal: HumanPrincipal,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
) -> ContactLogPage:
    """Who saw the parties' full contact data, newest first: for the supervising office and administrators."""
    await service.check_log_reader(session, principal, case_id, utcnow())
    key = ctx.blind_index_key_bytes
    before = CONTACT_LOG.decode(key, cursor)[0] if cursor else None
    found = await repo.log_page(session, case_id, before, limit + 1)
    rows, next_cursor = CONTACT_LOG.page(key, found, limit, lambda row: (row[0].id,))
    items = []
    for reveal, username, org in rows:
        ref = org_ref(org)
        assert ref is not None
        items.append(
            ContactLogEntry(
                id=reveal.id,
                revealed_at=reveal.revealed_at,
                user=username,
                organization=ref,
                fields=list(reveal.fields),
                parties=list(reveal.parties),
            )
        )
    return ContactLogPage(items=items, next_cursor=next_cursor)
