"""Intake benchmark (issue #2): ``POST /api/v1/cases`` under load, against a raw-asyncpg baseline.

    python -m bench.run intake [--workers 1,2] [--connections 16,64] [--duration 10] [--no-profile]

1. Recreate the ``jiefen_bench`` database, migrate it, load the demo Liyang tree, add a mediator of
   LY-LC-V01 and the baseline's table.
2. Trace one request in-process (SQLAlchemy events) to list the statements / round trips of an intake.
3. For each worker count: start the baseline (``bench/baseline_app.py``) and the service under uvicorn,
   warm up 3 s, then wrk for ``--duration`` s at each connection count. Every request of the service
   carries a unique ``Idempotency-Key``. Non-2xx responses or socket errors make a run invalid; rows
   inserted must match the 201s wrk saw (give or take the requests in flight when wrk stops).
4. Profile the service (one worker, 16 connections) with py-spy and rank the hotspots.
5. Write ``bench/out/intake-*`` (raw) and the intake section of ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    BENCH_DB,
    LUA_DIR,
    OUT_DIR,
    CpuMeter,
    Server,
    WrkResult,
    count_rows,
    log,
    pg_dsn,
    publish,
    recreate_database,
    run_wrk,
    sqlalchemy_url,
    start_run,
)

NAME = "intake"
SCRIPT = LUA_DIR / "post_json.lua"
INTAKE_PORT = 18765
BASELINE_PORT = 18766
USERNAME = "bench_mediator"
PASSWORD = "bench-password-0123"  # a throwaway account in a throwaway database
MEDIATOR_ORG = "LY-LC-V01"
WARMUP_S = 3
TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0

# Fixed keys: runs are comparable and nothing is read from or written to var/keys.json.
ENCRYPTION_KEY = "YmVuY2gtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXMhISE="
BLIND_INDEX_KEY = "YmVuY2gtYmxpbmQtaW5kZXgta2V5LTMyLWJ5dGVzISE="


# --- the request ---------------------------------------------------------------------------------------


def resident_id(region: str, birth: date, sequence: int) -> str:
    from app.pii.identity import resident_id_check_char

    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def case_body(now: datetime) -> dict[str, Any]:
    """A realistic registration from a village committee's phone: two people, IDs, phones, addresses."""
    return {
        "category": "neighbour",
        "summary": (
            "申请人王建国与被申请人李秀英系前后邻居。2025年10月以来,被申请人在两家之间的公共通道上"
            "搭建简易车棚并堆放杂物,影响申请人家人及车辆正常通行;双方多次协商未果,并因此发生口角。"
            "申请人请求被申请人拆除车棚、清理通道,并赔偿其因此受损的电动车修理费用。村调委会已初步"
            "了解情况,双方均同意接受调解。"
        ),
        "claim_amount": "1200.00",
        "occurred_on": (now.date() - timedelta(days=12)).isoformat(),
        "received_at": (now - timedelta(minutes=30)).isoformat(timespec="seconds"),
        "risk_level": "low",
        "litigation_intended": False,
        # The same two parties in every request: registered knowingly, as a mediator does after 仍然登记？
        "confirm_duplicate": True,
        "town_code": "LY-LC",
        "village_code": MEDIATOR_ORG,
        "parties": [
            {
                "role": "applicant",
                "kind": "person",
                "name": "王建国",
                "id_number": resident_id("320481", date(1968, 3, 12), 215),
                "phone": "138 1234 5678",
                "address": "溧阳市溧城街道八字桥社区燕山路88号",
                "town_code": "LY-LC",
                "village_code": MEDIATOR_ORG,
            },
            {
                "role": "respondent",
                "kind": "person",
                "name": "李秀英",
                "id_number": resident_id("320481", date(1975, 11, 3), 342),
                "phone": "+86 159-6123-4567",
                "address": "溧阳市溧城街道八字桥社区燕山路90号",
                "town_code": "LY-LC",
                "village_code": MEDIATOR_ORG,
            },
        ],
    }


