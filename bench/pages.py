"""The mediators' pages on one bar of signal (issue #12): load times under Chromium's emulated Slow 3G.

A live server on loopback (uvicorn, in this process, on a migrated SQLite file seeded with the test world and
a few cases) and Debian's Chromium through Playwright, as in ``tests/browser/``. Every page is throttled with
CDP ``Network.emulateNetworkConditions`` (400 ms round trip, 400 kbit/s down and up) and measured twice:

- **first visit**: a new browser context (empty HTTP cache) that carries only the signed-in cookies;
- **repeat visit**: the same page again in that context, after the first visit filled the cache.

The time is the navigation's ``loadEventEnd`` (HTML, CSS and scripts fetched and run). The weight is what
the Resource Timing API reports for the document and every subresource: bytes on the wire (``transferSize``,
headers included; 0 when served from the cache) and bodies decompressed (``decodedBodySize``).

    python -m bench.run pages [--runs 3] [--no-readme]

The pages are one table, :data:`PAGES`; every link on the case page to one of its action forms
(``/m/cases/{id}/...``) is measured too, so action forms added later are covered without editing this file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import OUT_DIR, log, machine, publish

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
# Chromium's "Slow 3G" as the issue measured it: 400 ms round trip, ~400 kbit/s each way (bytes per second).
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
TARGET_FIRST_S = 1.0
TARGET_REPEAT_S = 0.6
USER = "lc_v01"  # a village committee's mediator: registers, accepts and mediates its own cases


@dataclass(frozen=True)
class PageSpec:
    name: str
    path: str  # "{case}" is replaced with a seeded case's id
    signed_in: bool = True


PAGES: list[PageSpec] = [
    PageSpec("login", "/m/login", signed_in=False),
    PageSpec("inbox", "/m/"),
    PageSpec("case page", "/m/cases/{case}"),
    PageSpec("new-case form", "/m/cases/new"),
]

_TIMING_JS = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const all = [nav, ...performance.getEntriesByType("resource")];
  return {
    load_ms: nav.loadEventEnd - nav.startTime,
    wire: all.reduce((s, e) => s + e.transferSize, 0),
    body: all.reduce((s, e) => s + e.decodedBodySize, 0),
    requests: all.length,
    network: all.filter(e => e.transferSize > 0).length,
    revalidated: all.filter(e => e.transferSize > 0 && e.transferSize < 1000 && e.encodedBodySize > 0).length,
  };
}"""


@dataclass
class Visit:
    load_ms: float
    wire: int
    body: int
    requests: int
    network: int


@dataclass
class Row:
    name: str
    path: str
    first: list[Visit]
    repeat: list[Visit]


