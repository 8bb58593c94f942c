"""The pages' own CSS and JavaScript, served by the app (no CDN, no build step).

Files are read once at import. URLs carry a content hash (``?v=``), so a phone caches them for a year and
still picks up a new version at once; a URL without the current hash is served with ``no-cache``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    version: str


def _load() -> dict[str, Asset]:
    assets = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix in MEDIA_TYPES and path.is_file():
            body = path.read_bytes()
            assets[path.name] = Asset(body, MEDIA_TYPES[path.suffix], hashlib.sha256(body).hexdigest()[:12])
    return assets


ASSETS = _load()


def asset_url(name: str) -> str:
    return f"/m/static/{name}?v={ASSETS[name].version}"


def serve_asset(name: str, request: Request) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        return Response(status_code=404)
    etag = f'"{asset.version}"'
    if request.query_params.get("v") == asset.version:
        cache = "public, max-age=31536000, immutable"
    else:
        cache = "no-cache"
    headers = {"ETag": etag, "Cache-Control": cache}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
