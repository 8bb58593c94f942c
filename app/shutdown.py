"""Learning of a shutdown before the server waits for its connections to close.

uvicorn answers SIGTERM by closing its listening sockets and then waiting for every open connection to
finish; only after that does it run the lifespan shutdown. A long poll on ``/feed`` (up to 30 s) would hold
the whole shutdown for its full wait. So the app hooks the signals itself: at lifespan startup, inside
uvicorn's ``capture_signals``, it wraps the handler uvicorn installed (in every worker, whatever runs it), and
the wrapper sets :class:`Draining` before handing the signal on. Long polls wait on that event as well as
their timer and answer at once with an empty page, so the client resumes from the same cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Draining:
    """Set once the process has been told to stop; never cleared."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def is_set(self) -> bool:
        return self._event.is_set()

    def begin(self) -> None:
        self._event.set()

    async def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, less if draining begins; True when draining."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        return self._event.is_set()

    def hook_signals(self) -> None:
        """Chain onto the server's SIGTERM/SIGINT handlers; call from the event loop at startup.

        Only a Python handler is wrapped (one a server installed): with the defaults still in place no server
        is managing the process, and a signal keeps its default meaning. Signal handlers run between two
        bytecodes of the loop's thread, so the event is set through ``call_soon_threadsafe``.
        """
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous):
                signal.signal(sig, _chained(previous, lambda: loop.call_soon_threadsafe(self.begin)))


def _chained(previous: Any, begin: Any) -> Any:
    def handler(sig: int, frame: FrameType | None) -> None:
        begin()
        previous(sig, frame)

    return handler
