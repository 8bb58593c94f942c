"""Bulk data for the SLA and feed benchmarks, generated set-based inside PostgreSQL.

    python -m bench.generate sla  [--cases 1000000] [--database jiefen_bench_sla]
    python -m bench.generate feed [--cases 50000 --events 1000000] [--database jiefen_bench_feed]

Each recreates its database, migrates it, loads the demo Liyang tree (valid organization ids), the
benchmark's users / API client, then fills the tables with ``INSERT … SELECT generate_series(…)``. Due
times come from the service's own working-day calendar (``WorkCalendar.due`` of every start day, loaded into
a temporary table and joined), so the sweep's recompute finds nothing stale. Party contact data is real
AES-GCM ciphertext under the benchmark's key (a handful of values encrypted once and reused) with the masked
columns the service writes. Foreign keys are valid by construction; the RI triggers are skipped during the
load (``session_replication_role = replica``) to keep it fast. Ends with ``VACUUM ANALYZE``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from bench.common import log, pg_dsn, recreate_database, sqlalchemy_url
from bench.intake import BLIND_INDEX_KEY, ENCRYPTION_KEY, resident_id

SLA_DB = "jiefen_bench_sla"
FEED_DB = "jiefen_bench_feed"
SUPERVISOR = "bench_bureau"
MEDIATOR = "bench_mediator"
MEDIATOR_ORG = "LY-LC-V01"
PASSWORD = "bench-password-0123"  # throwaway accounts in a throwaway database
COURT_CLIENT = "bench-court"
CATEGORIES = [
    "neighbour",
    "marriage_family",
    "land",
    "labour",
    "debt",
    "migrant_wages",
    "property_management",
    "traffic",
    "consumer",
    "contract",
    "other",
]
SUMMARY = "邻里纠纷：被申请人在公共通道搭建车棚影响通行，双方多次协商未果，村调委会受理调解。"


@dataclass
class Base:
    """What the load of the organization tree and the accounts produced."""

    orgs: dict[str, int]
    supervisor_id: int = 0
    mediator_id: int = 0
    court_key: str = ""
    calendar_version: str = "builtin"
    timings: dict[str, float] = field(default_factory=dict)


# --- the base: schema, tree, accounts ------------------------------------------------------------------


async def prepare(database: str, *, court_client: bool) -> Base:
    from app import migrate
    from app.auth.admin import create_client, create_user
    from app.calendar.service import calendar_in_force
    from app.db import make_engine, make_sessionmaker, session_scope, utcnow
    from app.models import Role
    from app.organizations.demo import load_demo_tree

    await recreate_database(database)
    await asyncio.to_thread(migrate.upgrade, sqlalchemy_url(database))
    engine = make_engine(sqlalchemy_url(database))
    base = Base(orgs={})
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            await load_demo_tree(session)
            # Bench accounts sign in with the password they were given (no first-login change).
            sup = await create_user(
                session,
                SUPERVISOR,
                Role.SUPERVISOR,
                "LY",
                PASSWORD,
                "压测督办员",
                password_change_required=False,
            )
            med = await create_user(
                session,
                MEDIATOR,
                Role.MEDIATOR,
                MEDIATOR_ORG,
                PASSWORD,
                "压测调解员",
                password_change_required=False,
            )
            base.supervisor_id, base.mediator_id = sup.id, med.id
            if court_client:
                issued = await create_client(session, COURT_CLIENT, "LY-COURT", ["feed:read"], utcnow())
                base.court_key = issued.key
            base.calendar_version = (await calendar_in_force(session, fresh=True)).version
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        base.orgs = {r["code"]: r["id"] for r in await conn.fetch("SELECT code, id FROM organizations")}
    finally:
        await conn.close()
    return base


def _org_arrays(orgs: dict[str, int]) -> dict[str, list[int]]:
    from app.organizations.demo import SPECIALISED, TOWNS

    towns = [f"LY-{s}" for s, _, _ in TOWNS]
    return {
        "towns": [orgs[t] for t in towns],
        "villages": [orgs[f"{t}-V{v:02d}"] for t in towns for v in (1, 2, 3)],  # town i: 3i..3i+2
        "stations": [orgs[f"{t}-STN"] for t in towns],
        "specialised": [orgs[f"LY-SP-{s}"] for s, _, _ in SPECIALISED],
    }


async def _due_table(conn: asyncpg.Connection, database: str, first: date, last: date) -> None:
    """``bench_due(day, due_at, provisional, due1_at, provisional1)``: the service's dispatch (3 working days)
    and acceptance (1 working day) deadlines of clocks started that day."""
    from app.calendar.service import load_calendar
    from app.calendar.workdays import SHANGHAI
    from app.db import make_engine, make_sessionmaker

    engine = make_engine(sqlalchemy_url(database))
    try:
        async with make_sessionmaker(engine)() as session:
            calendar = await load_calendar(session)
    finally:
        await engine.dispose()
    rows = []
    d = first
    while d <= last:
        noon = datetime(d.year, d.month, d.day, 12, tzinfo=SHANGHAI)
        due, due1 = calendar.due(noon, 3), calendar.due(noon, 1)
        rows.append((d, due.due_at, due.provisional, due1.due_at, due1.provisional))
        d += timedelta(days=1)
    await conn.execute(
        "CREATE TEMP TABLE bench_due (day date PRIMARY KEY, due_at timestamptz NOT NULL, "
        "provisional boolean, due1_at timestamptz NOT NULL, provisional1 boolean)"
    )
    await conn.copy_records_to_table("bench_due", records=rows)
    await conn.execute("ANALYZE bench_due")


@dataclass(frozen=True)
class PartyValues:
    """A handful of real ciphertexts (the feed decrypts them) and the matching masked values."""

    rows: list[dict[str, str]]


def party_values(n: int = 8) -> PartyValues:
    from app.pii.contexts import ADDRESS_CONTEXT, ID_CONTEXT, PHONE_CONTEXT
    from app.pii.crypto import BlindIndex, FieldCipher, load_key
    from app.pii.identity import mask_id_number, mask_phone

    cipher = FieldCipher(("k1", load_key(ENCRYPTION_KEY)))
    bidx = BlindIndex(load_key(BLIND_INDEX_KEY))
    rows = []
    for i in range(n):
        idn = resident_id("320481", date(1950 + 5 * i, 1 + i, 3 + 2 * i), 101 + 37 * i)
        phone = f"13{8 - i % 3}{12345670 + 1111 * i:08d}"
        rows.append(
            {
                "id_enc": cipher.encrypt(idn, context=ID_CONTEXT),
                "id_bidx": bidx.compute(idn, context=ID_CONTEXT),
                "id_masked": mask_id_number(idn),
                "phone_enc": cipher.encrypt(phone, context=PHONE_CONTEXT),
                "phone_masked": mask_phone(phone),
                "address_enc": cipher.encrypt(f"溧阳市溧城街道燕山路{80 + i}号", context=ADDRESS_CONTEXT),
            }
        )
    return PartyValues(rows)


async def _party_table(conn: asyncpg.Connection, values: PartyValues) -> None:
    await conn.execute(
        "CREATE TEMP TABLE bench_pv (k int PRIMARY KEY, id_enc text, id_bidx text, id_masked text,"
        " phone_enc text, phone_masked text, address_enc text)"
    )
    await conn.copy_records_to_table(
        "bench_pv",
        records=[
            (
                k,
                r["id_enc"],
                r["id_bidx"],
                r["id_masked"],
                r["phone_enc"],
                r["phone_masked"],
                r["address_enc"],
            )
            for k, r in enumerate(values.rows)
        ],
    )


async def drop_secondary_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Drop the indexes of ``tables`` that back no constraint; return their definitions to recreate them
    after the load (one sorted build is much faster than a million random insertions)."""
    rows = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        WHERE t.relname = ANY($1::text[]) AND NOT i.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        tables,
    )
    for r in rows:
        await conn.execute(f"DROP INDEX {r['name']}")
    return [r["definition"] for r in rows]


