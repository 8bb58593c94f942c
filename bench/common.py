"""Shared plumbing of the benchmarks: the machine, the bench database, uvicorn servers, wrk, CPU time.

Everything runs on loopback against the local PostgreSQL. Raw outputs go to ``bench/out/`` (git-ignored);
each benchmark writes its own section of ``bench/README.md`` between ``<!-- NAME:begin -->`` and
``<!-- NAME:end -->`` markers, so several benchmarks share the file without clobbering each other.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
README = BENCH_DIR / "README.md"
LUA_DIR = BENCH_DIR / "lua"

# libpq-style base of the bench server; the database name is appended.
PG_BASE = os.environ.get("BENCH_PG", "postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_DB", "jiefen_bench")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pg_dsn(database: str = BENCH_DB) -> str:
    return f"postgresql://{PG_BASE}/{database}"


def sqlalchemy_url(database: str = BENCH_DB) -> str:
    return f"postgresql+asyncpg://{PG_BASE}/{database}"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the machine ---------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    wrk = shutil.which("wrk")
    wrk_version = "not installed"
    if wrk:
        first = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.splitlines()
        wrk_version = first[0].split(" [")[0] if first else "wrk"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": wrk_version,
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %z"),
    }


def start_run() -> dict[str, str]:
    """The start of every benchmark run: its output folder, and the machine it runs on (with PostgreSQL)."""
    OUT_DIR.mkdir(exist_ok=True)
    info = machine()
    info["postgres"] = asyncio.run(postgres_version())
    return info


async def postgres_version() -> str:
    conn = await asyncpg.connect(pg_dsn("postgres"))
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


# --- the bench database --------------------------------------------------------------------------------


async def recreate_database(name: str = BENCH_DB) -> None:
    """Drop and create ``name`` (terminating leftover sessions of an interrupted run)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unsafe database name {name!r}")
    conn = await asyncpg.connect(pg_dsn("postgres"))
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def count_rows(table: str, database: str = BENCH_DB) -> int:
    conn = await asyncpg.connect(pg_dsn(database))
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


# --- servers -------------------------------------------------------------------------------------------


@dataclass
class Server:
    """A uvicorn process (and its workers) on loopback."""

    name: str
    app: str
    port: int
    workers: int
    env: Mapping[str, str]
    ready_path: str = "/readyz"
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        OUT_DIR.mkdir(exist_ok=True)
        self.log_path = OUT_DIR / f"server-{self.name}-w{self.workers}.log"
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            self.app,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            "--log-level",
            "warning",
            *self.extra_args,
        ]
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                ready = httpx.get(self.base_url + self.ready_path, timeout=2).status_code == 200
                # With several workers, /readyz answered by one does not mean all are up.
                if ready and len(self.pids()) >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} not ready after {timeout}s; see {self.log_path}")

    def pids(self) -> list[int]:
        """The serving processes: the uvicorn process itself with one worker, its children with more."""
        if self.proc is None:
            return []
        children = child_pids(self.proc.pid)
        if self.workers == 1:
            return [self.proc.pid]
        # uvicorn's supervisor spawns the workers via multiprocessing (also a resource tracker at times).
        return [p for p in children if "uvicorn" in _cmdline(p) or "multiprocessing" in _cmdline(p)]

    def all_pids(self) -> list[int]:
        return [self.proc.pid, *child_pids(self.proc.pid)] if self.proc else []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def child_pids(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent:
            found.append(int(entry.name))
    return sorted(found)


# --- CPU accounting ------------------------------------------------------------------------------------


def process_cpu_seconds(pids: Iterable[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLK_TCK


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def system_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


@dataclass
class CpuMeter:
    """CPU seconds used during a window by the server processes, by PostgreSQL and by the whole machine."""

    server_pids: list[int]
    start: tuple[float, float, float, float] = (0, 0, 0, 0)

    def __enter__(self) -> CpuMeter:
        self._pg = postgres_pids()
        busy, total = system_cpu_seconds()
        self.start = (process_cpu_seconds(self.server_pids), process_cpu_seconds(self._pg), busy, total)
        return self

    def __exit__(self, *exc: object) -> None:
        busy, total = system_cpu_seconds()
        # Backends that started during the window are missed at start and counted whole at the end: that is
        # their CPU during the window (they did not exist before).
        pg_now = postgres_pids()
        end = (process_cpu_seconds(self.server_pids), process_cpu_seconds(pg_now), busy, total)
        self.server, self.postgres, self.busy, self.total = (
            e - s for e, s in zip(end, self.start, strict=True)
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "server_cpu_s": round(self.server, 2),
            "postgres_cpu_s": round(self.postgres, 2),
            "machine_busy_s": round(self.busy, 2),
            "machine_total_s": round(self.total, 2),
        }


# --- wrk -----------------------------------------------------------------------------------------------


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    return path


@dataclass
class WrkResult:
    label: str
    connections: int
    threads: int
    duration_s: float
    requests: int
    statuses: dict[int, int]
    errors: dict[str, int]
    latency_us: dict[str, float]
    raw: str
    cpu: dict[str, float] = field(default_factory=dict)
    wrk_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def socket_errors(self) -> int:
        return sum(n for k, n in self.errors.items() if k != "status")

    @property
    def valid(self) -> bool:
        return self.non_2xx == 0 and self.socket_errors == 0 and self.requests > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "connections": self.connections,
            "threads": self.threads,
            "duration_s": round(self.duration_s, 3),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": self.errors,
            "latency_ms": {k: round(v / 1000, 2) for k, v in self.latency_us.items()},
            "valid": self.valid,
            "cpu": self.cpu,
        }


def run_wrk(
    label: str,
    url: str,
    *,
    script: Path,
    script_args: list[str],
    connections: int,
    duration_s: int,
    threads: int = 2,
    timeout_s: int = 10,
) -> WrkResult:
    threads = min(threads, connections)
    cmd = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        *script_args,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    raw = f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / f"wrk-{label}.txt").write_text(raw)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{raw}")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"no BENCH_JSON line in wrk output:\n{raw}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return WrkResult(
        label=label,
        connections=connections,
        threads=threads,
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        statuses={int(k): v for k, v in data["statuses"].items()},
        errors=data["errors"],
        latency_us=data["latency_us"],
        raw=raw,
        wrk_cpu_s=wrk_cpu,
    )


# --- README sections -----------------------------------------------------------------------------------


def write_readme_section(name: str, text: str) -> None:
    """Replace (or append) the section between ``<!-- name:begin -->`` and ``<!-- name:end -->``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{text.rstrip()}\n{end}"
    current = README.read_text() if README.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        _, tail = rest.split(end, 1)
        updated = head + block + tail
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    README.write_text(updated)


def publish(name: str, results: dict[str, Any], report: str, elapsed: float, *, readme: bool) -> None:
    """Write a benchmark's raw results and report to bench/out/, and its section of bench/README.md."""
    (OUT_DIR / f"{name}-results.json").write_text(
        json.dumps({**results, "elapsed_s": elapsed}, ensure_ascii=False, indent=2, default=str)
    )
    (OUT_DIR / f"{name}-report.md").write_text(report)
    if readme:
        write_readme_section(name, report)
    log(f"done in {elapsed:.0f} s; report in bench/out/{name}-report.md")
