"""gzip for text responses (HTML, CSS, JavaScript, JSON, CSV, Prometheus text), outermost of the middleware.

Starlette's ``GZipResponder`` does the compressing: bodies under 500 bytes go as they are, a streamed body is
compressed chunk by chunk with a sync flush (each chunk reaches the client when it is sent, so CSV downloads
and long polls are not held back), a response that already has a ``Content-Encoding`` (the pages' static
files, gzipped once at start) passes untouched, and ``Content-Length`` is rewritten or dropped.

It wraps every other middleware, so the request context, the body limit and the metrics (which reads a 503's
problem code from its body) all see plain bodies; the 500 and 503 answers are ordinary responses to it.
Request bodies are never decompressed: a ``Content-Encoding`` on a request is not honoured, so there is no
zip bomb to count against the body limit.

BREACH (a secret in a compressed HTTPS body next to text an attacker chose, e.g. a search term reflected in
the page, measured by response length across many forged requests): HTML is compressed only for requests the
browser marks ``Sec-Fetch-Site: same-origin`` or ``none`` (the user's own navigation). Those are the only
requests that carry the signed-in session anyway (SameSite=Lax); a request another site started gets its
HTML uncompressed, so its length says nothing about the page's CSRF token or personal data. The header is one
a page cannot forge. JSON is compressed for everyone: API calls with the session cookie also need the
``X-CSRF-Token`` header, which no other site can send, and bearer tokens are never sent by a browser on its
own. The reasoning is in ``docs/operations.md``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipResponder
from starlette.types import ASGIApp, Receive, Scope, Send

from app.qvalues import weighted

MINIMUM_SIZE = 500  # below this, gzip's own 18 bytes and the CPU buy nothing
COMPRESS_LEVEL = 6  # zlib's default: within 2% of level 9 on the pages, at half the CPU
# Sec-Fetch-Site values of a request the user made on this site, not one another site started.
OWN_NAVIGATION = frozenset({"same-origin", "none"})
_HTML_EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "text/html")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (RFC 9110 12.5.3: ``gzip;q=0`` refuses it)."""
    allowed = {coding: q > 0 for coding, q in weighted(accept_encoding)}
    if "gzip" in allowed:
        return allowed["gzip"]
    if "x-gzip" in allowed:
        return allowed["x-gzip"]
    return allowed.get("*", False)


class CompressionMiddleware:
    """gzip when the client accepts it; HTML only for the user's own navigations (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not accepts_gzip(headers.get("accept-encoding", "")):
            await self.app(scope, receive, send)
            return
        own = headers.get("sec-fetch-site", "").lower() in OWN_NAVIGATION
        responder = GZipResponder(
            self.app,
            MINIMUM_SIZE,
            compresslevel=COMPRESS_LEVEL,
            exclude_content_types=DEFAULT_EXCLUDED_CONTENT_TYPES if own else _HTML_EXCLUDED,
        )
        await responder(scope, receive, send)


def install_compression(app: FastAPI) -> None:
    """Added last, so it runs first: outside the metrics, the request context and the body limit."""
    app.add_middleware(CompressionMiddleware)
