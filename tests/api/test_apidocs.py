"""/docs: Swagger UI served from the application itself (no CDN), with a CSP that lets it run; off in
production unless JIEFEN_API_DOCS=true, and /openapi.json with it."""

from __future__ import annotations

import re

import httpx
import pytest

from app.apidocs import DOCS_CSP
from app.main import create_app

_LOCAL_REFS = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"')
_CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


async def test_docs_page_loads_only_local_assets_each_served_with_its_type(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == DOCS_CSP
    refs = _LOCAL_REFS.findall(page.text)
    assert len(refs) == 4  # icon, stylesheet, Swagger UI, its start-up script
    assert "<script>" not in page.text  # no inline script: the CSP allows scripts from 'self' only
    for ref in refs:
        assert ref.startswith("/docs/assets/"), ref
        asset = await client.get(ref)
        assert asset.status_code == 200, ref
        suffix = ref[ref.rindex(".") :]
        assert asset.headers["content-type"].startswith(_CONTENT_TYPES[suffix]), ref
        assert asset.content
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.content
    init = await client.get("/docs/assets/init.js")
    assert b"SwaggerUIBundle(" in init.content and b"http" not in init.content
    assert 'data-openapi-url="/openapi.json"' in page.text
    schema = await client.get("/openapi.json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")


async def test_the_docs_csp_allows_nothing_from_elsewhere():
    directives = dict(d.strip().split(" ", 1) for d in DOCS_CSP.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in DOCS_CSP and "http" not in DOCS_CSP


async def test_only_the_pages_assets_are_served_and_redoc_is_gone(client):
    # redoc.standalone.js is in the package, but the page does not use it.
    for path in ("/docs/assets/redoc.standalone.js", "/docs/assets/index.html", "/redoc"):
        assert (await client.get(path)).status_code == 404, path


@pytest.mark.parametrize(
    ("env", "api_docs", "served"),
    [("production", None, False), ("production", True, True), ("development", False, False)],
)
async def test_production_hides_the_docs_and_the_schema_unless_enabled(settings, env, api_docs, served):
    app = create_app(settings.model_copy(update={"env": env, "api_docs": api_docs}))
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            for path in (
                "/docs",
                "/docs/assets/swagger-ui-bundle.js",
                "/docs/assets/init.js",
                "/openapi.json",
            ):
                assert (await c.get(path)).status_code == (200 if served else 404), path
    finally:
        await app.state.ctx.close()
