"""The pages' own CSS and JavaScript, served by the app (no CDN, no build step).

Files are read once at import and each gets a content-hashed name (``m.css`` →
``/m/static/m.56930137d377.css``): a name is one content forever, so it is served ``immutable`` for a
year and a phone never asks for it again, not even to revalidate, while a new version is a new name that
the next page links to. Bodies are gzipped once, here, not on every request.

Names that are not the current build's: a known file under another hash (a tab opened before a deploy, or a
page rendered by a replica running another version during a rolling deploy) or under its plain name gets
today's body with ``no-cache`` and an ETag, so the page still works and nothing stale is pinned for a year
under a name that promises other content. Anything else is a 404.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response

from app.compression import accepts_gzip

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
IMMUTABLE = "public, max-age=31536000, immutable"
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<version>[0-9a-f]{12})(?P<suffix>\.[a-z]+)$")


@dataclass(frozen=True)
class Asset:
    name: str  # the file's own name, as templates ask for it: "m.css"
    body: bytes
    gzipped: bytes
    media_type: str
    version: str  # the first 12 hex digits of the body's SHA-256

    @property
    def hashed_name(self) -> str:
        stem, suffix = self.name.rsplit(".", 1)
        return f"{stem}.{self.version}.{suffix}"


def _load() -> dict[str, Asset]:
    assets = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix in MEDIA_TYPES and path.is_file():
            body = path.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            # mtime=0: the same bytes on every replica and every start, like the name.
            gzipped = gzip.compress(body, compresslevel=9, mtime=0)
            assets[path.name] = Asset(path.name, body, gzipped, MEDIA_TYPES[path.suffix], version)
    return assets


ASSETS = _load()
_BY_HASHED_NAME = {asset.hashed_name: asset for asset in ASSETS.values()}


def asset_url(name: str) -> str:
    return f"/m/static/{ASSETS[name].hashed_name}"


def _other_version_of(name: str) -> Asset | None:
    """The file a plain name or another build's hashed name stands for, if it is one of ours."""
    if name in ASSETS:
        return ASSETS[name]
    match = _HASHED.match(name)
    return ASSETS.get(match["stem"] + match["suffix"]) if match else None


def serve_asset(name: str, request: Request) -> Response:
    asset = _BY_HASHED_NAME.get(name)
    cache = IMMUTABLE
    if asset is None:
        asset = _other_version_of(name)
        cache = "no-cache"
    if asset is None:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
    # One strong ETag per representation: the gzipped bytes are not the plain ones.
    etag = f'"{asset.version}-gzip"' if gzipped else f'"{asset.version}"'
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)
