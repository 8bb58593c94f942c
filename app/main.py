"""The ASGI application: ``app.main:app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from app import apidocs, housekeeping, periodic, subscribers
from app.auth.user_views import router as admin_users_router
from app.auth.views import router as auth_router
from app.calendar.views import router as calendar_router
from app.cases.action_views import router as case_actions_router
from app.cases.views import router as cases_router
from app.compression import install_compression
from app.config import Settings, get_settings
from app.confirmation.views import router as confirmation_router
from app.contact.views import router as contact_router
from app.context import AppContext
from app.errors import install_problem_handlers
from app.feed.court_views import router as court_router
from app.feed.views import router as feed_router
from app.logging_config import configure_logging
from app.metrics.exposition import install_metrics
from app.notifications import background as notifications_background
from app.notifications.views import router as notifications_router
from app.openapi_contract import install as install_openapi_contract
from app.ops import install_middleware, tune_gc
from app.ops import router as ops_router
from app.organizations.views import router as organizations_router
from app.reporting.import_views import router as import_router
from app.reporting.views import router as reports_router
from app.routing.views import router as routing_router
from app.shutdown import Draining
from app.sla import background as sla_background
from app.sla.rule_views import router as sla_rules_router
from app.sla.views import router as sla_router
from app.urges.views import router as urges_router
from app.validation import reject_unstorable_text
from app.web.account import router as web_account_router
from app.web.channels import router as web_channels_router
from app.web.home import router as home_router
from app.web.statistics import router as statistics_page_router
from app.web.views import router as web_router
from app.web.workspace.inbox import router as urge_inbox_router
from app.web.workspace.views import router as workspace_pages_router
from app.workspace.views import router as workspace_router

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = (settings or get_settings()).with_keys()
    subscribers.install(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweeper = sla_background.start(app.state.ctx)
        purger = housekeeping.start(app.state.ctx)
        notifiers = notifications_background.start(app.state.ctx)
        app.state.draining.hook_signals()
        tune_gc()
        yield
        await notifications_background.stop(notifiers)
        await periodic.stop(purger)
        await periodic.stop(sweeper)
        await app.state.ctx.close()

    app = FastAPI(
        title="Jiefen 解纷 — dispute-mediation case routing",
        version="1.0.0",
        description=(
            "Back office of a county-level '1+1+N' non-litigation dispute-resolution platform: intake from "
            "mediation committees, routing by rules, the 3-working-day dispatch deadline, the court feed."
        ),
        lifespan=lifespan,
        **apidocs.fastapi_options(settings),
    )
    app.state.ctx = AppContext.from_settings(settings)
    app.state.draining = Draining()  # set on SIGTERM: long polls answer at once (app.shutdown)
    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(reject_unstorable_text)])
    for router in (
        auth_router,
        admin_users_router,
        cases_router,
        case_actions_router,
        contact_router,
        confirmation_router,
        organizations_router,
        routing_router,
        sla_router,
        sla_rules_router,
        calendar_router,
        feed_router,
        court_router,
        notifications_router,
        urges_router,  # issue #14
        workspace_router,  # issue #14
    ):
        api.include_router(router)
    api.include_router(reports_router)  # reporting (#15)
    api.include_router(import_router)  # reporting (#15): history import
    app.include_router(api)
    app.include_router(ops_router)
    app.include_router(web_router)
    app.include_router(web_account_router)
    app.include_router(web_channels_router)
    app.include_router(home_router)
    app.include_router(workspace_pages_router)  # issue #14: the supervisors' pages under /s/
    app.include_router(urge_inbox_router)  # issue #14: the holder answers a 督办 on /m/
    app.include_router(statistics_page_router)  # reporting (#15): /s/statistics
    apidocs.install(app, settings)
    install_problem_handlers(app)
    install_middleware(app, settings.max_body_bytes)
    install_metrics(app)
    install_openapi_contract(app)
    install_compression(app)  # outermost: every other middleware sees plain bodies
    return app


def _create_default_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)


_default_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    # `app.main:app` is built on first access so importing this module (tests, tools) has no side effects.
    global _default_app
    if name == "app":
        if _default_app is None:
            _default_app = _create_default_app()
        return _default_app
    raise AttributeError(name)
