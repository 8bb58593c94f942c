"""The interactive API documentation at ``/docs`` (Swagger UI), served without any CDN.

A government intranet reaches no CDN, and the service's own CSP (``default-src 'self'``) would block one
anyway: FastAPI's default pages load Swagger UI and ReDoc from jsDelivr and were blank. The assets come from
the ``fastapi-offline`` package (its ``static/`` folder, Swagger UI 5, which reads OpenAPI 3.1); only the
files the page needs are served, by name. The page's start-up script is a file of its own rather than an
inline ``<script>``, so its CSP allows scripts from 'self' only. ReDoc is not offered: one documentation
page is enough, and ReDoc needs inline styles and blob: workers.

In production the pages and ``/openapi.json`` are off (404) unless ``JIEFEN_API_DOCS=true``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from app.config import Settings
from app.errors import NotFound

DOCS_URL = "/docs"
OPENAPI_URL = "/openapi.json"
ASSETS_URL = f"{DOCS_URL}/assets"
_PACKAGE_STATIC = Path(fastapi_offline.__file__).parent / "static"

# name -> (file in the package, content type). A name not listed here is a 404.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (_PACKAGE_STATIC / "swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": (_PACKAGE_STATIC / "swagger-ui.css", "text/css; charset=utf-8"),
    "favicon.png": (_PACKAGE_STATIC / "favicon.png", "image/png"),
}

# Exactly what Swagger UI needs: its script and the start-up script from here, its stylesheet, data: images
# in that stylesheet, and fetch() to this origin for /openapi.json and "Try it out".
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_ASSET_CACHE = "public, max-age=86400"

_INIT_JS = """\
"use strict";
// Started from a file, not an inline script, so that the page's CSP needs no 'unsafe-inline'.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
})();
"""


def docs_enabled(settings: Settings) -> bool:
    return settings.api_docs if settings.api_docs is not None else settings.env != "production"


def fastapi_options(settings: Settings) -> dict[str, Any]:
    """The FastAPI constructor's documentation options: its CDN pages off, the schema only when enabled."""
    return {
        "docs_url": None,
        "redoc_url": None,
        "openapi_url": OPENAPI_URL if docs_enabled(settings) else None,
    }


def _page(root_path: str, title: str) -> str:
    assets = html.escape(root_path + ASSETS_URL)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)} — API</title>
<link rel="icon" type="image/png" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(root_path + OPENAPI_URL)}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/init.js"></script>
</body>
</html>
"""


def install(app: FastAPI, settings: Settings) -> None:
    """Add ``/docs`` and its assets when the documentation is enabled."""
    if not docs_enabled(settings):
        return

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        page = _page(request.scope.get("root_path", ""), app.title)
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get(f"{ASSETS_URL}/init.js", include_in_schema=False)
    async def swagger_ui_init() -> Response:
        return Response(
            _INIT_JS, media_type="text/javascript; charset=utf-8", headers={"Cache-Control": _ASSET_CACHE}
        )

    @app.get(ASSETS_URL + "/{name}", include_in_schema=False)
    async def swagger_ui_asset(name: str) -> Response:
        if name not in ASSETS:
            raise NotFound()
        path, content_type = ASSETS[name]
        return FileResponse(path, media_type=content_type, headers={"Cache-Control": _ASSET_CACHE})
