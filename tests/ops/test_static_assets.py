"""The pages' static files: content-hashed names cached for a year, other versions' names still answered."""

from __future__ import annotations

import re

from app.web.assets import ASSETS, STATIC_DIR, asset_url
from tests.browser.web import web_login

IMMUTABLE = "public, max-age=31536000, immutable"
PLAIN = {"Accept-Encoding": "identity"}


def test_every_url_names_its_content_hash():
    for name, asset in ASSETS.items():
        stem, suffix = name.rsplit(".", 1)
        url = asset_url(name)
        assert re.fullmatch(rf"/m/static/{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix}", url), url
        assert asset.version in url and "?" not in url


async def test_a_hashed_name_is_immutable_for_a_year_and_gzipped_once(client):
    url = asset_url("m.css")
    zipped = await client.get(url)  # httpx asks for gzip and decodes it
    assert zipped.status_code == 200
    assert zipped.headers["cache-control"] == IMMUTABLE
    assert zipped.headers["content-encoding"] == "gzip" and "Accept-Encoding" in zipped.headers["vary"]
    assert zipped.content == (STATIC_DIR / "m.css").read_bytes()
    assert int(zipped.headers["content-length"]) < len(zipped.content) / 2
    assert zipped.headers["content-type"] == "text/css; charset=utf-8"

    plain = await client.get(url, headers=PLAIN)
    assert "content-encoding" not in plain.headers
    assert plain.content == (STATIC_DIR / "m.css").read_bytes()
    assert int(plain.headers["content-length"]) == len(plain.content)
    # Two representations, two strong validators.
    assert plain.headers["etag"] != zipped.headers["etag"]


async def test_a_revalidation_with_the_etag_is_a_304_without_a_body(client):
    url = asset_url("outbox.js")
    first = await client.get(url)
    again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == IMMUTABLE


async def test_another_builds_name_gets_todays_file_but_never_for_a_year(client):
    today = (STATIC_DIR / "intake.js").read_bytes()
    for url in ("/m/static/intake.0123456789ab.js", "/m/static/intake.js", "/m/static/intake.js?v=old"):
        r = await client.get(url)
        assert r.status_code == 200, url
        assert r.content == today, url
        assert r.headers["cache-control"] == "no-cache", url
        assert r.headers["content-type"] == "text/javascript; charset=utf-8"


async def test_an_unknown_file_is_a_404_that_is_not_cached(client):
    for url in ("/m/static/nope.css", "/m/static/nope.0123456789ab.css", "/m/static/..%2Fviews.py"):
        r = await client.get(url)
        assert r.status_code == 404, url
        assert r.headers["cache-control"] == "no-store", url


async def test_the_pages_link_every_asset_by_its_hashed_name(client, world):
    pages = [(await client.get("/m/login")).text]
    assert (await web_login(client, "lc_v01")).status_code == 303
    pages += [(await client.get(path)).text for path in ("/m/", "/m/cases/new")]
    for page in pages:
        links = re.findall(r'(?:href|src)="(/m/static/[^"]+)"', page)
        assert links
        for link in links:
            r = await client.get(link)
            assert r.headers["cache-control"] == IMMUTABLE, link
