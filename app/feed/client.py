"""The reference feed client: what a court IT team reads to integrate (``jiefen court pull``).

Exactly once in the output file, even when killed at any point:
1. pull a page after the saved cursor;
2. append its events to the JSON Lines file and fsync;
3. save {cursor, file size} to the state file atomically (write a temporary file, fsync, rename);
4. acknowledge the cursor to the server (only informs the city's lag report).
On start, the output is truncated to the size recorded with the cursor, so a batch written but not yet
recorded (killed between 2 and 3) is dropped and pulled again: nothing twice, nothing missing.
Network errors and 5xx are retried with exponential backoff; 4xx other than 429 stop with the problem text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


@dataclass
class State:
    cursor: str | None = None
    out_size: int = 0

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data.get("cursor"), int(data.get("out_size", 0)))

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump({"cursor": self.cursor, "out_size": self.out_size}, f)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)


class FeedError(RuntimeError):
    pass


@dataclass
class Puller:
    client: httpx.AsyncClient
    key: str
    state_path: Path
    out_path: Path
    limit: int = 100
    wait: int = 20
    max_backoff: float = 30.0
    log: Callable[[str], None] = print

    async def _get(self, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": self.limit, "wait": self.wait}
        if cursor:
            params["cursor"] = cursor
        delay = 0.5
        while True:
            try:
                r = await self.client.get(
                    "/api/v1/feed",
                    params=params,
                    headers={"Authorization": f"Bearer {self.key}"},
                    timeout=self.wait + 15,
                )
            except httpx.TransportError as exc:
                self.log(f"network error: {exc!r}; retrying in {delay:.1f}s")
            else:
                if r.status_code == 200:
                    return dict(r.json())
                if r.status_code < 500 and r.status_code != 429:
                    raise FeedError(f"{r.status_code}: {r.text}")
                self.log(f"server answered {r.status_code}; retrying in {delay:.1f}s")
            await asyncio.sleep(delay * (0.5 + random.random()))  # jitter, not security
            delay = min(delay * 2, self.max_backoff)

    async def _ack(self, cursor: str) -> None:
        # The acknowledgement only feeds the city's lag report; the state file is what resumes.
        with contextlib.suppress(httpx.TransportError):
            await self.client.post(
                "/api/v1/feed/ack", json={"cursor": cursor}, headers={"Authorization": f"Bearer {self.key}"}
            )

    async def run(self, *, once: bool = False) -> int:
        """Pull until caught up (``once``) or forever; returns how many events were written."""
        state = State.load(self.state_path)
        self.out_path.touch()
        with self.out_path.open("r+b") as out:
            out.truncate(state.out_size)  # drop a batch written after the last saved state
        written = 0
        while True:
            page = await self._get(state.cursor)
            if page["items"]:
                with self.out_path.open("ab") as out:
                    for item in page["items"]:
                        out.write(json.dumps(item, ensure_ascii=False).encode() + b"\n")
                    out.flush()
                    os.fsync(out.fileno())
                    size = out.tell()
                written += len(page["items"])
                state = State(page["next_cursor"], size)
                state.save(self.state_path)
                await self._ack(state.cursor or "")
            if once and not page["has_more"] and not page["items"]:
                return written
