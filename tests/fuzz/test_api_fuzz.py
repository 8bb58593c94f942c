"""Schemathesis against a live server: every operation (but logout), every check, stateful links included.

The run is the CLI's (`schemathesis run`), against uvicorn on a free port over a migrated SQLite file with
the tests' demo world, once per kind of caller: a village mediator, a town supervisor (lc_sfs), the admin
and the court's machine key. It must end with no server error and no response that breaks the document.
The example counts are bounded in schemathesis.toml beside this file, so the module takes a few minutes on
two cores; a failure prints schemathesis' own report with a curl line to reproduce each finding.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_KEYS, Databases
from tests.support import PASSWORD, build_world

pytestmark = pytest.mark.fuzz

SEED = os.environ.get("FUZZ_SEED", "20261201")
CALLERS = ["lc_v01", "lc_sfs", "admin", "court"]
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXCLUDED = ["/api/v1/auth/logout"]  # it would end the caller's own session halfway through the run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "JIEFEN_ENV": "test",
        "JIEFEN_DATABASE_URL": database_url,
        "JIEFEN_ENCRYPTION_KEY": TEST_KEYS["encryption_key"],
        "JIEFEN_BLIND_INDEX_KEY": TEST_KEYS["blind_index_key"],
        "JIEFEN_SLA_SWEEP_ENABLED": "false",
        "JIEFEN_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
async def world_db(databases: Databases) -> tuple[str, str]:
    """A migrated SQLite file holding the demo world; returns its URL and the court's API key."""
    url = await databases.sqlite_url()
    setup = create_app(
        Settings(
            env="test",
            database_url=url,
            encryption_key=TEST_KEYS["encryption_key"],
            blind_index_key=TEST_KEYS["blind_index_key"],
            sla_sweep_enabled=False,
        )
    )
    try:
        world = await build_world(setup)
    finally:
        await setup.state.ctx.close()
    return url, world.court_key


@pytest.fixture
def server(world_db: tuple[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
        env=_server_env(world_db[0]),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail(f"the server did not start:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _credentials(base: str, court_key: str) -> dict[str, str]:
    tokens = {"court": court_key}
    for username in CALLERS:
        if username != "court":
            r = httpx.post(f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[username] = r.json()["access_token"]
    return tokens


# (caller, phases, operations). Every caller runs the examples, fuzzing and stateful phases on every
# operation; the coverage phase (boundary and negative values, which costs the most) runs once per operation,
# as the caller that gets past authorization there: the admin for the people's API, the court for its own.
MACHINE_PATHS = r"^/api/v1/(court/|feed$|feed/ack$)"
RUNS = [
    *[(caller, "examples,fuzzing,stateful", []) for caller in CALLERS],
    ("admin", "coverage", [f"--exclude-path-regex={MACHINE_PATHS}"]),
    ("court", "coverage", [f"--include-path-regex={MACHINE_PATHS}"]),
]


def _schemathesis(
    base: str, token: str, phases: str, selection: list[str], report: Path
) -> subprocess.CompletedProcess[str]:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={CONFIG}",
        "--no-color",
        "run",
        f"{base}/openapi.json",
        "--checks=all",
        f"--phases={phases}",
        f"--seed={SEED}",
        # One worker: with two threads, hypothesis (describing a filter's lambda with ast.parse) met CPython
        # 3.11's thread-unsafe AST recursion counter ("SystemError: AST constructor recursion depth mismatch",
        # gh-106905) inside schemathesis; a crash of the tool, not a finding.
        "--workers=1",
        "--header",
        f"Authorization: Bearer {token}",
        *[f"--exclude-path={path}" for path in EXCLUDED],
        *selection,
        "--report=junit",
        f"--report-junit-path={report}",
    ]
    # In the report's folder: schemathesis keeps a cache of its findings in the working directory.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=1800, check=False, cwd=report.parent
    )


def test_every_operation_keeps_the_contract(server: str, world_db: tuple[str, str], tmp_path: Path) -> None:
    tokens = _credentials(server, world_db[1])
    failed = {}
    for caller, phases, selection in RUNS:
        name = f"{caller} ({phases})"
        started = time.monotonic()
        result = _schemathesis(server, tokens[caller], phases, selection, tmp_path / f"{caller}-{phases}.xml")
        print(f"schemathesis as {name}: {time.monotonic() - started:.0f} s, exit {result.returncode}")
        if result.returncode != 0:
            failed[name] = result.stdout[-20000:] + result.stderr[-2000:]
    assert not failed, "\n\n".join(f"=== as {name} ===\n{out}" for name, out in failed.items())
