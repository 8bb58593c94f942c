"""Prometheus multiprocess mode, as under ``jiefen serve --workers N``: two worker processes write their
values to one directory and a scrape of either adds them up; a dead worker's live gauges go away."""

from __future__ import annotations

import os
import subprocess
import sys

from prometheus_client import CollectorRegistry, multiprocess

from app.metrics import multiproc

WORKER = """
from app import metrics
metrics.observe_request("GET", "/api/v1/cases/{case_id}", 200, 0.02, None)
metrics.observe_request("POST", "/api/v1/cases", 503, 0.3, "service_busy")
metrics.DB_POOL_IN_USE.labels("main").set(3)
metrics.idempotent_replay("cases.create")
metrics.FEED_UNACKNOWLEDGED.labels("court").set(7)
print(__import__("os").getpid())
"""


def run_worker(directory: str) -> int:
    env = {**os.environ, multiproc.ENV: directory}
    done = subprocess.run(
        [sys.executable, "-c", WORKER], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return int(done.stdout.strip())


def collect(directory: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in registry.collect()
        for s in family.samples
    }


def test_two_workers_values_add_up_and_a_dead_workers_gauges_go(tmp_path, monkeypatch):
    directory = str(tmp_path)
    first, second = run_worker(directory), run_worker(directory)
    samples = collect(directory)
    route = (("method", "GET"), ("route", "/api/v1/cases/{case_id}"), ("status", "200"))
    assert samples[("jiefen_http_requests_total", route)] == 2
    assert samples[("jiefen_http_request_duration_seconds_count", route)] == 2
    busy = (("code", "service_busy"), ("route", "/api/v1/cases"))
    assert samples[("jiefen_http_unavailable_responses_total", busy)] == 2
    assert samples[("jiefen_idempotent_replays_total", (("operation", "cases.create"),))] == 2
    assert samples[("jiefen_db_pool_connections_in_use", (("pool", "main"),))] == 6  # livesum
    assert samples[("jiefen_feed_unacknowledged_events", (("client", "court"),))] == 7  # mostrecent

    # Both workers have exited without marking themselves dead (as after a crash): the next worker to
    # start reaps them. Their counts stay; their connections no longer count.
    monkeypatch.setenv(multiproc.ENV, directory)
    multiproc.reap_dead_workers()
    samples = collect(directory)
    assert samples[("jiefen_http_requests_total", route)] == 2
    assert ("jiefen_db_pool_connections_in_use", (("pool", "main"),)) not in samples
    assert {first, second}.isdisjoint({os.getpid()})


def test_serve_empties_an_operators_directory_and_makes_its_own_for_several_workers(tmp_path, monkeypatch):
    stale = tmp_path / "counter_12345.db"
    stale.write_bytes(b"old run")
    monkeypatch.setenv(multiproc.ENV, str(tmp_path))
    assert multiproc.prepare_directory(workers=1) == tmp_path
    assert not stale.exists()

    monkeypatch.delenv(multiproc.ENV)
    assert multiproc.prepare_directory(workers=1) is None
    assert multiproc.ENV not in os.environ
    made = multiproc.prepare_directory(workers=2)
    assert made is not None and made.is_dir() and not any(made.iterdir())
    assert os.environ[multiproc.ENV] == str(made)
