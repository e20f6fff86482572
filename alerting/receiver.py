"""A webhook receiver for trying routes out (``vendorwatch alerts receive``, the demo).

It accepts ``POST``s of ``vendorwatch.notification/1`` documents on 127.0.0.1 (or the host
given), checks ``X-Vendorwatch-Signature`` when a secret is set, dedups on ``Idempotency-Key``
(else the notification id) like a careful receiver must, and hands each new message, parsed
with :class:`~alerting.notification.Notification`, to a callback. It is a tool, not a
production endpoint.

Answers: 200 ``ok`` (new) or ``duplicate``; 411 without a ``Content-Length``; 400 for a
malformed one; 413 for a body over :data:`MAX_BODY` bytes (not read); 401 for a bad signature;
400 for a body that is not JSON; 422 for a document that is not a notification, naming the
field (``alerts.0.value: Input should be a valid number``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import ValidationError

from alerting.channels.webhook import SIGNATURE_HEADER, verify
from alerting.notification import SCHEMA, Notification, parse_notification

MAX_BODY = 4 * 1024 * 1024
"""The largest request body read, in bytes."""

MAX_FIELD_ERRORS = 5
"""A 422 answer lists at most this many fields."""

OnNotification = Callable[[Notification, bool], None]
"""Called with the notification and whether its signature was verified (False: no secret)."""


class Refused(Exception):
    """A request answered with ``status`` and ``reason`` instead of being handed on."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def body_length(header: str | None) -> int:
    """The ``Content-Length`` to read: :class:`Refused` when missing, malformed or too large."""
    if header is None:
        raise Refused(411, "Content-Length required")
    try:
        length = int(header)
    except ValueError:
        raise Refused(400, "Content-Length is not a number") from None
    if length < 0:
        raise Refused(400, "Content-Length is negative")
    if length > MAX_BODY:
        raise Refused(413, f"body over {MAX_BODY} bytes")
    return length


def notification_of(body: bytes) -> Notification:
    """The notification ``body`` holds: :class:`Refused` (400/422, naming the fields) if none."""
    try:
        notification = parse_notification(body)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            raise Refused(400, "not JSON") from None
        raise Refused(422, f"not a {SCHEMA} document: {_fields(exc)}") from None
    if notification.schema_id != SCHEMA:
        raise Refused(422, f"not a {SCHEMA} document: schema: {notification.schema_id!r}")
    return notification


def _fields(error: ValidationError) -> str:
    shown = [
        f"{'.'.join(str(part) for part in e['loc']) or 'document'}: {e['msg']}"
        for e in error.errors(include_url=False, include_input=False)[:MAX_FIELD_ERRORS]
    ]
    more = error.error_count() - len(shown)
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], secret: str | None, on: OnNotification):
        super().__init__(address, _Handler)
        self.secret = secret
        self.on_notification = on
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def fresh(self, key: str) -> bool:
        """True the first time ``key`` is seen."""
        with self.lock:
            fresh = key not in self.seen
            self.seen.add(key)
        return fresh


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the callback reports
        return

    def _answer(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        try:
            body = self.rfile.read(body_length(self.headers.get("Content-Length")))
            secret = self.server.secret
            if secret is not None and not verify(body, secret, self.headers.get(SIGNATURE_HEADER)):
                raise Refused(401, "bad signature")
            notification = notification_of(body)
        except Refused as refused:
            self._answer(refused.status, refused.reason)
            return
        key = self.headers.get("Idempotency-Key") or str(notification.notification_id)
        fresh = self.server.fresh(key)
        if fresh:
            self.server.on_notification(notification, secret is not None)
        self._answer(200, "ok" if fresh else "duplicate")


def receive(
    host: str, port: int, secret: str | None, on: OnNotification, stop: threading.Event
) -> None:
    """Receive until ``stop`` is set, handing each new notification to ``on``."""
    server = _Server((host, port), secret, on)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
