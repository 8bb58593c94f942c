"""End-to-end harness: the app served over real HTTP by uvicorn, driven by headless Chromium (Playwright).

uvicorn runs as a task on the test session's own event loop: the ``app`` fixture's database engine is
bound to that loop, so serving from another thread/loop would break it. Playwright's async API shares the
loop too. Chromium is Debian's (``/usr/bin/chromium``); Playwright never downloads a browser here.
Missing Chromium or Playwright FAILS these tests (like a missing PostgreSQL): install them, or deselect
explicitly with ``-m "not browser"``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import serve

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
    # No service worker may sit between the page and page.route() interception.
    "service_workers": "block",
}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install playwright (no `playwright install`)", False)
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per session, before the browser starts
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium", pytrace=False)
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


@pytest.fixture
async def live_server(app: Any, world: Any) -> AsyncIterator[str]:
    """The app on 127.0.0.1 at a free port, served from the test loop. Yields the base URL."""
    async with serve(app) as url:
        yield url


@pytest.fixture
async def context(browser: Any, live_server: str) -> AsyncIterator[Any]:
    ctx = await browser.new_context(base_url=live_server, **PHONE)
    ctx.set_default_timeout(10_000)
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: Any) -> AsyncIterator[Any]:
    p = await context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    yield p
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
