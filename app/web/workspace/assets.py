"""The workspace's own CSS and JavaScript and the vendored ECharts, served under /s/static/ with a content
hash in the URL (cached for a year, a new version picked up at once), like ``app.web.assets``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    version: str  # the first 12 hex digits of the body's SHA-256


def _load() -> dict[str, Asset]:
    assets = {}
    for path in sorted([*STATIC_DIR.iterdir(), *(STATIC_DIR / "vendor").iterdir()]):
        if path.suffix in MEDIA_TYPES and path.is_file():
            body = path.read_bytes()
            assets[path.name] = Asset(body, MEDIA_TYPES[path.suffix], hashlib.sha256(body).hexdigest()[:12])
    return assets


ASSETS = _load()


def asset_url(name: str) -> str:
    return f"/s/static/{name}?v={ASSETS[name].version}"


def serve_asset(name: str, request: Request) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        return Response(status_code=404)
    etag = f'"{asset.version}"'
    fresh = request.query_params.get("v") == asset.version
    headers = {"ETag": etag, "Cache-Control": "public, max-age=31536000, immutable" if fresh else "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