async def _finish_load(conn: asyncpg.Connection, indexes: list[str], seconds: dict[str, float]) -> None:
    """End a staged load: drop the staging table, turn foreign-key checks back on, rebuild the dropped
    indexes and refresh the planner's statistics (timings into ``seconds``)."""
    await conn.execute("DROP TABLE bench_gen")
    await conn.execute("RESET session_replication_role")
    t = time.monotonic()
    for definition in indexes:
        await conn.execute(definition)
    seconds["indexes"] = time.monotonic() - t
    t = time.monotonic()
    await conn.execute("VACUUM ANALYZE")
    seconds["vacuum_analyze"] = time.monotonic() - t


# Parties of the cases listed in bench_gen (two each, person applicant and respondent), columns as intake.
INSERT_PARTIES = """
INSERT INTO parties (case_id, position, role, kind, name, is_government, id_number_enc, id_number_bidx,
                     phone_enc, address_enc, id_number_masked, phone_masked, town_org_id, village_org_id)
SELECT g.case_id, p.pos, CASE p.pos WHEN 0 THEN 'applicant' ELSE 'respondent' END, 'person',
       (ARRAY['王建国','李秀英','张伟','刘芳','陈磊','杨静','赵强','黄敏'])[1 + (g.n * 2 + p.pos) % 8],
       false, v.id_enc, v.id_bidx, v.phone_enc, v.address_enc, v.id_masked, v.phone_masked,
       g.town_id, g.village_id
FROM bench_gen g
CROSS JOIN (VALUES (0), (1)) AS p(pos)
JOIN bench_pv v ON v.k = (g.n * 2 + p.pos) % (SELECT count(*) FROM bench_pv)
WHERE {where}
"""


