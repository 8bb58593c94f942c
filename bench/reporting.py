"""Reporting (issue #15): history import speed, and the statistics and narrative over the imported cases.

A generated history file (``--rows`` cases of the past year, over the demo tree's villages, towns and
specialised committees, most settled, some failed, withdrawn, late-dispatched or decided by the
administrative-review channel) is imported on PostgreSQL through ``import_history`` exactly as the CLI
does, then a year's statistics (city, one town) and the narrative are timed in-process.

Not measured here: the issue's 10 M-case targets (a year's statistics ≤ 1 s, a town ≤ 200 ms). Building a
10 M-case data set with every assignment, event and party takes hours on this machine; the figures below
say how the time grows with the rows read instead.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from typing import Any

from bench.common import log, machine, publish, recreate_database, sqlalchemy_url

NAME = "reporting"
DATABASE = "jiefen_bench_reporting"
TOWNS = ["LY-LC", "LY-GX", "LY-DT", "LY-SH"]


def history_file(rows: int, year: int, seed: int = 7) -> bytes:
    from app.reporting.history_rows import COLUMNS

    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*COLUMNS, "applicant_names", "respondent_names"])
    writer.writeheader()
    for n in range(rows):
        day = date(year, 1, 1) + timedelta(days=rng.randrange(330))
        town = rng.choice(TOWNS)
        village = f"{town}-V0{rng.randint(1, 3)}"
        kind = rng.random()
        row: dict[str, Any] = {
            "external_ref": f"H-{year}-{n:07d}",
            "received_at": day.isoformat(),
            "town_code": town,
            "village_code": village,
            "intake_org_code": village,
            "summary": "历史数据：邻里纠纷，村调委会调解。",
            "applicant_names": "张三",
            "respondent_names": "李四",
        }
        handled, category, outcome = (
            village,
            rng.choice(["neighbour", "debt", "marriage_family", "housing"]),
            None,
        )
        if kind < 0.15:
            handled, category = "LY-SP-LABOUR", rng.choice(["migrant_wages", "other_labour"])
        elif kind < 0.25:
            handled = f"{town}-STN"
        elif kind < 0.28:
            handled, category, outcome = (
                "LY-CC-ADMREVIEW",
                "other",
                rng.choice(["revoked", "upheld", "mediated"]),
            )
            row["respondent_is_government"] = "是"
        late = rng.random() < 0.05
        dispatched = day + timedelta(days=10 if late else 0)
        accepted = dispatched + timedelta(days=1)
        decided = accepted + timedelta(days=rng.randint(3, 25))
        outcome = outcome or rng.choices(["settled", "failed", "withdrawn"], [85, 10, 5])[0]
        row |= {
            "category": category,
            "handled_by": handled,
            "dispatched_at": dispatched.isoformat(),
            "accepted_at": accepted.isoformat(),
            "outcome": outcome,
            "outcome_at": decided.isoformat(),
        }
        if outcome == "settled":
            row |= {
                "agreement_type": rng.choice(["written", "oral"]),
                "agreed_amount": str(rng.randint(0, 50_000)),
            }
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


async def prepare() -> None:
    from app import migrate
    from app.db import make_engine, make_sessionmaker, session_scope
    from app.organizations.demo import load_demo_tree

    await recreate_database(DATABASE)
    await asyncio.to_thread(migrate.upgrade, sqlalchemy_url(DATABASE))
    engine = make_engine(sqlalchemy_url(DATABASE))
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            await load_demo_tree(session)
    finally:
        await engine.dispose()


def _context() -> Any:
    from app.config import Settings
    from app.context import AppContext
    from app.pii.crypto import generate_key

    return AppContext.from_settings(
        Settings(
            env="test",
            database_url=sqlalchemy_url(DATABASE),
            encryption_key=generate_key(),
            blind_index_key=generate_key(),
            sla_sweep_enabled=False,
        )
    )


async def run_import(content: bytes) -> dict[str, Any]:
    from app.db import session_scope, utcnow
    from app.reporting.history import import_history
    from app.reporting.history_rows import read_table
    from app.web.labels import IMPORT_VOCABULARY

    ctx = _context()
    try:
        started = time.monotonic()
        table = read_table(content, "history.csv")
        async with session_scope(ctx.sessionmaker) as session:
            result = await import_history(
                session, ctx, table, IMPORT_VOCABULARY, user_id=None, now=utcnow(), dry_run=False
            )
        seconds = time.monotonic() - started
    finally:
        await ctx.close()
    assert not result.errors, result.errors[:5]
    return {
        "rows": result.rows,
        "imported": result.imported,
        "seconds": seconds,
        "rows_per_s": result.rows / seconds,
    }


async def time_reports(year: int, samples: int) -> dict[str, Any]:
    from app.auth.principal import Principal
    from app.db import session_scope, utcnow
    from app.models import OrgKind, Role
    from app.reporting import service
    from app.reporting.service import Period

    ctx = _context()
    admin = Principal("import", 0, Role.ADMIN, 1, OrgKind.JUSTICE_BUREAU, None, "bench")
    period = Period(date(year, 1, 1), date(year, 12, 31))
    timings: dict[str, list[float]] = {"city": [], "town": [], "narrative": []}
    try:
        for _ in range(samples):
            async with session_scope(ctx.sessionmaker) as session:
                for key, town in (("city", None), ("town", "LY-LC")):
                    started = time.monotonic()
                    scope = await service.resolve_scope(session, admin, period, town, None)
                    await service.statistics(session, scope, period, utcnow())
                    timings[key].append((time.monotonic() - started) * 1000)
                started = time.monotonic()
                await service.narrative(session, admin, year, None, utcnow())
                timings["narrative"].append((time.monotonic() - started) * 1000)
    finally:
        await ctx.close()
    return {key: {"median_ms": statistics.median(v), "max_ms": max(v)} for key, v in timings.items()}


def _load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def render(
    info: dict[str, str], rows: int, imported: dict[str, Any], reports: dict[str, Any], elapsed: float
) -> str:
    lines = [
        "## Reporting: history import and the statistics (issue #15)",
        "",
        f"Generated by `python -m bench.run reporting --rows {rows}` on {info.get('started', '')} (whole run "
        f"{elapsed:.0f} s). Machine: {info.get('cpu', '')}, {os.cpu_count()} CPUs, {info.get('ram', '')}, "
        f"Python {info.get('python', '')}, PostgreSQL on the same cores; load average during the run "
        f"{info.get('load', '')} (other work shared the machine: figures are lower bounds).",
        "",
        "| measure | figure | target |",
        "| --- | ---: | ---: |",
        f"| import, rows/s (PostgreSQL, {imported['rows']:,} rows, one transaction) "
        f"| {imported['rows_per_s']:.0f} | ≥ 2,000 |",
        f"| a year's statistics, city, median ms | {reports['city']['median_ms']:.0f} | ≤ 1,000 at 10 M |",
        f"| a year's statistics, one town, median ms | {reports['town']['median_ms']:.0f} | ≤ 200 at 10 M |",
        f"| the narrative, median ms | {reports['narrative']['median_ms']:.0f} | ≤ 1,000 at 10 M |",
        "",
        "The 10 M-case data set was not built for these figures (see bench/reporting.py).",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run reporting", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite bench/README.md")
    args = parser.parse_args(argv)
    started = time.monotonic()
    info = {**machine(), "started": time.strftime("%Y-%m-%d %H:%M %z"), "load": _load()}
    year = date.today().year - 1
    asyncio.run(prepare())
    log(f"importing {args.rows:,} rows")
    imported = asyncio.run(run_import(history_file(args.rows, year)))
    log(f"imported at {imported['rows_per_s']:.0f} rows/s")
    reports = asyncio.run(time_reports(year, args.samples))
    elapsed = time.monotonic() - started
    report = render(info, args.rows, imported, reports, elapsed)
    publish(
        NAME,
        {"machine": info, "import": imported, "reports": reports},
        report,
        elapsed,
        readme=not args.no_readme,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
