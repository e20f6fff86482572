"""Real loopback servers for alert-delivery tests: an HTTP receiver and an SMTP server.

Both bind 127.0.0.1 on a free port (port 0), run in a background thread, record everything
they receive, and are context managers (``with HttpReceiver() as receiver: ...``). Waiting is
always bounded: :meth:`wait_for` raises ``AssertionError`` after ``timeout`` seconds.

HTTP::

    receiver.script(500, 500, 200)          # next three answers, then the default (200)
    receiver.script(Reply(200, delay=2.0))  # answer after 2 s (stop() does not wait for it)
    requests = receiver.wait_for(3, timeout=5)
    requests[0].body, requests[0].header("Idempotency-Key"), requests[0].arrived

SMTP (aiosmtpd)::

    server = SmtpServer(tls_context=ctx, require_starttls=True, credentials=("u", "p"))
    server.reject("nobody@example.com")     # RCPT TO answered with 550
    mails = server.wait_for(1); mails[0].message["Subject"]; mails[0].authenticated_as
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Generic, Self, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

T = TypeVar("T")


class Arrivals(Generic[T]):
    """What a test server received, in order: added by its threads, read by the test.

    ``lock`` (re-entrant) also guards whatever the server decides together with an arrival.
    """

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self.lock = threading.Condition()
        self._items: list[T] = []

    def add(self, item: T) -> None:
        with self.lock:
            self._items.append(item)
            self.lock.notify_all()

    def copy(self) -> list[T]:
        with self.lock:
            return list(self._items)

    def wait_for(self, n: int, timeout: float) -> list[T]:
        """The first ``n`` arrivals, waiting up to ``timeout`` s; AssertionError if fewer came."""
        with self.lock:
            if not self.lock.wait_for(lambda: len(self._items) >= n, timeout):
                raise AssertionError(f"{len(self._items)} of {n} {self.noun} in {timeout}s")
            return self._items[:n]

    def clear(self) -> None:
        with self.lock:
            self._items.clear()


# ---------------------------------------------------------------------------------------- HTTP


@dataclass(frozen=True)
class Reply:
    """How the receiver answers one request: status, body, extra headers, delay first."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedRequest:
    """One request as received; ``arrived`` is ``time.monotonic()`` once the body was read."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    arrived: float

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    receiver: HttpReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that gave up (timeouts) make writes fail; that is expected, stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log on stderr."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = ReceivedRequest(
            method=self.command,
            path=self.path,
            headers=tuple(self.headers.items()),
            body=body,
            arrived=time.monotonic(),
        )
        reply = self.server.receiver._record(request)
        if reply.delay and self.server.receiver._stopping.wait(reply.delay):
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_POST = do_PUT = do_GET = _handle


class HttpReceiver:
    """An HTTP server on 127.0.0.1 that records requests and answers as scripted."""

    def __init__(self, default: Reply | int = 200) -> None:
        self.default = _reply(default)
        self._script: list[Reply] = []
        self._requests: Arrivals[ReceivedRequest] = Arrivals("requests")
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/hook``."""
        return self.url_for("/hook")

    def url_for(self, path_and_query: str) -> str:
        """A URL on this receiver, e.g. ``url_for("/hook?token=abc")``."""
        return f"http://127.0.0.1:{self.port}{path_and_query}"

    def script(self, *replies: Reply | int) -> None:
        """Answer the next requests with ``replies`` in order, then with :attr:`default`."""
        with self._requests.lock:
            self._script.extend(_reply(r) for r in replies)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Everything received so far (a copy)."""
        return self._requests.copy()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """The first ``n`` requests, waiting up to ``timeout`` s; AssertionError if fewer came."""
        return self._requests.wait_for(n, timeout)

    def clear(self) -> None:
        """Forget recorded requests and pending scripted replies."""
        with self._requests.lock:
            self._requests.clear()
            self._script.clear()

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port; delayed replies are abandoned at once."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, request: ReceivedRequest) -> Reply:
        with self._requests.lock:
            self._requests.add(request)
            return self._script.pop(0) if self._script else self.default


def _reply(value: Reply | int) -> Reply:
    return value if isinstance(value, Reply) else Reply(status=value)


# ---------------------------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: envelope, raw data, parsed message, how the session was secured."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    authenticated_as: str | None
    tls: bool
    arrived: float


class _Recorder:
    """aiosmtpd handler: rejects listed recipients, records every accepted message."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self._server._rejections.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        auth = session.auth_data
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._server._record(
            ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=data,
                message=message,
                authenticated_as=login,
                tls=self._server.implicit_tls or session.ssl is not None,
                arrived=time.monotonic(),
            )
        )
        return "250 Message accepted for delivery"


class _LoopbackController(Controller):
    """Controller that may listen on port 0: learns the real port before its self-test."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that records messages.

    ``tls_context`` (a server-side context) enables STARTTLS, or implicit TLS on connect with
    ``implicit_tls=True``; ``require_starttls`` refuses commands before STARTTLS;
    ``credentials=(user, password)`` requires AUTH (PLAIN/LOGIN, only after STARTTLS; with
    ``implicit_tls`` offered but not required) and accepts only that pair, answering ``535``
    otherwise.
    """

    def __init__(
        self,
        *,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        implicit_tls: bool = False,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.credentials = credentials
        self._rejections: dict[str, str] = {}
        self._messages: Arrivals[ReceivedMail] = Arrivals("messages")
        self.implicit_tls = implicit_tls
        # aiosmtpd only knows STARTTLS as "TLS": on an implicit-TLS listener AUTH must not
        # demand it, and is then offered but not required (requiring it would warn).
        smtp_options: dict[str, Any] = {"auth_require_tls": not implicit_tls}
        if tls_context is not None and not implicit_tls:
            smtp_options.update(tls_context=tls_context, require_starttls=require_starttls)
        if credentials is not None:
            smtp_options.update(authenticator=self._authenticate, auth_required=not implicit_tls)
        self._controller = _LoopbackController(
            _Recorder(self),
            hostname="127.0.0.1",
            port=0,
            ssl_context=tls_context if implicit_tls else None,
            **smtp_options,
        )
        self.host = "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def username(self) -> str:
        assert self.credentials is not None, "server started without credentials"
        return self.credentials[0]

    @property
    def password(self) -> str:
        assert self.credentials is not None, "server started without credentials"
        return self.credentials[1]

    def reject(self, address: str, reply: str = "550 5.1.1 Recipient address rejected") -> None:
        """Answer ``RCPT TO:<address>`` with ``reply`` (any code: ``"451 try later"`` too)."""
        self._rejections[address.lower()] = reply

    @property
    def messages(self) -> list[ReceivedMail]:
        return self._messages.copy()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """The first ``n`` messages, waiting up to ``timeout`` s; AssertionError if fewer came."""
        return self._messages.wait_for(n, timeout)

    def start(self) -> Self:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, mail: ReceivedMail) -> None:
        self._messages.add(mail)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and self.credentials is not None
            and (data.login.decode(), data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)


def free_port() -> int:
    """A loopback port with nothing listening on it (bound then released; for 'server down')."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