# --- the SLA data set ----------------------------------------------------------------------------------


# One row per case, with everything the inserts below derive from. Kinds:
#   hist     dispatched in the past (3 years), most resolved/closed; ~late_share of them dispatched late
#   overdue  pending_dispatch, due in the past, no breach recorded yet (what the sweep must record)
#   breached pending_dispatch, due in the past, breach already recorded (open)
#   future   pending_dispatch, not yet due (some of them due by the end of the next working day: at risk)
GEN_SLA = """
CREATE UNLOGGED TABLE bench_gen AS
WITH base AS (
    SELECT n,
           CASE WHEN n <= $2 THEN 'overdue' WHEN n <= $2 + $3 THEN 'breached'
                WHEN n <= $2 + $3 + $4 THEN 'future' ELSE 'hist' END AS kind,
           random() AS r1, random() AS r2, random() AS r3, random() AS r4
    FROM generate_series(1, $1::int) AS n
), timed AS (
    SELECT b.*,
           CASE b.kind
             -- started on a day (of the last 30) whose deadline has passed, at a random time
             WHEN 'overdue' THEN (($15::date[])[1 + floor(b.r1 * cardinality($15::date[]))::int]
                                  + b.r4 * interval '20 hours' + interval '2 hours')
                                 AT TIME ZONE 'Asia/Shanghai'
             WHEN 'breached' THEN (($15::date[])[1 + floor(b.r1 * cardinality($15::date[]))::int]
                                   + b.r4 * interval '20 hours' + interval '2 hours')
                                 AT TIME ZONE 'Asia/Shanghai'
             -- started on a day (picked from those whose deadline is still ahead), at a random time
             WHEN 'future' THEN (($9::date[])[1 + floor(b.r1 * cardinality($9::date[]))::int]
                                 + b.r4 * interval '20 hours' + interval '2 hours')
                                 AT TIME ZONE 'Asia/Shanghai'
             ELSE $5::timestamptz - interval '10 days' - b.r1 * interval '1095 days'
           END AS started_at,
           1 + (b.n * 7) % 12 AS town_i,
           (b.n / 12) % 3 AS village_j
    FROM base b
)
SELECT t.n, gen_random_uuid() AS case_id, t.kind, t.r1, t.r2, t.r3, t.r4,
       t.started_at,
       d.due_at, d.provisional AS due_provisional,
       ($6::int[])[t.town_i] AS town_id,
       ($7::int[])[(t.town_i - 1) * 3 + 1 + t.village_j] AS village_id,
       ($10::text[])[1 + t.n % cardinality($10::text[])] AS category,
       -- routing: 62% village committee, 25% town station, 8% specialised, 3% city center, 2% court
       CASE WHEN t.r2 < 0.62 THEN 'village' WHEN t.r2 < 0.87 THEN 'town'
            WHEN t.r2 < 0.95 THEN 'specialised' WHEN t.r2 < 0.98 THEN 'city_center' ELSE 'court' END AS tier,
       CASE WHEN t.r2 < 0.62 THEN ($7::int[])[(t.town_i - 1) * 3 + 1 + t.village_j]
            WHEN t.r2 < 0.87 THEN ($8::int[])[t.town_i]
            WHEN t.r2 < 0.95 THEN ($11::int[])[1 + t.n % cardinality($11::int[])]
            WHEN t.r2 < 0.98 THEN $12::int ELSE $13::int END AS route_org,
       -- historical: 15% dispatched late (up to 3 days after the deadline)
       (t.kind = 'hist' AND t.r3 < $14::float8) AS late
FROM timed t
JOIN bench_due d ON d.day = (t.started_at AT TIME ZONE 'Asia/Shanghai')::date
"""

