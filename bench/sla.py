"""SLA benchmark (issues #4, #13): the sweep and the supervisors' endpoints over 10,000,000 stored cases.

    python -m bench.run sla [--cases 10000000] [--samples 30] [--deep-pages 50] [--no-readme]

1. ``bench.generate.generate_sla``: recreate ``jiefen_bench_sla``, migrate, load the demo tree, a city-bureau
   supervisor, and the cases set-based with their three clocks (20,000 dispatch clocks overdue and not yet
   recorded, 1 % pending with an open breach, a few thousand pending and not due, the rest dispatched in the
   last 3 years — 2 % of them late on dispatch and on mediation), VACUUM ANALYZE.
2. ``app.sla.sweep.sweep(session, now)`` in one session: once with 20,000 new breaches, then repeatedly with
   nothing new (commit included). The statements are captured and EXPLAIN (ANALYZE, BUFFERS)-ed afterwards
   in a rolled-back transaction (for the 20,000 case: after un-recording that sweep's breaches in it).
3. uvicorn (1 worker, sweep disabled), a supervisor's token; sequential httpx requests, ``--samples`` each:
   breaches page 1, a page ``--deep-pages`` deep (cursor followed from page 1), at-risk, a year's summary.
   Each endpoint's SQL is captured in-process (one request through the ASGI app) and EXPLAIN-ed.
4. ``bench/out/sla-*`` (raw) and the sla section of ``bench/README.md``.

Helpers shared with ``bench/feed.py`` (statement capture, EXPLAIN, latency sampling) live here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
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
from bench.generate import PASSWORD, SLA_DB, SUPERVISOR, SlaCounts, generate_sla
from bench.intake import BLIND_INDEX_KEY, ENCRYPTION_KEY, service_env

NAME = "sla"
PORT = 18767
TARGETS_MS = {
    "sweep_new": 2000.0,
    "sweep_nothing": 50.0,
    "breaches_first": 20.0,
    "breaches_deep": 20.0,
    "breaches_mediation": 20.0,
    "at_risk": 20.0,
    "at_risk_mediation": 20.0,
    "summary_month": 250.0,
    "summary_month_town": 250.0,
    "summary_year": 1000.0,
}
LABELS = {
    "breaches_first": "`GET /sla/breaches` first page (50)",
    "breaches_deep": "`GET /sla/breaches` page 50 (cursor followed)",
    "breaches_mediation": "`GET /sla/breaches?clock=mediation` first page",
    "at_risk": "`GET /sla/at-risk`",
    "at_risk_mediation": "`GET /sla/at-risk?clock=mediation`",
    "summary_month": "`GET /sla/summary` this month, city",
    "summary_month_town": "`GET /sla/summary?town=LY-LC` this month",
    "summary_year": "`GET /sla/summary` one year, city",
}


# --- shared helpers ------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))
    return ordered[k]


def summarise(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 2),
        "p95": round(percentile(ms, 95), 2),
        "p99": round(percentile(ms, 99), 2),
        "min": round(min(ms), 2),
        "max": round(max(ms), 2),
    }


def sample(
    client: httpx.Client,
    url: str,
    n: int,
    warmup: int = 3,
    check: Callable[[httpx.Response], None] | None = None,
) -> dict[str, Any]:
    """``n`` sequential GETs after ``warmup``; wall-clock ms per request as the client sees it."""
    resp = None
    for _ in range(warmup):
        resp = client.get(url)
        resp.raise_for_status()
    times = []
    for _ in range(n):
        t = time.perf_counter()
        resp = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url}: {resp.status_code} {resp.text[:500]}")
    assert resp is not None
    if check:
        check(resp)
    return {**summarise(times), "bytes": len(resp.content), "samples_ms": [round(t, 2) for t in times]}


class StatementLog:
    """Every statement an engine sends (SQL text and bound parameters) while ``on``."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.on = False
        self.items: list[tuple[str, list[Any]]] = []

        def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
            if self.on and not many:
                self.items.append((statement, list(params or ())))

        event.listen(engine.sync_engine, "before_cursor_execute", before)

    def take(self) -> list[tuple[str, list[Any]]]:
        items, self.items = self.items, []
        return items


