"""Fixtures for alert delivery: a TLS test CA, an HTTP receiver and an SMTP server.

* ``tls_ca`` (session): a ``trustme.CA``; ``ca_file`` (session): its certificate as a PEM file,
  for ``EmailChannelConfig(ca_file=...)``; ``server_tls_context`` (session): a server-side
  context with a certificate for ``127.0.0.1`` and ``localhost`` issued by that CA.
* ``http_receiver``: a started :class:`HttpReceiver` (answers 200 unless scripted).
* ``smtp_server``: a started :class:`SmtpServer` requiring STARTTLS and AUTH with
  ``smtp_server.username`` / ``smtp_server.password``;
  ``tests.alerting.payloads.email_config(smtp_server, ca_file)`` builds a matching config.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from tests.alerting.servers import HttpReceiver, SmtpServer


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="session")
def server_tls_context(tls_ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    with HttpReceiver() as receiver:
        yield receiver


@pytest.fixture
def smtp_server(server_tls_context: ssl.SSLContext) -> Iterator[SmtpServer]:
    credentials = ("vendorwatch", f"pw-{uuid.uuid4().hex}")
    server = SmtpServer(
        tls_context=server_tls_context, require_starttls=True, credentials=credentials
    )
    with server:
        yield server