INSERT_SLA_CASES = """
INSERT INTO cases (id, reference, category, summary, claim_amount_fen, occurred_on, risk_level,
    litigation_intended, applicant_count, respondent_is_government, cross_village, cross_town,
    town_org_id, village_org_id, intake_org_id, created_by_user_id, received_at, status, version,
    routing_tier, routing_selector, routing_channel, routing_org_id, routing_rule_id,
    routing_rule_set_version,
    routing_explanation, routing_flags, current_tier, current_org_id, dispatch_clock_started_at,
    dispatch_due_at, dispatch_due_provisional, dispatch_calendar_version, outcome,
    resolved_tier, resolved_org_id, resolved_at, judicial_confirmation_due_on, closed_at, created_at,
    updated_at)
SELECT g.case_id,
       'LY-' || extract(year FROM g.started_at AT TIME ZONE 'Asia/Shanghai')::int || '-'
             || CASE WHEN g.n < 1000000 THEN lpad(g.n::text, 6, '0') ELSE g.n::text END,
       g.category, $1, (g.n % 500) * 10000, (g.started_at - interval '10 days')::date,
       CASE WHEN g.n % 50 = 0 THEN 'high' ELSE 'low' END, g.tier = 'court', 1 + g.n % 3 / 2, false,
       false, false, g.town_id, g.village_id, g.village_id, $2, g.started_at, s.status,
       CASE s.status WHEN 'pending_dispatch' THEN 1 WHEN 'dispatched' THEN 2 WHEN 'in_mediation' THEN 3
                     WHEN 'resolved' THEN 4 ELSE 5 END,
       g.tier, g.tier, NULL, g.route_org, 'bench-' || g.tier, 1, '压测数据：按规则分派', '[]'::jsonb,
       CASE WHEN s.status = 'pending_dispatch' THEN NULL ELSE g.tier END,
       CASE WHEN s.status = 'pending_dispatch' THEN NULL ELSE g.route_org END,
       g.started_at, g.due_at, g.due_provisional, $3,
       CASE WHEN s.status IN ('resolved', 'closed') THEN 'settled' END,
       CASE WHEN s.status IN ('resolved', 'closed') THEN g.tier END,
       CASE WHEN s.status IN ('resolved', 'closed') THEN g.route_org END,
       -- resolved 12 days after the dispatch, or (the late ones) 40: past the 30-day mediation period
       CASE WHEN s.status IN ('resolved', 'closed')
            THEN s.dispatched_at + CASE WHEN g.late THEN interval '40 days' ELSE interval '12 days' END END,
       NULL,
       CASE WHEN s.status = 'closed' THEN s.dispatched_at + interval '30 days' END,
       g.started_at, greatest(g.started_at, coalesce(s.dispatched_at, g.started_at))
FROM bench_gen g
CROSS JOIN LATERAL (
    SELECT CASE WHEN g.kind <> 'hist' THEN 'pending_dispatch'
                WHEN g.started_at > $4::timestamptz - interval '60 days' THEN
                     (ARRAY['dispatched', 'in_mediation', 'in_mediation', 'resolved'])
                     [1 + floor(g.r4 * 4)::int]
                WHEN g.r4 < 0.65 THEN 'closed' ELSE 'resolved' END AS status,
           CASE WHEN g.kind <> 'hist' THEN NULL
                WHEN g.late THEN g.due_at + g.r1 * interval '3 days' + interval '5 minutes'
                ELSE g.started_at + (g.due_at - g.started_at) * (0.05 + 0.9 * g.r4) END AS dispatched_at
) s
"""

