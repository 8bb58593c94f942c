from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.calendar.service import forget_cached_calendar
from app.config import Settings
from tests.conftest import TEST_KEYS
from tests.notifications.receiver import Receiver


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The suite's settings, with the loopback receivers allow-listed."""
    return Settings(
        env="test",
        database_url=db_url,
        encryption_key=TEST_KEYS["encryption_key"],
        blind_index_key=TEST_KEYS["blind_index_key"],
        sla_sweep_enabled=False,
        webhook_allow_hosts="127.0.0.1",
        public_base_url="https://jiefen.example.cn",
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    forget_cached_calendar()
    yield
    forget_cached_calendar()