async def seed(app: Any) -> tuple[Any, list[str]]:
    """The test world (known passwords) and three cases registered by USER, through the API."""
    import httpx

    from tests.support import build_world, case_body, login

    world = await build_world(app)
    ids = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        headers = await login(client, world, USER)
        for n in range(3):
            r = await client.post(
                "/api/v1/cases", json=case_body(), headers={**headers, "Idempotency-Key": f"bench-pages-{n}"}
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return world, ids


@asynccontextmanager
async def live_app() -> AsyncIterator[tuple[str, list[str]]]:
    from app import migrate
    from app.config import Settings
    from app.main import create_app
    from app.pii.crypto import generate_key
    from tests.live import serve

    with tempfile.TemporaryDirectory(prefix="jiefen-pages-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'pages.db'}"
        await asyncio.to_thread(migrate.upgrade, url)
        settings = Settings(
            env="test",
            database_url=url,
            encryption_key=generate_key(),
            blind_index_key=generate_key(),
            sla_sweep_enabled=False,
        )
        app = create_app(settings)
        try:
            _, ids = await seed(app)
            async with serve(app) as base:
                yield base, ids
        finally:
            await app.state.ctx.close()


async def throttled_visit(context: Any, url: str) -> Visit:
    page = await context.new_page()
    try:
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        response = await page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, f"{url}: {response and response.status}"
        t = await page.evaluate(_TIMING_JS)
        return Visit(t["load_ms"], t["wire"], t["body"], t["requests"], t["network"])
    finally:
        await page.close()


async def signed_in_state(browser: Any, base: str) -> dict[str, Any]:
    from tests.support import PASSWORD

    context = await browser.new_context(base_url=base, **PHONE)
    page = await context.new_page()
    await page.goto("/m/login")
    await page.fill("input[name=username]", USER)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/m/")
    state: dict[str, Any] = await context.storage_state()
    await context.close()
    return state


async def action_form_paths(browser: Any, base: str, state: dict[str, Any], case: str) -> list[str]:
    """Links on the case page to a page of its own under the case (the action forms, when they exist)."""
    context = await browser.new_context(base_url=base, storage_state=state, **PHONE)
    page = await context.new_page()
    await page.goto(f"/m/cases/{case}")
    hrefs: list[str] = await page.eval_on_selector_all(
        f'a[href^="/m/cases/{case}/"]', "links => links.map(a => a.getAttribute('href'))"
    )
    await context.close()
    return sorted({h.split("#")[0] for h in hrefs})


async def measure(runs: int) -> list[Row]:
    from playwright.async_api import async_playwright

    async with live_app() as (base, ids), async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        state = await signed_in_state(browser, base)
        specs = list(PAGES)
        for path in await action_form_paths(browser, base, state, ids[0]):
            specs.append(PageSpec(f"action: {path.rsplit('/', 1)[-1]}", path.replace(ids[0], "{case}")))
        rows = []
        for spec in specs:
            path = spec.path.format(case=ids[0])
            row = Row(spec.name, spec.path, [], [])
            for _ in range(runs):
                context = await browser.new_context(
                    base_url=base, storage_state=state if spec.signed_in else None, **PHONE
                )
                row.first.append(await throttled_visit(context, base + path))
                row.repeat.append(await throttled_visit(context, base + path))
                await context.close()
            log(f"{spec.name}: first {_median_ms(row.first):.0f} ms, repeat {_median_ms(row.repeat):.0f} ms")
            rows.append(row)
        await browser.close()
    return rows


def _median_ms(visits: list[Visit]) -> float:
    return statistics.median(v.load_ms for v in visits)


def _kb(n: float) -> str:
    return f"{n / 1000:.1f}"


HEADING = "## Pages on one bar of signal: `python -m bench.run pages` (issue #12)"


def network_floor_s(visit: Visit) -> float:
    """What the emulated link alone costs: one round trip for the document, one more when any subresource
    comes over the network (they load in parallel), and every byte at the emulated throughput."""
    trips = 1 + (visit.network > 1)
    return (trips * SLOW_3G["latency"]) / 1000 + visit.wire / SLOW_3G["downloadThroughput"]


def report(
    rows: list[Row], runs: int, info: dict[str, str], chromium: str, load: str, heading: str = HEADING
) -> str:
    lines = [
        heading,
        "",
        f"Generated on {info['date']}. Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, "
        f"Linux {info['kernel']}, Python {info['python']}, {chromium}; server and browser on one machine. "
        f"Load average during the run: {load} (other jobs shared the CPUs; server time and script parsing "
        "are in the figures, so they are pessimistic when the load is high).",
        "",
        "Chromium's Slow 3G emulated through CDP (400 ms round trip, 400 kbit/s down and up), phone "
        f"viewport, SQLite. {runs} runs per page: median (and fastest). *first* = empty cache (signed-in "
        "cookies only), *repeat* = the same page again after it. Time = `loadEventEnd`. *floor* = what "
        "the emulated link alone costs (round trips + bytes at 400 kbit/s). Weight from Resource Timing: "
        "on the wire (compressed, headers included; cached files count 0) and decoded bodies.",
        "",
        "| page | path | first s | repeat s | floor first / repeat s | first: wire KB / decoded KB | "
        "requests (first) | repeat: wire KB, requests on the network |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    met = True
    for row in rows:
        first, repeat = _median_ms(row.first) / 1000, _median_ms(row.repeat) / 1000
        fastest_first = min(v.load_ms for v in row.first) / 1000
        fastest_repeat = min(v.load_ms for v in row.repeat) / 1000
        met = met and first <= TARGET_FIRST_S and repeat <= TARGET_REPEAT_S
        f, r = row.first[0], row.repeat[0]
        lines.append(
            f"| {row.name} | `{row.path}` | {first:.2f} ({fastest_first:.2f}) | "
            f"{repeat:.2f} ({fastest_repeat:.2f}) | {network_floor_s(f):.2f} / {network_floor_s(r):.2f} | "
            f"{_kb(f.wire)} / {_kb(f.body)} | {f.requests} | {_kb(r.wire)}, {r.network} of {r.requests} |"
        )
    verdict = "MET" if met else "NOT MET"
    lines += [
        "",
        f"**Targets** (every page ≤ {TARGET_FIRST_S} s first, ≤ {TARGET_REPEAT_S} s repeat, medians): "
        f"**{verdict}**.",
    ]
    return "\n".join(lines) + "\n"


def chromium_version() -> str:
    import subprocess

    out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return out or "Chromium"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.run pages")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-readme", action="store_true", help="print the report, leave bench/README.md")
    parser.add_argument("--section", default="pages", help="the section of bench/README.md to write")
    parser.add_argument("--heading", default=HEADING, help="the section's heading")
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(exist_ok=True)
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rows = asyncio.run(measure(args.runs))
    load = f"{load_before:.1f} → {os.getloadavg()[0]:.1f} (of {os.cpu_count()} CPUs)"
    text = report(rows, args.runs, machine(), chromium_version(), load, args.heading)
    print(text)
    results = {"rows": [row.__dict__ for row in rows]}
    publish(args.section, results, text, time.perf_counter() - started, readme=not args.no_readme)
    return 0