INSERT_SLA_ASSIGNMENTS = """
INSERT INTO assignments (case_id, organization_id, tier, clock_started_at, dispatch_due_at, dispatched_at,
    town_org_id, dispatched_by_user_id, auto_dispatched, accepted_at, ended_at, end_reason, outcome)
SELECT c.id, c.routing_org_id, c.routing_tier, c.dispatch_clock_started_at, c.dispatch_due_at,
       a.dispatched_at, c.town_org_id, CASE WHEN g.n % 10 < 3 THEN $1::int END, g.n % 10 >= 3,
       CASE WHEN c.status <> 'dispatched' THEN a.dispatched_at + interval '5 hours' END,
       CASE WHEN c.status IN ('resolved', 'closed') THEN c.resolved_at END,
       CASE WHEN c.status IN ('resolved', 'closed') THEN 'resolved' END,
       c.outcome
FROM bench_gen g
JOIN cases c ON c.id = g.case_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN g.late THEN g.due_at + g.r1 * interval '3 days' + interval '5 minutes'
                ELSE g.started_at + (g.due_at - g.started_at) * (0.05 + 0.9 * g.r4) END AS dispatched_at
) a
WHERE g.kind = 'hist'
"""

# The three clocks of each case (columns as app.sla.clock writes them). Running clocks already past due are
# recorded as breached (a sweep ran before), except the 'overdue' dispatch clocks the measured sweep records.
CLOCK_COLUMNS = """case_id, kind, started_at, due_at, due_provisional, rule_version, unit, length_days,
    extension_max_days, extended_days, calendar_version, town_org_id, organization_id, tier, channel,
    category, stopped_at, stopped_by, breached_at, lateness_seconds, lateness_working_days"""

INSERT_SLA_DISPATCH_CLOCKS = f"""
INSERT INTO sla_clocks ({CLOCK_COLUMNS})
SELECT g.case_id, 'dispatch', g.started_at, g.due_at, g.due_provisional, 1, 'working_days', 3, 0, 0, $1::text,
       g.town_id, g.route_org, g.tier, NULL, g.category,
       a.dispatched_at, CASE WHEN a.dispatched_at IS NOT NULL THEN 'dispatched' END,
       CASE WHEN g.late OR g.kind = 'breached' THEN g.due_at + interval '1 minute' END,
       CASE WHEN g.late THEN extract(epoch FROM a.dispatched_at - g.due_at)::bigint END,
       CASE WHEN g.late THEN ceil(extract(epoch FROM a.dispatched_at - g.due_at) / 86400)::int END
FROM bench_gen g
LEFT JOIN assignments a ON a.case_id = g.case_id AND g.kind = 'hist'
"""

INSERT_SLA_ACCEPTANCE_CLOCKS = f"""
INSERT INTO sla_clocks ({CLOCK_COLUMNS})
SELECT g.case_id, 'acceptance', a.dispatched_at, d.due1_at, d.provisional1, 1, 'working_days', 1, 0, 0,
       $1::text, g.town_id, a.organization_id, a.tier, NULL, g.category,
       a.accepted_at, CASE WHEN a.accepted_at IS NOT NULL THEN 'accepted' END,
       CASE WHEN a.accepted_at IS NULL AND d.due1_at < $2::timestamptz
            THEN d.due1_at + interval '1 minute' END,
       NULL, NULL
FROM bench_gen g
JOIN assignments a ON a.case_id = g.case_id
JOIN bench_due d ON d.day = (a.dispatched_at AT TIME ZONE 'Asia/Shanghai')::date
WHERE g.kind = 'hist'
"""

INSERT_SLA_MEDIATION_CLOCKS = f"""
INSERT INTO sla_clocks ({CLOCK_COLUMNS})
SELECT g.case_id, 'mediation', a.accepted_at, m.due_at, false, 1, 'calendar_days', 30, 30, 0, NULL,
       g.town_id, a.organization_id, a.tier, NULL, g.category,
       a.ended_at, CASE WHEN a.ended_at IS NOT NULL THEN 'resolved' END,
       CASE WHEN a.ended_at > m.due_at OR (a.ended_at IS NULL AND m.due_at < $1::timestamptz)
            THEN m.due_at + interval '1 minute' END,
       CASE WHEN a.ended_at > m.due_at THEN extract(epoch FROM a.ended_at - m.due_at)::bigint END,
       CASE WHEN a.ended_at > m.due_at THEN ceil(extract(epoch FROM a.ended_at - m.due_at) / 86400)::int END
FROM bench_gen g
JOIN assignments a ON a.case_id = g.case_id
CROSS JOIN LATERAL (
    SELECT (((a.accepted_at AT TIME ZONE 'Asia/Shanghai')::date + 31)::timestamp AT TIME ZONE 'Asia/Shanghai')
           AS due_at
) m
WHERE g.kind = 'hist' AND a.accepted_at IS NOT NULL
"""


