"""Swagger UI at /docs renders the API's operations in Chromium under its own CSP, with no network beyond
the application (a government intranet reaches no CDN)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


async def test_swagger_ui_renders_the_operations_without_csp_violations(context, live_server):
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    elsewhere: list[str] = []
    page.on("request", lambda req: None if req.url.startswith(live_server) else elsewhere.append(req.url))

    await page.goto("/docs")
    operations = page.locator(".opblock")
    await operations.first.wait_for(state="visible")
    assert await operations.count() > 20
    assert await page.locator(".opblock-summary-path", has_text="/api/v1/cases/{case_id}").count() >= 1
    assert await page.locator(".title", has_text="Jiefen").count() == 1
    assert not problems, problems  # a CSP violation is a console error
    assert not elsewhere, elsewhere