def _shorten_literals(line: str) -> str:
    """Long array literals (the ids of a page) as a count."""
    return re.sub(r"'\{([^}]{80,})\}'", lambda m: f"'{{…{m.group(1).count(',') + 1} values…}}'", line)


def trim_plan(lines: list[str], limit: int = 40) -> list[str]:
    """Drop the planner's buffer lines; keep the plan nodes, conditions, buffers, timings."""
    lines = [_shorten_literals(line) for line in lines]
    out = []
    skip = False
    for line in lines:
        if line.startswith("Planning:"):
            skip = True
            continue
        if skip and line.startswith("  "):
            continue
        skip = False
        out.append(line)
    return out if len(out) <= limit else [*out[: limit - 1], f"… ({len(out) - limit + 1} more lines)"]


async def explain(conn: asyncpg.Connection, sql: str, params: list[Any]) -> list[str]:
    rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)
    return [r[0] for r in rows]


def one_line(sql: str, width: int = 160) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# --- the sweep -----------------------------------------------------------------------------------------


async def run_sweeps(database: str, expected: int, repeats: int) -> dict[str, Any]:
    """Dry run (rolled back) to capture and EXPLAIN the statements, VACUUM, then the measured sweeps."""
    from sqlalchemy import text

    from app.db import make_engine, make_sessionmaker, utcnow
    from app.sla.sweep import sweep

    engine = make_engine(sqlalchemy_url(database))
    statements = StatementLog(engine)
    factory = make_sessionmaker(engine)
    result: dict[str, Any] = {"plans": {}}
    try:
        async with factory() as session:  # connect outside the measurement
            await session.execute(text("SELECT 1"))
        statements.on = True
        async with factory() as session:
            t0 = time.perf_counter()
            outcome = await sweep(session, utcnow())
            result["dry_run_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            await session.rollback()
        statements.on = False
        result["plans"]["new"] = await explain_rolled_back(database, statements.take())
        conn = await asyncpg.connect(pg_dsn(database))
        try:
            t0 = time.perf_counter()
            await conn.execute("VACUUM sla_clocks")  # the dry runs' dead rows
            result["vacuum_s"] = round(time.perf_counter() - t0, 1)
        finally:
            await conn.close()
        now = utcnow()
        async with factory() as session:
            t0 = time.perf_counter()
            outcome = await sweep(session, now)
            t1 = time.perf_counter()
            await session.commit()
            t2 = time.perf_counter()
        if outcome.breaches_recorded != expected:
            raise RuntimeError(
                f"the sweep recorded {outcome.breaches_recorded} breaches, expected {expected}"
            )
        result["new"] = {
            "now": now.isoformat(),
            "breaches_recorded": outcome.breaches_recorded,
            "deadlines_recomputed": outcome.deadlines_recomputed,
            "sweep_ms": round((t1 - t0) * 1000, 1),
            "commit_ms": round((t2 - t1) * 1000, 1),
            "total_ms": round((t2 - t0) * 1000, 1),
        }
        log(f"sweep with {expected:,} new breaches: {result['new']['total_ms']} ms")
        times, sweep_only = [], []
        for i in range(repeats):
            statements.on = i == repeats - 1
            async with factory() as session:
                t0 = time.perf_counter()
                outcome = await sweep(session, utcnow())
                t1 = time.perf_counter()
                await session.commit()
                t2 = time.perf_counter()
            statements.on = False
            if outcome.breaches_recorded:
                raise RuntimeError(f"a sweep with nothing new recorded {outcome.breaches_recorded}")
            times.append((t2 - t0) * 1000)
            sweep_only.append((t1 - t0) * 1000)
        result["nothing"] = {**summarise(times), "sweep_only_p50": round(statistics.median(sweep_only), 2)}
        log(f"sweep with nothing new: p50 {result['nothing']['p50']} ms")
        result["plans"]["nothing"] = await explain_rolled_back(database, statements.take())
    finally:
        await engine.dispose()
    return result


async def explain_rolled_back(database: str, captured: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) each statement (writes too) in one transaction that is rolled back."""
    conn = await asyncpg.connect(pg_dsn(database))
    plans: list[dict[str, Any]] = []
    try:
        async with conn.transaction():
            for sql, params in captured:
                if "advisory" in sql or "calendar_years" in sql:
                    continue
                plans.append({"sql": sql, "plan": await explain(conn, sql, params)})
            raise _Rollback
    except _Rollback:
        pass
    finally:
        await conn.close()
    return plans


class _Rollback(Exception):
    pass


# --- the endpoints -------------------------------------------------------------------------------------


def run_http(database: str, samples: int, deep_pages: int) -> dict[str, Any]:
    from app.calendar.workdays import SHANGHAI

    today = datetime.now(SHANGHAI).date()
    year_start = today - timedelta(days=364)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as var_dir:
        server = Server("sla", "app.main:app", PORT, 1, service_env(var_dir, database))
        with server:
            login = httpx.post(
                f"{server.base_url}/api/v1/auth/login",
                json={"username": SUPERVISOR, "password": PASSWORD},
                timeout=30,
            )
            login.raise_for_status()
            token = login.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client:
                first = client.get("/api/v1/sla/breaches").json()
                cursor = first["next_cursor"]
                for _ in range(deep_pages - 2):
                    cursor = client.get("/api/v1/sla/breaches", params={"cursor": cursor}).json()[
                        "next_cursor"
                    ]
                deep_url = f"/api/v1/sla/breaches?cursor={cursor}"
                urls = {
                    "breaches_first": "/api/v1/sla/breaches",
                    "breaches_deep": deep_url,
                    "breaches_mediation": "/api/v1/sla/breaches?clock=mediation",
                    "at_risk": "/api/v1/sla/at-risk",
                    "at_risk_mediation": "/api/v1/sla/at-risk?clock=mediation",
                    "summary_month": "/api/v1/sla/summary",
                    "summary_month_town": "/api/v1/sla/summary?town=LY-LC",
                    "summary_year": f"/api/v1/sla/summary?from={year_start}&to={today}",
                }

                def nonempty(resp: httpx.Response) -> None:
                    body = resp.json()
                    if not body.get("items"):
                        raise RuntimeError(f"{resp.request.url}: no items")

                with CpuMeter(server.pids()) as cpu:
                    for name, url in urls.items():
                        check = (
                            None if name == "at_risk_mediation" else nonempty
                        )  # few mediations end in 5 days
                        results[name] = {"url": url, **sample(client, url, samples, check=check)}
                        log(f"{name}: p50 {results[name]['p50']} ms, p95 {results[name]['p95']} ms")
                results["cpu"] = cpu.as_dict()
                bodies = {name: client.get(url).json() for name, url in urls.items()}
                results["shape"] = {
                    "breaches_items": len(bodies["breaches_first"]["items"]),
                    "deep_first_due": bodies["breaches_deep"]["items"][0]["due_at"],
                    "at_risk_items": len(bodies["at_risk"]["items"]),
                    "at_risk_horizon": bodies["at_risk"]["horizon"],
                    "summary_rows": len(bodies["summary_year"]["items"]),
                    "summary_totals": bodies["summary_year"]["totals"],
                }
    results["plans"] = asyncio.run(explain_endpoints(database, urls))
    return results


async def explain_endpoints(database: str, urls: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """One request per endpoint through the ASGI app in-process; EXPLAIN its data queries."""
    from app.config import Settings
    from app.main import create_app

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlalchemy_url(database),
        encryption_key=ENCRYPTION_KEY,
        blind_index_key=BLIND_INDEX_KEY,
        log_level="WARNING",
        sla_sweep_enabled=False,
    )
    app = create_app(settings)
    statements = StatementLog(app.state.ctx.engine)
    captured: dict[str, list[tuple[str, list[Any]]]] = {}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            resp = await client.post(
                "/api/v1/auth/login", json={"username": SUPERVISOR, "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
            for name, url in urls.items():
                await client.get(url, headers=headers)  # caches (calendar, organizations) warm
                statements.take()
                statements.on = True
                resp = await client.get(url, headers=headers)
                statements.on = False
                resp.raise_for_status()
                captured[name] = statements.take()
    finally:
        await app.state.ctx.close()
    return await explain_captured(database, captured)


SKIP_TABLES = ("auth_tokens", "users", "api_client", "calendar_years", "feed_consumers", "FROM organizations")


async def explain_captured(
    database: str, captured: dict[str, list[tuple[str, list[Any]]]]
) -> dict[str, list[dict[str, Any]]]:
    conn = await asyncpg.connect(pg_dsn(database))
    plans: dict[str, list[dict[str, Any]]] = {}
    try:
        for name, items in captured.items():
            plans[name] = []
            for sql, params in items:
                head = sql.lstrip().upper()
                if not head.startswith("SELECT") or any(t in sql for t in SKIP_TABLES):
                    continue
                plans[name].append({"sql": sql, "plan": await explain(conn, sql, params)})
    finally:
        await conn.close()
    return plans


# --- report --------------------------------------------------------------------------------------------


def _verdict(value: float, target: float) -> str:
    return "**met**" if value <= target else "**MISSED**"


def plan_block(title: str, entries: list[dict[str, Any]]) -> list[str]:
    lines = [f"**{title}**", ""]
    for e in entries:
        lines += ["```", f"-- {one_line(e['sql'], 300)}", *trim_plan(e["plan"]), "```", ""]
    return lines


def render(
    info: dict[str, str],
    counts: SlaCounts | None,
    sweeps: dict[str, Any],
    http: dict[str, Any],
    command: str,
    elapsed: float,
) -> str:
    new, nothing = sweeps["new"], sweeps["nothing"]
    lines = [
        f"## SLA: sweep and supervisors' endpoints over {counts.cases if counts else 0:,} cases "
        "(issues #4, #13)",
        "",
        f"Generated by `{command}` on {info['date']} (whole run {elapsed:.0f} s). Raw results, plans and "
        "server logs: `bench/out/sla-*` (git-ignored).",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, Linux {info['kernel']}, "
        f"Python {info['python']}, PostgreSQL {info['postgres']} (default settings: shared_buffers 128 MB). "
        "Client, uvicorn and PostgreSQL share the cores; other jobs were running on the machine too.",
        "",
    ]
    if counts:
        s = counts.seconds
        lines += [
            f"Data (`bench/generate.py`, set-based `INSERT … SELECT generate_series`, {s['total']:.0f} s "
            f"including VACUUM ANALYZE {s['vacuum_analyze']:.0f} s): {counts.cases:,} cases — "
            f"{counts.overdue:,} pending and overdue with no breach recorded, {counts.breached:,} pending "
            f"with an open breach, {counts.future:,} pending and not yet due (clocks started "
            f"{', '.join(counts.future_start_days)}), {counts.hist:,} dispatched over 3 years "
            "(dispatched / in mediation in the last 60 days, otherwise 65 % closed, 35 % resolved) with "
            f"{counts.assignments:,} assignments, {counts.late:,} of them late on dispatch and on mediation "
            f"({counts.late / max(counts.hist, 1):.0%}); {counts.clocks:,} clocks (dispatch, acceptance, "
            f"mediation), {counts.breaches:,} of them breached; {counts.parties:,} "
            "parties (2 per pending case, real ciphertexts). Due times from the service's calendar.",
            "",
        ]
    lines += [
        "| measurement | samples | p50 ms | p95 ms | max ms | target | |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
        f"| sweep recording {new['breaches_recorded']:,} new breaches (sweep {new['sweep_ms']:.0f} ms "
        f"+ commit {new['commit_ms']:.0f} ms) | 1 | {new['total_ms']:.1f} | | | ≤ 2000 ms "
        f"| {_verdict(new['total_ms'], TARGETS_MS['sweep_new'])} |",
        f"| sweep with nothing new (incl. commit) | {nothing['n']} | {nothing['p50']:.1f} | "
        f"{nothing['p95']:.1f} | {nothing['max']:.1f} | ≤ 50 ms "
        f"| {_verdict(nothing['p50'], TARGETS_MS['sweep_nothing'])} |",
    ]
    labels = LABELS
    for key, label in labels.items():
        r = http[key]
        target = TARGETS_MS[key]
        lines.append(
            f"| {label} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | ≤ {target:.0f} ms "
            f"| {_verdict(r['p50'], target)} |"
        )
    shape = http["shape"]
    lines += [
        "",
        "HTTP: uvicorn 1 worker (`--no-access-log`, sweep disabled), city-bureau supervisor token, "
        "sequential httpx requests after 3 warm-ups, wall time at the client. Responses: breaches "
        f"{shape['breaches_items']} items, the deep page starts at due {shape['deep_first_due']}, at-risk "
        f"{shape['at_risk_items']} items (horizon {shape['at_risk_horizon']}), summary "
        f"{shape['summary_rows']} rows, totals {json.dumps(shape['summary_totals'], ensure_ascii=False)}. "
        f"CPU during the HTTP samples: server {http['cpu']['server_cpu_s']} s, PostgreSQL "
        f"{http['cpu']['postgres_cpu_s']} s, machine busy {http['cpu']['machine_busy_s']} of "
        f"{http['cpu']['machine_total_s']} CPU-s.",
        "",
        "Sweep: `app.sla.sweep.sweep(session, now)` in one `AsyncSession`, then `commit()`. Before the "
        f"measured run, a dry run ({sweeps['dry_run_ms']:.0f} ms, rolled back) captured the statements for "
        "the plans below (EXPLAIN-ed in a rolled-back transaction), then `VACUUM sla_clocks` "
        f"({sweeps['vacuum_s']} s) removed the dry runs' dead rows. Nothing-new: p50 of the sweep call "
        f"alone {nothing['sweep_only_p50']:.1f} ms.",
        "",
        "### EXPLAIN (ANALYZE, BUFFERS)",
        "",
        "Plans of the statements the code actually sent (captured with SQLAlchemy events, then run with "
        "their parameters under `EXPLAIN (ANALYZE, BUFFERS)`; writes in a transaction that is rolled back). "
        "Planner buffer lines dropped, long id lists shortened; full text in `bench/out/sla-results.json`.",
        "",
        *plan_block("Sweep, 20,000 new breaches", sweeps["plans"]["new"]),
        *plan_block("Sweep, nothing new", sweeps["plans"]["nothing"]),
    ]
    for key, label in labels.items():
        lines += plan_block(label, http["plans"].get(key, []))
    return "\n".join(lines)


# --- entry point ---------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run sla", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--overdue", type=int, default=20_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--sweep-repeats", type=int, default=20)
    parser.add_argument("--deep-pages", type=int, default=50)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite bench/README.md")
    args = parser.parse_args(argv)
    started = time.monotonic()
    info = start_run()
    log(f"generating {args.cases:,} cases into {SLA_DB}")
    breached = max(1_000, args.cases // 100)
    _, counts = asyncio.run(generate_sla(SLA_DB, cases=args.cases, overdue=args.overdue, breached=breached))
    log(f"data ready in {counts.seconds['total']:.0f} s")
    sweeps = asyncio.run(run_sweeps(SLA_DB, args.overdue, args.sweep_repeats))
    http = run_http(SLA_DB, args.samples, args.deep_pages)
    elapsed = time.monotonic() - started
    command = ("python -m bench.run sla " + " ".join(argv)).strip()
    report = render(info, counts, sweeps, http, command, elapsed)
    publish(
        NAME,
        {"machine": info, "data": counts.__dict__, "sweeps": sweeps, "http": http},
        report,
        elapsed,
        readme=not args.no_readme,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
