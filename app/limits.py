"""The request body limit (``JIEFEN_MAX_BODY_BYTES``), enforced while the body streams in.

Bodies are read and parsed before authentication (FastAPI reads the body before it solves dependencies), so
without a limit anyone who can reach the port can make a worker buffer and parse any amount of JSON. A
declared ``Content-Length`` over the limit is refused before the application runs; a chunked body is counted
as it arrives and refused at the first chunk that crosses the limit, so at most ``limit`` bytes (plus one
chunk) are ever held.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response

BODY_TOO_LARGE_CODE = "body.too_large"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body crosses the limit.

    An HTTPException so that FastAPI's body reading re-raises it as it is (it turns any other exception from
    ``receive`` into a 400); its own handler, registered before the generic one, gives the problem response.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"The request body exceeds {limit} bytes.")


def body_too_large(request: Request, limit: int) -> JSONResponse:
    return problem_response(
        413,
        "Content too large",
        f"The request body exceeds {limit} bytes.",
        BODY_TOO_LARGE_CODE,
        instance=request.url.path,
        extra={"max_body_bytes": limit},
    )


class BodyLimitMiddleware:
    """Pure ASGI: refuses an over-long Content-Length up front and counts the bytes of chunked bodies."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await body_too_large(Request(scope), self.limit)(scope, receive, send)
            return

        received = 0
        responding = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request" and not responding:
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal responding
            # Once a response is on its way, reading the rest of the body (a streaming response listening for
            # the client's disconnect) is not parsing it; raising then would only cut the response short.
            responding = responding or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counting_receive, tracking_send)


def install_body_limit(app: FastAPI, max_body_bytes: int) -> None:
    async def _too_large(request: Request, exc: Exception) -> JSONResponse:
        return body_too_large(request, max_body_bytes)

    app.add_exception_handler(BodyTooLarge, _too_large)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=max_body_bytes)
