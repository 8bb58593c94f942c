"""A real HTTP receiver on loopback, in a thread: records every request, answers from a script."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """``answers``: (status, body, headers) to give in turn; the last one repeats."""

    answers: list[tuple[int, dict[str, Any], dict[str, str]]] = field(
        default_factory=lambda: [(200, {"errcode": 0, "errmsg": "ok"}, {})]
    )
    received: list[Received] = field(default_factory=list)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                parts = urlsplit(self.path)
                receiver.received.append(
                    Received(
                        parts.path, parse_qs(parts.query), dict(self.headers.items()), self.rfile.read(length)
                    )
                )
                status, body, headers = receiver.answers[
                    min(len(receiver.received), len(receiver.answers)) - 1
                ]
                raw = json.dumps(body).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # a batch arrives at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"
