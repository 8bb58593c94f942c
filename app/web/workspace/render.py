"""The workspace's templates: its own directory first, then the mediators' (their macros), with the same
filters and globals as ``app.web.render``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.auth.principal import Principal
from app.auth.sessions import CSRF_FIELD
from app.models import OrgKind, Role
from app.web import labels
from app.web import render as mediator
from app.web.session import page_csrf
from app.web.workspace.assets import asset_url

HERE = Path(__file__).parent
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(HERE / "templates"), str(HERE.parent / "templates")]),
        autoescape=True,
    )
)
templates.env.globals.update(mediator.templates.env.globals)
templates.env.globals.update(
    s_asset=asset_url,
    clock_labels=labels.CLOCK_LABELS,
    urge_labels=labels.URGE_STATUS_LABELS,
    tier_names=labels.TIER_NAMES,
    stop_labels=labels.CLOCK_STOP_LABELS,
)
templates.env.filters.update(mediator.templates.env.filters)
templates.env.filters.update(
    percent=lambda v: "—" if v is None else f"{v * 100:.1f}%",
    points=lambda v: "—" if v is None else f"{v * 100:+.1f} 个百分点",
)

SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


def is_bureau(principal: Principal) -> bool:
    return principal.role == Role.ADMIN or principal.organization_kind == OrgKind.JUSTICE_BUREAU


def page(
    request: Request, principal: Principal, template: str, status: int = 200, **context: Any
) -> HTMLResponse:
    context |= {
        "user": principal,
        "csrf_token": page_csrf(request),
        "csrf_field": CSRF_FIELD,
        "bureau": is_bureau(principal),
        "path": request.url.path,
    }
    return templates.TemplateResponse(
        request, template, context, status_code=status, headers=mediator.NO_STORE
    )
