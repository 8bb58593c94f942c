"""The timer that runs the SLA sweep and the purge in every replica."""

from __future__ import annotations

import asyncio

from app import periodic


async def test_a_job_runs_again_after_it_fails_and_stops_with_the_app(caplog):
    runs = []
    four = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 4:
            four.set()
        if len(runs) == 2:
            raise RuntimeError("database away")

    task = periodic.start("test job", 0.01, job, first_after=0.02)
    assert task is not None
    await asyncio.sleep(0.01)
    assert runs == []  # not before first_after
    await asyncio.wait_for(four.wait(), 5)  # the third and fourth runs came after the failed second
    await periodic.stop(task)
    assert task.cancelled()
    assert "test job failed" in caplog.text
    stopped_at = len(runs)
    await asyncio.sleep(0.05)
    assert len(runs) == stopped_at


def test_an_interval_of_zero_starts_nothing():
    async def job() -> None:
        raise AssertionError("never")

    assert periodic.start("off", 0, job) is None
