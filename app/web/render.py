"""What every page shares: the templates, the signed-in person (banner, CSRF), and where each role starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.sessions import CSRF_FIELD
from app.models import Role
from app.routing.categories import TOP_CATEGORIES, subcategories
from app.routing.engine import CATEGORIES, RISK_LABELS
from app.web import labels
from app.web.assets import asset_url
from app.web.session import page_csrf, page_principal

LOGIN_URL = "/m/login"
PASSWORD_URL = "/m/password"  # noqa: S105 - a page address, not a secret
# Pages carry personal data: never stored by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}
# Who may register a case: as POST /api/v1/cases allows (app.cases.views.create).
REGISTERING_ROLES = frozenset({Role.MEDIATOR, Role.ADMIN})


def home_for(role: Role) -> str:
    """Where a signed-in person starts: supervisors in their workspace (/s/), everyone else at /m/."""
    return "/s/" if role == Role.SUPERVISOR else "/m/"


def can_register(principal: Principal | None) -> bool:
    return principal is not None and principal.role in REGISTERING_ROLES


templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    asset_url=asset_url,
    categories=CATEGORIES,
    risk_labels=RISK_LABELS,
    party_roles=labels.PARTY_ROLE_LABELS,
    can_register=can_register,
    sla_text=lambda code: labels.SLA_LABELS.get(code, ""),
    action_labels=labels.ACTION_LABELS,
    decline_reasons=labels.DECLINE_REASONS,
    agreement_types=labels.AGREEMENT_TYPE_LABELS,
    # reporting (#15): the two-level categories and the source of a case on the intake form
    top_categories=TOP_CATEGORIES,
    subcategories=subcategories,
    source_labels=labels.SOURCE_LABELS,
    referrer_labels=labels.REFERRER_LABELS,
    confirmation_labels=labels.CONFIRMATION_STATUS_LABELS,
)
templates.env.filters.update(
    category=labels.category_label,
    status=labels.status_label,
    tier=labels.tier_label,
    risk=labels.risk_label,
    event=labels.event_label,
    outcome=lambda c: labels.OUTCOME_LABELS.get(c or "", c or "—"),
    local_time=labels.local_time,
    money=labels.money,
    case_status=labels.case_status_label,
    explain=labels.explain,
    clock=labels.clock_label,
)


def to_login() -> RedirectResponse:
    return RedirectResponse(LOGIN_URL, status_code=303)


async def signed_in(
    request: Request, session: AsyncSession, *, pending_password: bool = False
) -> Principal | Response:
    """The person on a page, or where to send them instead: the login form, or (while their password is
    one someone else chose) the password form, which with sign-out is all they may use until then."""
    principal = await page_principal(request, session)
    if principal is None:
        return to_login()
    if principal.password_change_required and not pending_password:
        return RedirectResponse(PASSWORD_URL, status_code=303)
    return principal


def page(
    request: Request, principal: Principal | None, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    context |= {"user": principal, "csrf_token": page_csrf(request), "csrf_field": CSRF_FIELD}
    return templates.TemplateResponse(request, template, context, status_code=status, headers=NO_STORE)