@dataclass
class SlaCounts:
    cases: int = 0
    overdue: int = 0
    breached: int = 0
    future: int = 0
    future_start_days: list[str] = field(default_factory=list)
    hist: int = 0
    late: int = 0
    assignments: int = 0
    breaches: int = 0
    clocks: int = 0
    parties: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


async def generate_sla(
    database: str = SLA_DB,
    *,
    cases: int = 1_000_000,
    overdue: int = 20_000,
    breached: int = 1_000,
    future: int = 4_000,
    late_share: float = 0.02,
    now: datetime | None = None,
) -> tuple[Base, SlaCounts]:
    now = now or datetime.now(UTC)
    counts = SlaCounts(cases=cases, overdue=overdue, breached=breached, future=future)
    t0 = time.monotonic()
    base = await prepare(database, court_client=False)
    counts.seconds["schema_and_tree"] = time.monotonic() - t0
    arrays = _org_arrays(base.orgs)
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        await conn.execute("SET session_replication_role = replica")  # skip RI triggers: ids are valid
        await conn.execute("SET maintenance_work_mem = '256MB'")
        await conn.execute("SET work_mem = '64MB'")
        await conn.execute("SELECT setseed(0.4242)")
        today = now.astimezone(_shanghai()).date()
        await _due_table(conn, database, today - timedelta(days=1200), today + timedelta(days=30))
        # Start days of the not-yet-due clocks: the last 7 days whose deadline is at least 2 h ahead.
        future_days = [
            r["day"]
            for r in await conn.fetch(
                "SELECT day FROM bench_due WHERE day BETWEEN $1 AND $2 AND due_at > $3 ORDER BY day",
                today - timedelta(days=7),
                today - timedelta(days=1),
                now + timedelta(hours=2),
            )
        ]
        counts.future_start_days = [d.isoformat() for d in future_days]
        past_days = [
            r["day"]
            for r in await conn.fetch(
                "SELECT day FROM bench_due WHERE day >= $1 AND due_at < $2 ORDER BY day",
                today - timedelta(days=30),
                now - timedelta(hours=1),
            )
        ]
        await _party_table(conn, party_values())
        indexes = await drop_secondary_indexes(conn, ["cases", "assignments", "sla_clocks", "parties"])
        steps: list[tuple[str, str, tuple[Any, ...]]] = [
            (
                "stage",
                GEN_SLA,
                (
                    cases,
                    overdue,
                    breached,
                    future,
                    now,
                    arrays["towns"],
                    arrays["villages"],
                    arrays["stations"],
                    future_days,
                    CATEGORIES,
                    arrays["specialised"],
                    base.orgs["LY-CC"],
                    base.orgs["LY-COURT"],
                    late_share,
                    past_days,
                ),
            ),
            ("cases", INSERT_SLA_CASES, (SUMMARY, base.mediator_id, base.calendar_version, now)),
            ("assignments", INSERT_SLA_ASSIGNMENTS, (base.supervisor_id,)),
            ("dispatch clocks", INSERT_SLA_DISPATCH_CLOCKS, (base.calendar_version,)),
            ("acceptance clocks", INSERT_SLA_ACCEPTANCE_CLOCKS, (base.calendar_version, now)),
            ("mediation clocks", INSERT_SLA_MEDIATION_CLOCKS, (now,)),
            ("parties", INSERT_PARTIES.format(where="g.kind <> 'hist'"), ()),
        ]
        for name, sql, args in steps:
            t = time.monotonic()
            await conn.execute(sql, *args)
            counts.seconds[name] = time.monotonic() - t
            log(f"  sla data: {name} in {counts.seconds[name]:.1f} s")
        # Sanity: the not-yet-due clocks are ahead, the overdue ones behind.
        bad = await conn.fetchval(
            "SELECT count(*) FROM bench_gen WHERE (kind = 'future') = (due_at <= $1) AND kind <> 'hist'", now
        )
        if bad:
            raise RuntimeError(f"{bad} pending clocks are on the wrong side of now")
        counts.hist = await conn.fetchval("SELECT count(*) FROM bench_gen WHERE kind = 'hist'")
        counts.late = await conn.fetchval("SELECT count(*) FROM bench_gen WHERE late")
        counts.assignments = await conn.fetchval("SELECT count(*) FROM assignments")
        counts.breaches = await conn.fetchval("SELECT count(*) FROM sla_clocks WHERE breached_at IS NOT NULL")
        counts.clocks = await conn.fetchval("SELECT count(*) FROM sla_clocks")
        counts.parties = await conn.fetchval("SELECT count(*) FROM parties")
        await _finish_load(conn, indexes, counts.seconds)
    finally:
        await conn.close()
    counts.seconds["total"] = time.monotonic() - t0
    return base, counts


