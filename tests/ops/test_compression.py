"""gzip of text responses: what is compressed, what is not (BREACH), and what compression must not break."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import httpx
import pytest

from app.compression import CompressionMiddleware, accepts_gzip
from app.main import create_app
from tests.api.test_metrics import SCRAPE, TOKEN
from tests.browser.web import web_login
from tests.support import case_body, login

GZIP = {"Accept-Encoding": "gzip"}
OWN = {**GZIP, "Sec-Fetch-Site": "same-origin"}


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("gzip;q=0", False),
        ("GZIP;Q=0.5", True),
        ("identity", False),
        ("", False),
        ("*", True),
        ("*;q=0.1, gzip;q=0", False),
        ("x-gzip", True),
        ("gzip;q=bogus", False),
    ],
)
def test_accept_encoding_is_read_with_its_q_values(header, accepted):
    assert accepts_gzip(header) is accepted


async def test_a_json_list_is_gzipped_with_the_right_length(client, world):
    headers = {**await login(client, world, "admin"), **GZIP}
    r = await client.get("/api/v1/organizations", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip" and "Accept-Encoding" in r.headers["vary"]
    # httpx decoded it; the length on the wire is the compressed one.
    assert int(r.headers["content-length"]) < len(r.content) / 3
    assert r.json()  # the body is intact
    plain = await client.get("/api/v1/organizations", headers={**headers, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == r.json()
    assert int(plain.headers["content-length"]) == len(plain.content)


async def test_a_small_answer_is_not_compressed(client):
    r = await client.get("/healthz", headers=GZIP)
    assert r.json() == {"status": "ok"} and "content-encoding" not in r.headers


async def test_pages_are_gzipped_only_on_the_users_own_navigation(client, world):
    assert (await web_login(client, "lc_v01")).status_code == 303
    own = await client.get("/m/cases/new", headers=OWN)
    typed = await client.get("/m/cases/new", headers={**GZIP, "Sec-Fetch-Site": "none"})
    assert own.headers["content-encoding"] == "gzip" and typed.headers["content-encoding"] == "gzip"
    assert "登记" in own.text
    # Started by another site, or by a client that does not say: the page is not compressed (BREACH).
    for site in ("cross-site", "same-site", None):
        headers = GZIP if site is None else {**GZIP, "Sec-Fetch-Site": site}
        r = await client.get("/m/cases/new", headers=headers)
        assert r.status_code == 200
        assert "content-encoding" not in r.headers, site
        assert int(r.headers["content-length"]) == len(r.content)
    # JSON carries no page secret an attacker can make the browser fetch with the session: compressed.
    bearer = await login(client, world, "lc_v01")
    api = await client.get(
        "/api/v1/organizations", headers={**bearer, **GZIP, "Sec-Fetch-Site": "cross-site"}
    )
    assert api.status_code == 200 and api.headers["content-encoding"] == "gzip"


async def test_the_500_answer_and_a_long_poll_arrive_intact(settings, world):
    app = create_app(settings)

    async def boom() -> None:
        raise RuntimeError("internals")

    app.add_api_route("/api/v1/test-boom", boom, methods=["GET"])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            r = await c.get("/api/v1/test-boom", headers=GZIP)
            assert r.status_code == 500 and r.json()["code"] == "internal_error"
            assert r.headers["x-request-id"] and r.headers["cache-control"] == "no-store"
            court = {"Authorization": f"Bearer {world.court_key}", **GZIP}
            poll = await c.get("/api/v1/feed", params={"wait": 1}, headers=court)
            assert poll.status_code == 200, poll.text
            assert poll.json()["items"] == [] and poll.json()["next_cursor"]
    finally:
        await app.state.ctx.close()


async def test_the_body_limit_still_answers_413_through_compression(settings, world):
    app = create_app(settings.model_copy(update={"max_body_bytes": 1000}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            headers = {**await login(c, world, "lc_v01"), **GZIP, "Idempotency-Key": "big"}
            r = await c.post("/api/v1/cases", json=case_body(summary="纠纷" * 2000), headers=headers)
            assert r.status_code == 413
            assert r.json()["code"] == "body.too_large" and r.headers["x-request-id"]
    finally:
        await app.state.ctx.close()


async def test_a_validation_problem_is_compressed_and_intact(client, world):
    headers = {**await login(client, world, "lc_v01"), **GZIP, "Idempotency-Key": "bad"}
    body = case_body(parties=[{"role": "x"}] * 20)
    r = await client.post("/api/v1/cases", json=body, headers=headers)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["content-encoding"] == "gzip"
    assert r.json()["code"] == "validation_failed" and len(r.json()["errors"]) > 5


async def test_metrics_are_scraped_compressed(settings, world):
    app = create_app(settings.model_copy(update={"metrics_token": TOKEN}))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            await c.get("/healthz")
            r = await c.get("/metrics", headers={**SCRAPE, **GZIP})
            assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
            assert "jiefen_" in r.text and r.headers["content-type"].startswith("text/plain")
    finally:
        await app.state.ctx.close()


async def test_compression_wraps_every_other_middleware(app):
    # Outermost: the metrics middleware (which reads a 503's problem code from its body), the request
    # context (the 500 answer) and the body limit all see plain bodies.
    assert app.user_middleware[0].cls is CompressionMiddleware


async def _run(app: Any, accept: str = "gzip") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept-encoding", accept.encode())]}

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await CompressionMiddleware(app)(scope, receive, send)
    return sent


async def test_a_streamed_body_leaves_chunk_by_chunk_each_one_decodable_at_once():
    chunks = [f"行{i},".encode() * 300 for i in range(3)]

    async def streaming(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/csv; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    sent = await _run(streaming)
    start, *bodies = sent
    headers = dict(start["headers"])
    assert headers[b"content-encoding"] == b"gzip" and b"content-length" not in headers
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for chunk, message in zip(chunks, bodies, strict=False):
        # Sync-flushed: what has arrived so far decodes to exactly what was sent so far.
        assert decoder.decompress(message["body"]) == chunk
    assert gzip.decompress(b"".join(m["body"] for m in bodies)) == b"".join(chunks)


async def test_an_already_encoded_response_and_an_event_stream_pass_untouched():
    for headers in (
        [(b"content-type", b"text/css"), (b"content-encoding", b"gzip")],
        [(b"content-type", b"text/event-stream")],
    ):

        async def app(scope: Any, receive: Any, send: Any, headers: Any = headers) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"x" * 5000})

        start, body = await _run(app)
        assert dict(start["headers"]).get(b"content-encoding") in (None, b"gzip")
        assert body["body"] == b"x" * 5000
