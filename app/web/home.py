"""``/``: a signed-in person goes to the home of their role; anyone else sees a small landing page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import Session
from app.web.render import NO_STORE, home_for, templates
from app.web.session import page_principal

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: Session) -> Response:
    principal = await page_principal(request, session)
    if principal is not None:
        return RedirectResponse(home_for(principal.role), status_code=303)
    # no-store as well: the same URL answers a redirect to a signed-in browser.
    return templates.TemplateResponse(request, "landing.html", {"user": None}, headers=NO_STORE)