def _shanghai() -> Any:
    from app.calendar.workdays import SHANGHAI

    return SHANGHAI


# --- the feed data set ---------------------------------------------------------------------------------


GEN_FEED_CASES = """
CREATE UNLOGGED TABLE bench_gen AS
SELECT n, gen_random_uuid() AS case_id, random() AS r1,
       $2::timestamptz - interval '200 days' + (n::float8 / $1) * interval '190 days' AS started_at,
       ($3::int[])[1 + n % 12] AS town_id,
       ($4::int[])[1 + (n % 12) * 3 + (n / 12) % 3] AS village_id,
       ($5::text[])[1 + n % cardinality($5::text[])] AS category,
       (ARRAY['dispatched', 'in_mediation', 'in_mediation', 'resolved'])[1 + n % 4] AS status
FROM generate_series(1, $1::int) AS n
"""

INSERT_FEED_CASES = """
INSERT INTO cases (id, reference, category, summary, claim_amount_fen, occurred_on, risk_level,
    litigation_intended, applicant_count, respondent_is_government, cross_village, cross_town,
    town_org_id, village_org_id, intake_org_id, created_by_user_id, received_at, status, version,
    routing_tier, routing_selector, routing_channel, routing_org_id, routing_rule_id,
    routing_rule_set_version,
    routing_explanation, routing_flags, current_tier, current_org_id, dispatch_clock_started_at,
    dispatch_due_at, dispatch_due_provisional, dispatch_calendar_version, outcome, resolved_tier,
    resolved_org_id, resolved_at, created_at, updated_at)
SELECT g.case_id, 'LY-' || extract(year FROM g.started_at)::int || '-'
             || CASE WHEN g.n < 1000000 THEN lpad(g.n::text, 6, '0') ELSE g.n::text END,
       g.category, $1, (g.n % 500) * 10000, (g.started_at - interval '10 days')::date, 'low', true, 1, false,
       false, false, g.town_id, g.village_id, g.village_id, $2::int, g.started_at, g.status,
       CASE g.status WHEN 'dispatched' THEN 2 WHEN 'in_mediation' THEN 3 ELSE 4 END,
       'court', 'court', NULL, $3::int, 'litigation-intended', 1, '拟起诉→法院诉前调解', '[]'::jsonb,
       'court', $3::int, g.started_at, d.due_at, d.provisional, $4::text,
       CASE WHEN g.status = 'resolved' THEN 'settled' END,
       CASE WHEN g.status = 'resolved' THEN 'court' END,
       CASE WHEN g.status = 'resolved' THEN $3::int END,
       CASE WHEN g.status = 'resolved' THEN g.started_at + interval '9 days' END,
       g.started_at, g.started_at + interval '9 days'
FROM bench_gen g
JOIN bench_due d ON d.day = (g.started_at AT TIME ZONE 'Asia/Shanghai')::date
"""

INSERT_FEED_ASSIGNMENTS = """
INSERT INTO assignments (case_id, organization_id, tier, clock_started_at, dispatch_due_at, dispatched_at,
    town_org_id, auto_dispatched, accepted_at, ended_at, end_reason, outcome)
SELECT c.id, c.routing_org_id, 'court', c.dispatch_clock_started_at, c.dispatch_due_at,
       c.dispatch_clock_started_at + interval '1 second', c.town_org_id, true,
       CASE WHEN c.status <> 'dispatched' THEN c.received_at + interval '5 hours' END,
       c.resolved_at, CASE WHEN c.status = 'resolved' THEN 'resolved' END, c.outcome
FROM bench_gen g JOIN cases c ON c.id = g.case_id
"""

