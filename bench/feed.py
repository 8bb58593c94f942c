"""Court feed benchmark (issue #5): pulling from the middle of a 1,000,000-event outbox, and keeping up.

    python -m bench.run feed [--events 1000000] [--cases 50000] [--samples 50] [--rate 500]
                             [--http-seconds 15] [--db-seconds 30] [--http-clients 16] [--no-readme]

1. ``bench.generate.generate_feed``: recreate ``jiefen_bench_feed``, migrate, the demo tree, a mediator, a
   court API client (``feed:read``); 50,000 court cases (2 parties each, real ciphertexts under the bench
   key, so the feed really decrypts), 1,000,000 ``feed_events`` for the court (txids increasing, grouped
   below the cluster's current xid, each case ~20 events), VACUUM ANALYZE.
2. uvicorn (1 worker): ``GET /api/v1/feed?cursor=…&limit=100`` from ``--samples`` different cursors around
   the middle (built with ``app.feed.cursor.encode`` and the server's blind-index key), sequentially.
   The page's SQL is captured in-process and EXPLAIN (ANALYZE, BUFFERS)-ed.
3. Keeping up: one consumer pulls from the tail with ``limit=500&wait=1`` and measures each event's lag
   (delivery time − ``occurred_at``) while
   a. ``--http-clients`` concurrent httpx clients POST court-routed cases
      (``litigation_intended``) to a second uvicorn worker as fast as it goes, for
      ``--http-seconds``;
   b. a direct database writer commits ``--rate`` dispatches per second, each its own transaction (an audit
      ``case_events`` row and its outbox row, as ``write_events`` does), for ``--db-seconds``.
4. ``bench/out/feed-*`` (raw) and the feed section of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from bench.common import (
    CpuMeter,
    Server,
    log,
    pg_dsn,
    publish,
    sqlalchemy_url,
    start_run,
)
from bench.generate import FEED_DB, MEDIATOR, PASSWORD, FeedCounts, generate_feed
from bench.intake import BLIND_INDEX_KEY, ENCRYPTION_KEY, case_body, service_env
from bench.sla import (
    StatementLog,
    explain_captured,
    plan_block,
    sample,
    summarise,
)

NAME = "feed"
PORT = 18768
WRITER_PORT = 18769
TARGET_P50_MS = 20.0
TARGET_RATE = 500.0


def cursor_for(org_id: int, txid: int, event_id: int) -> str:
    from app.feed.cursor import Position, encode
    from app.pii.crypto import load_key

    return encode(load_key(BLIND_INDEX_KEY), org_id, Position(txid, event_id), datetime.now(UTC))


async def positions(database: str, ids: list[int]) -> list[tuple[int, int]]:
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        rows = await conn.fetch(
            "SELECT txid, id FROM feed_events WHERE id = ANY($1::bigint[]) ORDER BY id", ids
        )
        return [(r["txid"], r["id"]) for r in rows]
    finally:
        await conn.close()


async def tail(database: str, org_id: int) -> tuple[int, int, int]:
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        row = await conn.fetchrow(
            "SELECT txid, id FROM feed_events WHERE organization_id = $1 ORDER BY txid DESC, id DESC LIMIT 1",
            org_id,
        )
        total = await conn.fetchval("SELECT count(*) FROM feed_events")
        return int(row["txid"]), int(row["id"]), int(total)
    finally:
        await conn.close()


# --- reading from the middle ---------------------------------------------------------------------------


def run_middle(base_url: str, key: str, org_id: int, events: int, n: int) -> dict[str, Any]:
    ids = [events // 2 + i * (events // (20 * n)) for i in range(n + 3)]
    cursors = [cursor_for(org_id, t, i) for t, i in asyncio.run(positions(FEED_DB, ids))]
    times = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as client:
        for c in cursors[:3]:  # warm-up
            client.get("/api/v1/feed", params={"cursor": c, "limit": 100}).raise_for_status()
        resp = None
        for c in cursors[3:]:
            t = time.perf_counter()
            resp = client.get("/api/v1/feed", params={"cursor": c, "limit": 100})
            times.append((time.perf_counter() - t) * 1000)
            if resp.status_code != 200 or len(resp.json()["items"]) != 100:
                raise RuntimeError(f"feed page: {resp.status_code} {resp.text[:500]}")
        assert resp is not None
        body = resp.json()
        # The same page again and again (everything cached) for comparison.
        same = sample(client, f"/api/v1/feed?cursor={cursors[3]}&limit=100", n)
    phone = body["items"][0]["case"]["parties"][0]["phone"]
    return {
        **summarise(times),
        "samples_ms": [round(t, 2) for t in times],
        "bytes": len(resp.content),
        "first_event_id": body["items"][0]["id"],
        "distinct_cases": len({i["case"]["id"] for i in body["items"]}),
        "decrypted_phone_example": phone[:3] + "…",
        "same_cursor": {k: v for k, v in same.items() if k != "samples_ms"},
        "urls": [f"/api/v1/feed?cursor={cursors[3]}&limit=100"],
    }


async def explain_feed_page(
    key: str, org_id: int, txid: int, event_id: int
) -> dict[str, list[dict[str, Any]]]:
    from app.config import Settings
    from app.main import create_app

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlalchemy_url(FEED_DB),
        encryption_key=ENCRYPTION_KEY,
        blind_index_key=BLIND_INDEX_KEY,
        log_level="WARNING",
        sla_sweep_enabled=False,
    )
    app = create_app(settings)
    statements = StatementLog(app.state.ctx.engine)
    url = f"/api/v1/feed?cursor={cursor_for(org_id, txid, event_id)}&limit=100"
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {key}"}
            (await client.get(url, headers=headers)).raise_for_status()
            statements.take()
            statements.on = True
            (await client.get(url, headers=headers)).raise_for_status()
            statements.on = False
            captured = {"feed_page": statements.take()}
    finally:
        await app.state.ctx.close()
    return await explain_captured(FEED_DB, captured)


# --- keeping up ----------------------------------------------------------------------------------------


class Consumer:
    """Pulls the feed from a cursor with limit=500 and long-polling; lag = receipt time − occurred_at."""

    def __init__(self, base_url: str, key: str, cursor: str) -> None:
        self.base_url, self.key, self.cursor = base_url, key, cursor
        self.lags_ms: list[float] = []
        self.pulls = 0
        self.pulls_with_more = 0
        self.page_ms: list[float] = []
        self.max_page = 0
        self.last_receipt = 0.0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=60) as client:
            while not self.stop.is_set():
                t = time.perf_counter()
                resp = await client.get(
                    "/api/v1/feed", params={"cursor": self.cursor, "limit": 500, "wait": 1}
                )
                received = datetime.now(UTC)
                self.page_ms.append((time.perf_counter() - t) * 1000)
                resp.raise_for_status()
                body = resp.json()
                self.pulls += 1
                self.pulls_with_more += bool(body["has_more"])
                self.max_page = max(self.max_page, len(body["items"]))
                for item in body["items"]:
                    occurred = datetime.fromisoformat(item["occurred_at"])
                    self.lags_ms.append((received - occurred).total_seconds() * 1000)
                if body["items"]:
                    self.last_receipt = time.monotonic()
                self.cursor = body["next_cursor"]

    def report(self, written: int, drain_s: float | None) -> dict[str, Any]:
        lag = summarise(self.lags_ms) if self.lags_ms else {}
        return {
            "delivered": len(self.lags_ms),
            "written": written,
            "pulls": self.pulls,
            "pulls_with_has_more": self.pulls_with_more,
            "largest_page": self.max_page,
            "page_ms": summarise(self.page_ms) if self.page_ms else {},
            "lag_ms": lag,
            "drain_s_after_writer_stopped": drain_s,
            "caught_up": bool(lag)
            and len(self.lags_ms) == written
            and drain_s is not None
            and drain_s <= 2.0
            and lag["p99"] <= 2000,
        }


async def _drain(
    consumer: Consumer, database: str, after: tuple[int, int], limit_s: float = 30.0
) -> tuple[int, float | None]:
    """Wait until the consumer has everything written after position ``after``; return (written, seconds)."""
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        written = int(
            await conn.fetchval(
                "SELECT count(*) FROM feed_events WHERE (txid, id) > ($1::bigint, $2::bigint)", *after
            )
        )
    finally:
        await conn.close()
    stopped = time.monotonic()
    while time.monotonic() - stopped < limit_s:
        if len(consumer.lags_ms) >= written:
            return written, round(max(consumer.last_receipt - stopped, 0.0), 2)
        await asyncio.sleep(0.05)
    return written, None


async def keep_up_http(
    feed_url: str,
    writer_url: str,
    key: str,
    token: str,
    start_cursor: str,
    after: tuple[int, int],
    clients: int,
    seconds: float,
) -> dict[str, Any]:
    consumer = Consumer(feed_url, key, start_cursor)
    consumer_task = asyncio.create_task(consumer.run())
    body = case_body(datetime.now(UTC).astimezone()) | {"litigation_intended": True}
    payload = json.dumps(body, ensure_ascii=False).encode()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def writer(n: int) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=writer_url, headers=headers, timeout=60) as client:
            for i in itertools.count():
                if time.monotonic() >= deadline:
                    return
                t = time.perf_counter()
                resp = await client.post(
                    "/api/v1/cases",
                    content=payload,
                    headers={"Idempotency-Key": f"feed-{n}-{i}-{uuid.uuid4()}"},
                )
                latencies.append((time.perf_counter() - t) * 1000)
                statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1

    t0 = time.monotonic()
    await asyncio.gather(*(writer(n) for n in range(clients)))
    elapsed = time.monotonic() - t0
    written, drain = await _drain(consumer, FEED_DB, after)
    consumer.stop.set()
    await consumer_task
    created = statuses.get(201, 0)
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "cases_per_s": round(created / elapsed, 1),
        "events_per_s": round(written / elapsed, 1),
        "request_ms": summarise(latencies) if latencies else {},
        "consumer": consumer.report(written, drain),
    }


async def keep_up_db(
    feed_url: str,
    key: str,
    start_cursor: str,
    after: tuple[int, int],
    org_id: int,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    conn = await asyncpg.connect(pg_dsn(FEED_DB))
    try:
        case_ids = [
            r["id"] for r in await conn.fetch("SELECT id FROM cases WHERE routing_org_id = $1", org_id)
        ]
    finally:
        await conn.close()
    pool = await asyncpg.create_pool(pg_dsn(FEED_DB), min_size=8, max_size=8)
    consumer = Consumer(feed_url, key, start_cursor)
    consumer_task = asyncio.create_task(consumer.run())
    rng = random.Random(5)
    commit_ms: list[float] = []
    behind: list[float] = []

    async def dispatch(case_id: uuid.UUID) -> None:
        async with pool.acquire() as c:
            t = time.perf_counter()
            async with c.transaction():
                await c.execute(
                    "INSERT INTO case_events (case_id, type, from_status, to_status, case_version,"
                    " actor_org_id, data, occurred_at) VALUES ($1, 'case.dispatched', 'pending_dispatch',"
                    " 'dispatched', 2, $2, '{}'::jsonb, clock_timestamp())",
                    case_id,
                    org_id,
                )
                await c.execute(
                    "INSERT INTO feed_events (organization_id, case_id, type, case_version, data,"
                    " occurred_at) VALUES ($1, $2, 'case.dispatched', 2,"
                    ' \'{"event": "case.dispatched"}\'::jsonb, clock_timestamp())',
                    org_id,
                    case_id,
                )
            commit_ms.append((time.perf_counter() - t) * 1000)

    tasks: set[asyncio.Task[None]] = set()
    total = int(rate * seconds)
    t0 = time.monotonic()
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            behind.append(-delay)
        task = asyncio.create_task(dispatch(rng.choice(case_ids)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - t0
    await pool.close()
    written, drain = await _drain(consumer, FEED_DB, after)
    consumer.stop.set()
    await consumer_task
    return {
        "target_rate": rate,
        "seconds": round(elapsed, 1),
        "transactions": total,
        "achieved_per_s": round(total / elapsed, 1),
        "commit_ms": summarise(commit_ms),
        "scheduler_behind_max_ms": round(1000 * max(behind), 1) if behind else 0.0,
        "consumer": consumer.report(written, drain),
    }


def run_keep_up(base: Any, args: argparse.Namespace, feed_server: Server) -> dict[str, Any]:
    org_id = base.orgs["LY-COURT"]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as var_dir:
        writer = Server("feed-writer", "app.main:app", WRITER_PORT, 1, service_env(var_dir, FEED_DB))
        with writer:
            login = httpx.post(
                f"{writer.base_url}/api/v1/auth/login",
                json={"username": MEDIATOR, "password": PASSWORD},
                timeout=30,
            )
            login.raise_for_status()
            token = login.json()["access_token"]
            txid, last_id, _ = asyncio.run(tail(FEED_DB, org_id))
            start = cursor_for(org_id, txid, last_id)
            log(
                f"keep-up (a): {args.http_clients} HTTP clients posting court cases for {args.http_seconds} s"
            )
            with CpuMeter([*feed_server.pids(), *writer.pids()]) as cpu:
                results["http"] = asyncio.run(
                    keep_up_http(
                        feed_server.base_url,
                        writer.base_url,
                        base.court_key,
                        token,
                        start,
                        (txid, last_id),
                        args.http_clients,
                        args.http_seconds,
                    )
                )
            results["http"]["cpu"] = cpu.as_dict()
            log(f"  {json.dumps(results['http'], default=str)[:600]}")
    txid, last_id, _ = asyncio.run(tail(FEED_DB, org_id))
    start = cursor_for(org_id, txid, last_id)
    log(f"keep-up (b): direct writer at {args.rate:.0f} dispatches/s for {args.db_seconds} s")
    with CpuMeter(feed_server.pids()) as cpu:
        results["db"] = asyncio.run(
            keep_up_db(
                feed_server.base_url,
                base.court_key,
                start,
                (txid, last_id),
                org_id,
                args.rate,
                args.db_seconds,
            )
        )
    results["db"]["cpu"] = cpu.as_dict()
    log(f"  {json.dumps(results['db'], default=str)[:600]}")
    return results


# --- report --------------------------------------------------------------------------------------------


def render(
    info: dict[str, str],
    counts: FeedCounts,
    middle: dict[str, Any],
    plans: dict[str, list[dict[str, Any]]],
    keep: dict[str, Any],
    command: str,
    elapsed: float,
) -> str:
    from app.feed.service import PULL_RECORD_INTERVAL

    s = counts.seconds
    ok = middle["p50"] <= TARGET_P50_MS
    lines = [
        "## Court feed: reading a 1,000,000-event outbox, and keeping up (issue #5)",
        "",
        f"Generated by `{command}` on {info['date']} (whole run {elapsed:.0f} s). Raw results: "
        "`bench/out/feed-*` (git-ignored).",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, Linux {info['kernel']}, "
        f"Python {info['python']}, PostgreSQL {info['postgres']} (default settings). Clients, uvicorn and "
        "PostgreSQL share the cores; other jobs were running on the machine too.",
        "",
        f"Data (`bench/generate.py`, set-based, {s['total']:.0f} s including VACUUM ANALYZE): "
        f"{counts.cases:,} court cases ({counts.parties:,} parties with real AES-GCM ciphertexts under the "
        f"bench key), {counts.events:,} `feed_events` for LY-COURT, {counts.events // counts.cases} per "
        f"case, {counts.per_tx} per transaction id, txids "
        f"{counts.txid_range[0]:,}–{counts.txid_range[1]:,} (below the cluster's current xid, as the "
        "fence requires).",
        "",
        "### `GET /api/v1/feed?cursor=…&limit=100` from the middle",
        "",
        "| what | requests | p50 ms | p95 ms | max ms | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| {middle['n']} different cursors around event 500,000 | {middle['n']} | {middle['p50']:.1f} "
        f"| {middle['p95']:.1f} | {middle['max']:.1f} | p50 ≤ {TARGET_P50_MS:.0f} ms "
        f"| {'**met**' if ok else '**MISSED**'} |",
        f"| the same cursor repeated (all cached) | {middle['same_cursor']['n']} "
        f"| {middle['same_cursor']['p50']:.1f} | {middle['same_cursor']['p95']:.1f} "
        f"| {middle['same_cursor']['max']:.1f} | | |",
        "",
        "uvicorn 1 worker, the court client's API key, sequential httpx requests after 3 warm-ups. Each "
        f"page: 100 events of {middle['distinct_cases']} distinct cases, {middle['bytes']:,} bytes, "
        "parties' ID numbers and phones decrypted (checked: the phone reads as a number, not a token).",
        "",
        "How a page is served (`app/feed/views.py`, `app/feed/presenter.py`): one short database session "
        "authenticates the key and reads the page — the events below the fence, then the page's cases with "
        "their open assignment, their parties, their latest breaches and the organizations they name, each "
        "query taking one array of ids (`= ANY`) — as Core rows, no ORM entities; ID numbers and phones are "
        "decrypted and the page is written as JSON in one pass, without pydantic models per case (the tests "
        "hold each case's JSON equal to `CaseOut`'s). The pull is recorded for `/feed/status` at most every "
        f"{PULL_RECORD_INTERVAL.total_seconds():.0f} s per client and process, so a page writes nothing.",
        "",
        *plan_block("Plans of one page's queries", plans.get("feed_page", [])),
        "### Keeping up with writes",
        "",
        "One consumer pulls from the tail of the outbox with `limit=500&wait=1` (long poll) and measures "
        "each event's lag as its receipt time minus the event's `occurred_at`; after the writer stops it "
        "must receive everything that was written. *Caught up* = every written event delivered, the last one "
        "within 2 s of the writer stopping, lag p99 ≤ 2 s.",
        "",
        "| writer | achieved writes/s | events/s | consumer pulls (with has_more) | lag p50 ms | lag p99 ms "
        "| lag max ms | drained after stop (s) | delivered / written | caught up |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for key, label in (
        ("http", f"HTTP intake, {keep['http']['clients']} clients, {keep['http']['seconds']} s"),
        ("db", f"direct DB, target {keep['db']['target_rate']:.0f}/s, {keep['db']['seconds']} s"),
    ):
        r = keep[key]
        c = r["consumer"]
        rate = r["cases_per_s"] if key == "http" else r["achieved_per_s"]
        events = r["events_per_s"] if key == "http" else r["achieved_per_s"]
        lag = c["lag_ms"] or {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
        lines.append(
            f"| {label} | {rate:,.1f} | {events:,.1f} | {c['pulls']} ({c['pulls_with_has_more']}) "
            f"| {lag['p50']:.0f} | {lag['p99']:.0f} | {lag['max']:.0f} | {c['drain_s_after_writer_stopped']} "
            f"| {c['delivered']:,} / {c['written']:,} | {'yes' if c['caught_up'] else '**no**'} |"
        )
    h, d = keep["http"], keep["db"]
    lines += [
        "",
        f"(a) HTTP: statuses {h['statuses']}, request latency p50 {h['request_ms'].get('p50', 0):.0f} ms / "
        f"p99 {h['request_ms'].get('p99', 0):.0f} ms; the intake worker and the feed worker are separate "
        f"uvicorn processes. CPU: servers {h['cpu']['server_cpu_s']} s, PostgreSQL "
        f"{h['cpu']['postgres_cpu_s']} s, machine busy {h['cpu']['machine_busy_s']} of "
        f"{h['cpu']['machine_total_s']} CPU-s. "
        + (
            f"**HTTP intake reached {h['cases_per_s']:.0f} cases/s, short of {TARGET_RATE:.0f}/s on this "
            "machine**, hence (b)."
            if h["cases_per_s"] < TARGET_RATE
            else ""
        ),
        "",
        f"(b) Direct writer: {d['transactions']:,} transactions on 8 asyncpg connections, each "
        "`INSERT case_events` + `INSERT feed_events` (txid from the column default) + COMMIT, paced at "
        f"{d['target_rate']:.0f}/s; commit latency p50 {d['commit_ms']['p50']:.1f} ms / p99 "
        f"{d['commit_ms']['p99']:.1f} ms; pacing fell behind by up to {d['scheduler_behind_max_ms']} ms. "
        f"Consumer page time p50 {d['consumer']['page_ms'].get('p50', 0):.0f} ms, largest page "
        f"{d['consumer']['largest_page']} events. CPU: feed server {d['cpu']['server_cpu_s']} s, PostgreSQL "
        f"{d['cpu']['postgres_cpu_s']} s, machine busy {d['cpu']['machine_busy_s']} of "
        f"{d['cpu']['machine_total_s']} CPU-s.",
        "",
        "Lag includes the long poll's 0.5 s re-check interval when the consumer is caught up (the server "
        "polls the outbox every `POLL_SECONDS` while waiting) and the fence: an event becomes visible only "
        "once every older transaction has finished.",
    ]
    return "\n".join(lines)


# --- entry point ---------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run feed", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--http-seconds", type=float, default=15)
    parser.add_argument("--http-clients", type=int, default=16)
    parser.add_argument("--db-seconds", type=float, default=30)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite bench/README.md")
    args = parser.parse_args(argv)
    started = time.monotonic()
    info = start_run()
    log(f"generating {args.events:,} feed events over {args.cases:,} court cases into {FEED_DB}")
    base, counts = asyncio.run(generate_feed(FEED_DB, cases=args.cases, events=args.events))
    log(f"data ready in {counts.seconds['total']:.0f} s")
    org_id = base.orgs["LY-COURT"]
    with tempfile.TemporaryDirectory() as var_dir:
        server = Server("feed", "app.main:app", PORT, 1, service_env(var_dir, FEED_DB))
        with server:
            middle = run_middle(server.base_url, base.court_key, org_id, args.events, args.samples)
            log(f"feed page from the middle: p50 {middle['p50']} ms, p95 {middle['p95']} ms")
            mid_txid, mid_id = asyncio.run(positions(FEED_DB, [args.events // 2]))[0]
            plans = asyncio.run(explain_feed_page(base.court_key, org_id, mid_txid, mid_id))
            keep = run_keep_up(base, args, server)
    elapsed = time.monotonic() - started
    command = ("python -m bench.run feed " + " ".join(argv)).strip()
    report = render(info, counts, middle, plans, keep, command, elapsed)
    publish(
        NAME,
        {
            "machine": info,
            "data": counts.__dict__,
            "middle": middle,
            "plans": plans,
            "keep_up": keep,
        },
        report,
        elapsed,
        readme=not args.no_readme,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
