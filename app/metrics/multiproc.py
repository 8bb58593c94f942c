"""Prometheus's multiprocess mode for ``jiefen serve --workers N``.

Each worker writes its metric values to files in ``PROMETHEUS_MULTIPROC_DIR``; a scrape reads them all. The
directory must be set before the workers import prometheus_client, and emptied at every start: values left
from a previous run would be added to this one's. A worker that ends takes its live gauges (pool
connections) with it: on a clean exit it marks itself dead; a worker that crashed is marked dead by the
next worker that starts (uvicorn replaces it). Counters and histograms of dead workers stay: they are sums.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import multiprocess

ENV = "PROMETHEUS_MULTIPROC_DIR"


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def prepare_directory(workers: int) -> Path | None:
    """Called by ``jiefen serve`` before uvicorn starts the workers (they inherit the environment).

    An operator's ``PROMETHEUS_MULTIPROC_DIR`` is used and emptied; otherwise, with more than one worker, a
    private temporary directory is made and removed at exit. One worker without it needs no files."""
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    if workers <= 1:
        return None
    path = Path(tempfile.mkdtemp(prefix="jiefen-metrics-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    os.environ[ENV] = str(path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


def reap_dead_workers() -> None:
    """Drop the live gauges of workers that are gone without marking themselves dead (a crash, a kill)."""
    path = Path(os.environ[ENV])
    suffixes = {file.stem.rsplit("_", 1)[-1] for file in path.glob("gauge_live*_*.db")}
    for pid in {int(s) for s in suffixes if s.isdigit()} - {os.getpid()}:
        if not _alive(pid):
            multiprocess.mark_process_dead(pid, str(path))


def mark_self_dead() -> None:
    multiprocess.mark_process_dead(os.getpid(), os.environ[ENV])
