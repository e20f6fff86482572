"""A webhook receiver for trying routes out (``vendorwatch alerts receive``, the demo).

It accepts ``POST``s of ``vendorwatch.notification/1`` documents on 127.0.0.1 (or the host
given), checks ``X-Vendorwatch-Signature`` when a secret is set (a bad signature is answered
401 and reported), dedups on ``Idempotency-Key`` like a careful receiver must, and hands each
new message to a callback. It is a tool, not a production endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from alerting.channels.webhook import verify

MAX_BODY = 4 * 1024 * 1024

OnMessage = Callable[[dict[str, Any], bool], None]
"""Called with the document and whether its signature was verified (False: no secret set)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], secret: str | None, on_message: OnMessage):
        super().__init__(address, _Handler)
        self.secret = secret
        self.on_message = on_message
        self.seen: set[str] = set()
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the callback reports
        return

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._answer(413, "too large")
            return
        body = self.rfile.read(length)
        secret = self.server.secret
        signature = self.headers.get("X-Vendorwatch-Signature")
        if secret is not None and not verify(body, secret, signature):
            self._answer(401, "bad signature")
            return
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:
            self._answer(400, "not JSON")
            return
        key = self.headers.get("Idempotency-Key") or str(document.get("notification_id"))
        with self.server.lock:
            fresh = key not in self.server.seen
            self.server.seen.add(key)
        if fresh:
            self.server.on_message(document, secret is not None)
        self._answer(200, "ok" if fresh else "duplicate")


def serve(
    host: str, port: int, secret: str | None, on_message: OnMessage, stop: threading.Event
) -> None:
    """Receive until ``stop`` is set."""
    server = _Server((host, port), secret, on_message)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