def write_body() -> Path:
    from app.calendar.workdays import SHANGHAI

    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / "intake-body.json"
    path.write_text(json.dumps(case_body(datetime.now(SHANGHAI)), ensure_ascii=False))
    return path


# --- setup ---------------------------------------------------------------------------------------------


def prepare_database() -> None:
    from app import migrate

    asyncio.run(recreate_database())
    migrate.upgrade(sqlalchemy_url())
    asyncio.run(_seed())


async def _seed() -> None:
    import asyncpg

    from app.auth.admin import create_user
    from app.db import make_engine, make_sessionmaker, session_scope
    from app.models import Role
    from app.organizations.demo import load_demo_tree
    from bench.baseline_app import TABLE_DDL

    engine = make_engine(sqlalchemy_url())
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            await load_demo_tree(session)
            await create_user(session, USERNAME, Role.MEDIATOR, MEDIATOR_ORG, PASSWORD, "压测调解员")
    finally:
        await engine.dispose()
    conn = await asyncpg.connect(pg_dsn())
    try:
        await conn.execute(TABLE_DDL)
    finally:
        await conn.close()


def service_env(var_dir: str, database: str = BENCH_DB) -> dict[str, str]:
    """The service's environment for a benchmark run (shared by every benchmark)."""
    return {
        "JIEFEN_DATABASE_URL": sqlalchemy_url(database),
        "JIEFEN_VAR_DIR": var_dir,
        "JIEFEN_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "JIEFEN_BLIND_INDEX_KEY": BLIND_INDEX_KEY,
        "JIEFEN_LOG_LEVEL": "WARNING",
        "JIEFEN_SLA_SWEEP_ENABLED": "false",
        "JIEFEN_LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000",
        "JIEFEN_LOGIN_MAX_FAILURES_PER_ADDRESS": "1000",
    }


def login(base_url: str) -> str:
    resp = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"username": USERNAME, "password": PASSWORD}, timeout=30
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def check_one_request(base_url: str, body_path: Path, token: str | None) -> None:
    """Fail fast (before minutes of load) when the request itself is wrong."""
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"check-{uuid.uuid4()}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    resp = httpx.post(f"{base_url}/api/v1/cases", content=body_path.read_bytes(), headers=headers, timeout=30)
    if resp.status_code != 201:
        raise SystemExit(f"{base_url}: POST /api/v1/cases answered {resp.status_code}: {resp.text[:2000]}")


# --- one request, traced in-process --------------------------------------------------------------------


def trace_statements(body_path: Path) -> dict[str, Any]:
    return asyncio.run(_trace(body_path.read_bytes()))