# ``per_tx`` events share a txid (one writing transaction), ids and txids both increase, occurred_at over the
# last 180 days. Event k of case c is row k*cases + c: each case's events are spread over the whole range.
INSERT_FEED_EVENTS = """
INSERT INTO feed_events (id, organization_id, txid, case_id, type, case_version, data, occurred_at)
SELECT e.n, $1::int, $2::bigint + (e.n - 1) / $3::int, g.case_id, t.type, 1 + (e.n - 1) / $4::int,
       jsonb_build_object('event', t.type), $5::timestamptz - interval '180 days'
                                           + (e.n::float8 / $6) * interval '179 days'
FROM generate_series(1, $6::int) AS e(n)
JOIN bench_gen g ON g.n = 1 + (e.n - 1) % $4::int
CROSS JOIN LATERAL (
    SELECT (ARRAY['case.registered', 'case.dispatched', 'case.accepted', 'case.updated',
                  'case.mediation_started', 'case.resolved'])[1 + ((e.n - 1) / $4::int) % 6] AS type
) t
"""


@dataclass
class FeedCounts:
    cases: int = 0
    events: int = 0
    per_tx: int = 0
    txid_range: tuple[int, int] = (0, 0)
    parties: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


async def generate_feed(
    database: str = FEED_DB, *, cases: int = 50_000, events: int = 1_000_000, now: datetime | None = None
) -> tuple[Base, FeedCounts]:
    now = now or datetime.now(UTC)
    counts = FeedCounts(cases=cases, events=events)
    t0 = time.monotonic()
    base = await prepare(database, court_client=True)
    counts.seconds["schema_and_tree"] = time.monotonic() - t0
    arrays = _org_arrays(base.orgs)
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        # txids must lie below the cluster's current transaction id (the feed reads only below the oldest
        # running transaction): group the events into as many transactions as there are xids to spare.
        current = int(await conn.fetchval("SELECT pg_current_xact_id()::text::bigint"))
        first_txid = 1000
        spare = max(current - first_txid - 1000, 1)
        counts.per_tx = max(1, -(-events // spare))
        counts.txid_range = (first_txid, first_txid + (events - 1) // counts.per_tx)
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        await conn.execute("SET work_mem = '64MB'")
        await conn.execute("SELECT setseed(0.4242)")
        today = now.astimezone(_shanghai()).date()
        await _due_table(conn, database, today - timedelta(days=220), today + timedelta(days=30))
        await _party_table(conn, party_values())
        indexes = await drop_secondary_indexes(conn, ["cases", "assignments", "parties", "feed_events"])
        steps: list[tuple[str, str, tuple[Any, ...]]] = [
            ("stage", GEN_FEED_CASES, (cases, now, arrays["towns"], arrays["villages"], CATEGORIES)),
            (
                "cases",
                INSERT_FEED_CASES,
                (SUMMARY, base.mediator_id, base.orgs["LY-COURT"], base.calendar_version),
            ),
            ("assignments", INSERT_FEED_ASSIGNMENTS, ()),
            ("parties", INSERT_PARTIES.format(where="true"), ()),
            (
                "feed_events",
                INSERT_FEED_EVENTS,
                (base.orgs["LY-COURT"], first_txid, counts.per_tx, cases, now, events),
            ),
        ]
        for name, sql, args in steps:
            t = time.monotonic()
            await conn.execute(sql, *args)
            counts.seconds[name] = time.monotonic() - t
            log(f"  feed data: {name} in {counts.seconds[name]:.1f} s")
        await conn.execute("SELECT setval('feed_events_id_seq', (SELECT max(id) FROM feed_events))")
        counts.parties = await conn.fetchval("SELECT count(*) FROM parties")
        await _finish_load(conn, indexes, counts.seconds)
    finally:
        await conn.close()
    counts.seconds["total"] = time.monotonic() - t0
    return base, counts


# --- command line --------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=["sla", "feed"])
    parser.add_argument("--database")
    parser.add_argument("--cases", type=int)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.dataset == "sla":
        _, counts = asyncio.run(generate_sla(args.database or SLA_DB, cases=args.cases or 1_000_000))
    else:
        _, counts = asyncio.run(
            generate_feed(args.database or FEED_DB, cases=args.cases or 50_000, events=args.events)
        )
    print(json.dumps(counts.__dict__, default=str, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
