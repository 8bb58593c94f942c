"""Helpers shared by the web tests: signing in through the login form, reading the page's CSRF token."""

from __future__ import annotations

import re

import httpx

from tests.support import PASSWORD

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]*)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')


def form_csrf(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def meta_csrf(html: str) -> str:
    match = _CSRF_META.search(html)
    assert match, "no csrf-token meta in the page"
    return match.group(1)


async def web_login(client: httpx.AsyncClient, username: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/m/login")
    assert page.status_code == 200, page.text
    return await client.post(
        "/m/login",
        data={"username": username, "password": password, "csrf_token": form_csrf(page.text)},
    )
