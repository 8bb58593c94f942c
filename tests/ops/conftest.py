"""A JSON log captured through the service's own formatter and request-id filter."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app.logging_config import JsonFormatter, RequestIdFilter


class JsonLog:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]

    def access(self) -> list[dict[str, Any]]:
        return [e for e in self.lines() if e["logger"] == "jiefen.access"]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield JsonLog(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