async def _trace(body: bytes) -> dict[str, Any]:
    from sqlalchemy import event

    from app.config import Settings
    from app.main import create_app

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=sqlalchemy_url(),
        encryption_key=ENCRYPTION_KEY,
        blind_index_key=BLIND_INDEX_KEY,
        log_level="WARNING",
        sla_sweep_enabled=False,
    )
    app = create_app(settings)
    engine = app.state.ctx.engine
    trips: list[str] = []

    def on_execute(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool
    ) -> None:
        first = " ".join(statement.split())[:150]
        trips.append(f"{'executemany ' if executemany else ''}{first}")

    event.listen(engine.sync_engine, "before_cursor_execute", on_execute)
    event.listen(engine.sync_engine, "begin", lambda conn: trips.append("BEGIN"))
    event.listen(engine.sync_engine, "commit", lambda conn: trips.append("COMMIT"))
    event.listen(engine.sync_engine, "rollback", lambda conn: trips.append("ROLLBACK"))
    dialect = engine.sync_engine.dialect
    original_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        trips.append("pool_pre_ping")
        return bool(original_ping(dbapi_connection))

    dialect.do_ping = counting_ping
    # Statements app.prepared sends on the session's asyncpg connection bypass SQLAlchemy's events: count
    # them at the driver (SQLAlchemy's own statements go through prepare(), not these methods).
    import asyncpg

    driver_originals = {
        m: getattr(asyncpg.Connection, m) for m in ("execute", "executemany", "fetch", "fetchval")
    }

    def driver_call(method: str, fn: Any) -> Any:
        async def wrapper(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            first = " ".join(query.split())[:150]
            # SQLAlchemy's own BEGIN/COMMIT/ROLLBACK also arrive here; its events above count them already.
            if first.rstrip(";").split(" ")[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
                trips.append(f"{'executemany ' if method == 'executemany' else ''}{first} [asyncpg]")
            return await fn(self, query, *args, **kwargs)

        return wrapper

    for method, fn in driver_originals.items():
        setattr(asyncpg.Connection, method, driver_call(method, fn))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            resp = await client.post("/api/v1/auth/login", json={"username": USERNAME, "password": PASSWORD})
            token = resp.json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            per_request = []
            timings = []
            for _ in range(5):  # the first requests prepare statements on the connection; keep the last
                trips.clear()
                started = time.perf_counter()
                resp = await client.post(
                    "/api/v1/cases", content=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
                )
                timings.append((time.perf_counter() - started) * 1000)
                assert resp.status_code == 201, resp.text
                per_request.append(list(trips))
            response_bytes = len(resp.content)
            dialect.do_ping = original_ping
            for method, fn in driver_originals.items():
                setattr(asyncpg.Connection, method, fn)
            phases = await _phase_profile(client, headers, body, PHASE_REQUESTS)
    finally:
        await app.state.ctx.close()
    steady = per_request[-1]
    return {
        "round_trips": len(steady),
        "statements": steady,
        "sequential_latency_ms": [round(t, 2) for t in timings],
        "response_bytes": response_bytes,
        "request_bytes": len(body),
        "phases": phases,
    }


PHASE_REQUESTS = 200
# Module-level functions of these modules are timed (those that exist: other work may add or move them).
PHASE_MODULES = (
    "app.auth.service",
    "app.idempotency",
    "app.cases.intake",
    "app.cases.repository",
    "app.cases.actions",
    "app.cases.transitions",
    "app.cases.presenter",
    "app.routing.service",
    "app.routing.engine",
    "app.sla.clock",
    "app.calendar.service",
    "app.pii.identity",
)


async def _phase_profile(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes, n: int
) -> dict[str, Any]:
    """CPU and wall time per call of the service's functions, from sequential requests in-process.

    One request at a time, so a function's thread CPU time between entry and exit is its own (plus
    negligible event-loop bookkeeping while it awaits the database) and its wall time includes the
    round trips it waits for. Inclusive: nested functions are counted in their callers too.
    """
    import functools
    import importlib
    import inspect

    from sqlalchemy.ext.asyncio import AsyncSession

    cpu: Counter[str] = Counter()
    wall: Counter[str] = Counter()
    calls: Counter[str] = Counter()

    def timed(label: str, fn: Any) -> Any:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def awrapper(*args: Any, **kwargs: Any) -> Any:
                c0, w0 = time.thread_time(), time.perf_counter()
                try:
                    return await fn(*args, **kwargs)
                finally:
                    cpu[label] += time.thread_time() - c0
                    wall[label] += time.perf_counter() - w0
                    calls[label] += 1

            return awrapper

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            c0, w0 = time.thread_time(), time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                cpu[label] += time.thread_time() - c0
                wall[label] += time.perf_counter() - w0
                calls[label] += 1

        return wrapper

    replacements: dict[int, Any] = {}
    for name in PHASE_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for attr, obj in list(vars(module).items()):
            if inspect.isfunction(obj) and obj.__module__ == name:
                replacements[id(obj)] = timed(f"{name.removeprefix('app.')}.{attr}", obj)
    patched: list[tuple[Any, str, Any]] = []
    for module in [m for k, m in list(sys.modules.items()) if k == "app" or k.startswith("app.")]:
        for attr, obj in list(vars(module).items()):
            if id(obj) in replacements and inspect.isfunction(obj):
                patched.append((module, attr, obj))
                setattr(module, attr, replacements[id(obj)])
    session_methods = ("execute", "scalar", "scalars", "commit", "flush", "get")
    originals = {m: getattr(AsyncSession, m) for m in session_methods if hasattr(AsyncSession, m)}
    for m, fn in originals.items():
        setattr(AsyncSession, m, timed(f"sqlalchemy AsyncSession.{m}", fn))
    try:
        c0, w0 = time.thread_time(), time.perf_counter()
        for _ in range(n):
            resp = await client.post(
                "/api/v1/cases", content=body, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
            )
            assert resp.status_code == 201, resp.text
        total_cpu, total_wall = time.thread_time() - c0, time.perf_counter() - w0
    finally:
        for module, attr, obj in patched:
            setattr(module, attr, obj)
        for m, fn in originals.items():
            setattr(AsyncSession, m, fn)
    rows = [
        {
            "function": k,
            "calls_per_request": round(calls[k] / n, 2),
            "cpu_ms": round(1000 * cpu[k] / n, 3),
            "wall_ms": round(1000 * wall[k] / n, 3),
        }
        for k in calls
    ]
    rows.sort(key=lambda r: -r["cpu_ms"])
    return {
        "requests": n,
        "request_cpu_ms": round(1000 * total_cpu / n, 3),
        "request_wall_ms": round(1000 * total_wall / n, 3),
        "functions": rows,
    }


# --- load ----------------------------------------------------------------------------------------------


def _run_target(
    server: Server,
    *,
    body_path: Path,
    token: str | None,
    use_key: bool,
    table: str,
    connections: list[int],
    duration: int,
    threads: int,
) -> list[dict[str, Any]]:
    url = f"{server.base_url}/api/v1/cases"
    nonce = uuid.uuid4().hex[:8]
    args = [str(body_path), token or "-", nonce, "1" if use_key else "0"]
    run_wrk(
        f"{server.name}-w{server.workers}-warmup",
        url,
        script=SCRIPT,
        script_args=[*args[:2], nonce + "w", args[3]],
        connections=connections[0],
        duration_s=WARMUP_S,
        threads=threads,
    )
    rows = []
    for c in connections:
        before = settled_count(table)
        with CpuMeter(server.pids()) as cpu:
            result: WrkResult = run_wrk(
                f"{server.name}-w{server.workers}-c{c}",
                url,
                script=SCRIPT,
                script_args=[*args[:2], f"{nonce}c{c}", args[3]],
                connections=c,
                duration_s=duration,
                threads=threads,
            )
        inserted = settled_count(table) - before
        result.cpu = cpu.as_dict()
        # CPU spent on anything but this benchmark (other jobs on the machine): high means suspect.
        result.cpu["wrk_cpu_s"] = round(result.wrk_cpu_s, 2)
        result.cpu["other_cpu_s"] = round(cpu.busy - cpu.server - cpu.postgres - result.wrk_cpu_s, 2)
        created = result.statuses.get(201, 0)
        row = {
            "target": server.name,
            "workers": server.workers,
            **result.as_dict(),
            "rows_inserted": inserted,
            "rows_match": 0 <= inserted - created <= c,
        }
        rows.append(row)
        lat = result.latency_us
        log(
            f"{server.name:8} w={server.workers} c={c:3}: {result.rps:8.1f} req/s"
            f"  p50 {lat['p50'] / 1000:6.1f} ms  p99 {lat['p99'] / 1000:6.1f} ms"
            f"  non-2xx {result.non_2xx}  socket errors {result.socket_errors}"
            f"  rows {inserted} (201s {created})"
        )
    return rows


def settled_count(table: str, timeout: float = 30.0) -> int:
    """The row count once the requests in flight when wrk stopped have finished (two equal readings)."""
    deadline = time.monotonic() + timeout
    last = asyncio.run(count_rows(table))
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = asyncio.run(count_rows(table))
        if now == last:
            return now
        last = now
    return last


def run_load(
    body_path: Path, workers_list: list[int], connections: list[int], duration: int, threads: int
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="jiefen-bench-") as var_dir:
        env = service_env(var_dir)
        for workers in workers_list:
            baseline = Server(
                "baseline",
                "bench.baseline_app:app",
                BASELINE_PORT,
                workers,
                {"BENCH_BASELINE_DSN": pg_dsn()},
            )
            with baseline:
                check_one_request(baseline.base_url, body_path, None)
                results += _run_target(
                    baseline,
                    body_path=body_path,
                    token=None,
                    use_key=False,
                    table="bench_intake",
                    connections=connections,
                    duration=duration,
                    threads=threads,
                )
            intake = Server("intake", "app.main:app", INTAKE_PORT, workers, env)
            with intake:
                token = login(intake.base_url)
                check_one_request(intake.base_url, body_path, token)
                results += _run_target(
                    intake,
                    body_path=body_path,
                    token=token,
                    use_key=True,
                    table="cases",
                    connections=connections,
                    duration=duration,
                    threads=threads,
                )
    return results


# --- profile -------------------------------------------------------------------------------------------


def py_spy() -> str | None:
    found = shutil.which("py-spy")
    local = Path(sys.executable).parent / "py-spy"
    return found or (str(local) if local.exists() else None)


def run_profile(body_path: Path, seconds: int, threads: int) -> dict[str, Any] | None:
    spy = py_spy()
    if spy is None:
        log("py-spy not found (pip install py-spy): no profile")
        return None
    raw_path = OUT_DIR / "intake-profile.txt"
    svg_path = OUT_DIR / "intake-profile.svg"
    with tempfile.TemporaryDirectory(prefix="jiefen-bench-") as var_dir:
        server = Server("intake-profile", "app.main:app", INTAKE_PORT, 1, service_env(var_dir))
        with server:
            token = login(server.base_url)
            load_s = WARMUP_S + 2 * seconds + 4
            wrk = subprocess.Popen(
                [
                    "wrk",
                    f"-t{threads}",
                    "-c16",
                    f"-d{load_s}s",
                    "--latency",
                    "-s",
                    str(SCRIPT),
                    f"{server.base_url}/api/v1/cases",
                    "--",
                    str(body_path),
                    token,
                    uuid.uuid4().hex[:8] + "p",
                    "1",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            time.sleep(WARMUP_S)
            pid = str(server.pids()[0])
            common = ["record", "--pid", pid, "--duration", str(seconds), "--rate", "200"]
            # Collapsed stacks for the numbers below, then a flame graph to look at (py-spy attaches once).
            subprocess.run(
                [spy, *common, "--format", "raw", "--output", str(raw_path)],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [spy, *common, "--format", "flamegraph", "--output", str(svg_path)],
                check=True,
                capture_output=True,
            )
            out, _ = wrk.communicate(timeout=load_s + 30)
            (OUT_DIR / "wrk-intake-profile.txt").write_text(out)
    return analyse_profile(raw_path.read_text())


COMPONENTS = (
    ("argon2", "argon2"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("asyncpg/", "asyncpg"),
    ("pydantic_core/", "pydantic"),
    ("pydantic/", "pydantic"),
    ("fastapi/", "FastAPI"),
    ("starlette/", "Starlette"),
    ("anyio/", "anyio"),
    ("uvicorn/", "uvicorn"),
    ("httptools/", "uvicorn"),
    ("uvloop/", "uvloop"),
    ("cryptography/", "cryptography"),
    ("app/", "app (Jiefen code)"),
    ("asyncio/", "asyncio"),
)


def _location(frame: str) -> str:
    """py-spy names a frame ``function (path:line)``, the path relative to sys.path."""
    return frame.rpartition(" (")[2].rstrip(")")


def _component(frame: str) -> str:
    path = _location(frame)
    for prefix, name in COMPONENTS:
        if path.startswith(prefix) or f"/{prefix}" in path:
            return name
    return "stdlib / other"


def _short(frame: str) -> str:
    name = frame.rpartition(" (")[0]
    return f"{name} ({re.sub(r':[0-9]+$', '', _location(frame))})"


IDLE_LEAVES = ("Condition.wait (threading.py", "Queue.get (queue.py")


def analyse_profile(raw: str) -> dict[str, Any]:
    """Self and inclusive shares from py-spy's collapsed stacks (idle samples are not recorded)."""
    total = idle = 0
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    components: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        if not frames:
            continue
        if frames[-1].startswith(IDLE_LEAVES):
            idle += count  # anyio's idle worker thread, which py-spy does not always recognise as idle
            continue
        total += count
        self_time[_short(frames[-1])] += count
        components[_component(frames[-1])] += count
        for f in {_short(f) for f in frames}:
            inclusive[f] += count
    if total == 0:
        return {"samples": 0}

    def share(counter: Counter[str], n: int, keep: Any = None) -> list[tuple[str, float]]:
        items = [(k, v) for k, v in counter.most_common() if keep is None or keep(k)]
        return [(k, round(100 * v / total, 1)) for k, v in items[:n]]

    def is_app(frame: str) -> bool:
        return "(app/" in frame

    def is_lib_hotspot(frame: str) -> bool:
        # The data layer and validation; the web stack's frames are plumbing that encloses everything.
        return _component(frame) in ("SQLAlchemy", "asyncpg", "pydantic", "cryptography", "argon2")

    argon = sum(v for k, v in inclusive.items() if "argon2" in k)
    return {
        "samples": total,
        "components": share(components, 20),
        "self": share(self_time, 25),
        "inclusive_app": share(inclusive, 30, is_app),
        "inclusive_lib": share(inclusive, 30, is_lib_hotspot),
        "argon2_share": round(100 * argon / total, 1),
        "idle_samples_dropped": idle,
    }


# --- report --------------------------------------------------------------------------------------------


def _find(results: list[dict[str, Any]], target: str, workers: int, conns: int) -> dict[str, Any] | None:
    return next(
        (
            r
            for r in results
            if r["target"] == target and r["workers"] == workers and r["connections"] == conns
        ),
        None,
    )


def render(
    info: dict[str, str],
    results: list[dict[str, Any]],
    trace: dict[str, Any],
    profile: dict[str, Any] | None,
    command: str,
    elapsed_s: float,
    duration: int,
) -> str:
    lines = [
        "## Intake: `POST /api/v1/cases` (issue #2)",
        "",
        f"Generated by `{command}` on {info['date']} (whole run {elapsed_s:.0f} s). Figures are from that "
        "run; raw wrk outputs, server logs, the profile and `intake-results.json` are in `bench/out/` "
        "(git-ignored).",
        "",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM, Linux {info['kernel']}, "
        f"Python {info['python']}, PostgreSQL {info['postgres']}, {info['wrk']}. wrk, uvicorn and PostgreSQL "
        "share the same cores.",
        "",
        f"Load: wrk `-t2 --latency`, {duration} s per row after a {WARMUP_S} s warm-up, one "
        f"{trace['request_bytes']}-byte JSON body (2 parties with valid resident IDs, phones, addresses, a "
        "Chinese summary: `bench/out/intake-body.json`). The service's requests each carry a unique "
        "`Idempotency-Key` (Lua: nonce-thread-counter) and a mediator's bearer token; the baseline "
        "(`bench/baseline_app.py`) validates the same body with the same pydantic model (`CaseIn`) and "
        "inserts one row with raw asyncpg. uvicorn `--no-access-log --log-level warning`, uvloop + "
        "httptools.",
        "",
        "| workers | endpoint | conns | req/s | p50 ms | p99 ms | max ms | non-2xx | socket err "
        "| rows = 201s | app CPU ms/req | PG CPU ms/req | other load (cores) | intake ÷ baseline |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        base = _find(results, "baseline", r["workers"], r["connections"])
        ratio = f"**{r['rps'] / base['rps']:.2f}**" if r["target"] == "intake" and base else ""
        lat = r["latency_ms"]
        n = max(r["requests"], 1)
        errs = sum(v for k, v in r["errors"].items() if k != "status")
        non2xx = sum(int(v) for k, v in r["statuses"].items() if not k.startswith("2"))
        lines.append(
            f"| {r['workers']} | {'full intake' if r['target'] == 'intake' else 'baseline'} "
            f"| {r['connections']} "
            f"| {r['rps']:,.0f} | {lat['p50']:.1f} | {lat['p99']:.1f} | {lat['max']:.0f} | {non2xx} | {errs} "
            f"| {'yes' if r['rows_match'] else 'NO'} ({r['rows_inserted']:,}) "
            f"| {1000 * r['cpu']['server_cpu_s'] / n:.2f} | {1000 * r['cpu']['postgres_cpu_s'] / n:.2f} "
            f"| {r['cpu'].get('other_cpu_s', 0) / r['duration_s']:.2f} | {ratio} |"
        )
    lines.append("")
    target = _find(results, "intake", 1, 16)
    base = _find(results, "baseline", 1, 16)
    if target and base:
        ratio = target["rps"] / base["rps"]
        p99 = target["latency_ms"]["p99"]
        ok = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and target["valid"] and base["valid"]
        lines += [
            f"**Target** (one worker, 16 connections: throughput ≥ {TARGET_RATIO:.0%} of the baseline and "
            f"p99 ≤ {TARGET_P99_MS:.0f} ms, no errors): ratio {ratio:.2f}, p99 {p99:.1f} ms → "
            f"**{'MET' if ok else 'NOT MET'}**.",
            "",
        ]
    invalid = [r for r in results if not r["valid"] or not r["rows_match"]]
    lines += [
        "Validity: "
        + (
            "every row had 0 non-2xx responses and 0 socket errors, and the rows inserted equal the 201s wrk "
            "counted (plus at most the requests in flight when wrk stopped)."
            if not invalid
            else f"**{len(invalid)} row(s) are invalid** (errors or a row count mismatch); see bench/out/."
        ),
        "",
        "CPU columns: CPU seconds of the uvicorn process(es) and of all PostgreSQL processes during the row, "
        "divided by its requests (from /proc). *Other load*: CPU the machine spent on anything but the "
        "servers, PostgreSQL and wrk during the row, in cores (of "
        f"{info['nproc']}); well above 0 means other jobs competed for the CPU and the row is pessimistic.",
        "",
        f"### Round trips of one intake ({trace['round_trips']} in steady state, traced in-process)",
        "",
        "```",
        *[f"{i:2}. {s}" for i, s in enumerate(trace["statements"], start=1)],
        "```",
        "",
        f"Response: {trace['response_bytes']} bytes. Sequential in-process latency of 5 requests (ms): "
        f"{', '.join(str(t) for t in trace['sequential_latency_ms'])}.",
        "",
    ]
    phases = trace.get("phases")
    if phases:
        lines += [
            f"### Where one intake's time goes ({phases['requests']} sequential requests in-process)",
            "",
            f"Each request: {phases['request_cpu_ms']:.2f} ms CPU, {phases['request_wall_ms']:.2f} ms wall "
            "(through httpx's ASGI transport, whose client side is included). Every module-level function of "
            f"{', '.join(f'`{m}`' for m in PHASE_MODULES)} and `AsyncSession`'s methods are wrapped with "
            "timers; times are inclusive (a caller includes its callees), per request, sorted by CPU.",
            "",
            "| function | calls / request | CPU ms | wall ms |",
            "| --- | ---: | ---: | ---: |",
            *[
                f"| `{r['function']}` | {r['calls_per_request']:g} | {r['cpu_ms']:.2f} | {r['wall_ms']:.2f} |"
                for r in phases["functions"]
                if r["cpu_ms"] >= 0.05
            ],
            "",
        ]
    if profile and profile.get("samples"):
        ms_per_req = (
            1000 * target["cpu"]["server_cpu_s"] / max(target["requests"], 1) if target else float("nan")
        )

        def table(title: str, rows: list[tuple[str, float]]) -> list[str]:
            out = [f"| {title} | % of CPU samples | ≈ ms CPU / request |", "| --- | ---: | ---: |"]
            out += [f"| `{k}` | {v:.1f} | {v * ms_per_req / 100:.2f} |" for k, v in rows]
            return [*out, ""]

        lines += [
            "### Profile of the full intake (one worker, 16 connections)",
            "",
            f"py-spy `record --rate 200`, {profile['samples']:,} non-idle samples of the worker "
            "(`bench/out/intake-profile.svg` flame graph, `intake-profile.txt` collapsed stacks). "
            "The ms column scales each share by the worker's measured CPU per request "
            f"in the 16-connection run above "
            f"({ms_per_req:.2f} ms). argon2 on the request path: {profile['argon2_share']:.1f} % of samples. "
            f"{profile.get('idle_samples_dropped', 0)} samples of anyio's idle worker thread are left out. "
            "SQLAlchemy's sync work runs in greenlets, whose stacks py-spy shows apart from the coroutine "
            "that awaits them: app functions' inclusive shares below miss that part (see the table above).",
            "",
            "Self time by component (the innermost Python frame; C extensions — pydantic-core, asyncpg's "
            "protocol, uvloop — count towards the Python frame that called them):",
            "",
            *table("component", profile["components"]),
            "Inclusive time of the service's own functions (a frame counts once per sample):",
            "",
            *table("function (file)", profile["inclusive_app"]),
            "Inclusive time in the data layer and validation libraries:",
            "",
            *table("function (file)", profile["inclusive_lib"][:20]),
            "Self time, top functions:",
            "",
            *table("function (file)", profile["self"][:20]),
        ]
    else:
        lines += ["No profile in this run (py-spy missing or `--no-profile`).", ""]
    return "\n".join(lines)


# --- entry point ---------------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run intake", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=_ints, default=[1, 2], help="uvicorn worker counts (default 1,2)")
    parser.add_argument("--connections", type=_ints, default=[16, 64], help="wrk connections (default 16,64)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (default 10)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--profile-seconds", type=int, default=10)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="do not rewrite bench/README.md")
    args = parser.parse_args(argv)
    started = time.monotonic()
    info = start_run()
    log(f"machine: {info}")
    log("recreating the bench database, migrating, seeding")
    prepare_database()
    body_path = write_body()
    trace = trace_statements(body_path)
    log(f"one intake = {trace['round_trips']} round trips; body {trace['request_bytes']} bytes")
    results = run_load(body_path, args.workers, args.connections, args.duration, args.threads)
    profile = None
    if not args.no_profile:
        log("profiling the service under load (py-spy)")
        profile = run_profile(body_path, args.profile_seconds, args.threads)
    elapsed = time.monotonic() - started
    command = "make bench" if not argv else "python -m bench.run intake " + " ".join(argv)
    report = render(info, results, trace, profile, command, elapsed, args.duration)
    publish(
        NAME,
        {"machine": info, "results": results, "trace": trace, "profile": profile},
        report,
        elapsed,
        readme=not args.no_readme,
    )
    bad = [r for r in results if not r["valid"] or not r["rows_match"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
