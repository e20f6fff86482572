"""One HTTP POST with vendorwatch's error semantics, shared by the webhook and Slack channels.

Contract of :meth:`HttpPoster.post`:

* 2xx returns ``"HTTP <status>"``.
* 408, 429, 5xx, timeouts and transport errors (refused, reset, DNS, TLS handshake) raise a
  retryable :class:`DeliveryError`; 3xx (redirects are not followed) and every other 4xx raise
  a permanent one (``retryable=False``).
* Error details carry the status and at most :data:`SNIPPET_CHARS` characters of the response
  body, and name the target only as :func:`redact_url` shows it. Every string given as a
  ``secret`` (webhook secret, the full URL, its query and credentials, header values) is
  replaced by ``[redacted]`` in anything we raise.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpx

from alerting.channels.base import DeliveryError
from alerting.channels.redaction import redact_url, scrub, url_secrets

SNIPPET_CHARS = 200
"""At most this many characters of a failed response's body go into the error detail."""

RETRYABLE_STATUSES = frozenset({408, 429})
"""4xx statuses that mean "try again later"; every 5xx is retryable too."""

MIN_HEADER_SECRET = 8
"""Configured header values at least this long are treated as secrets in error messages."""


def user_agent() -> str:
    """``vendorwatch/<installed version>`` (``0.1`` when the package metadata is missing)."""
    try:
        version = importlib.metadata.version("vendorwatch")
    except importlib.metadata.PackageNotFoundError:
        version = "0.1"
    return f"vendorwatch/{version}"


def is_retryable_status(status: int) -> bool:
    """True for statuses a later attempt may turn into a success (408, 429, 5xx)."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


class HttpPoster:
    """Posts bodies to one URL over one pooled :class:`httpx.Client`.

    ``headers`` are sent with every request (per-call headers win); ``secrets`` are extra
    strings to keep out of errors. ``keep_path=False`` hides the URL path in errors.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str] = (),
        keep_path: bool = True,
    ) -> None:
        self._url = url
        self._timeout = timeout_seconds
        self._target = redact_url(url, keep_path=keep_path)
        extra = dict(headers or {})
        # Header values may be tokens; short ones (``1``, ``json``) would only garble messages.
        header_values = [v for v in extra.values() if len(v) >= MIN_HEADER_SECRET]
        self._secrets = [*url_secrets(url), *secrets, *header_values]
        if not keep_path and urlsplit(url).path.strip("/"):
            self._secrets.append(urlsplit(url).path)
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_seconds),
            headers={"User-Agent": user_agent(), **extra},
            follow_redirects=False,
        )

    @property
    def target(self) -> str:
        """The redacted URL, safe for logs and error messages."""
        return self._target

    def post(self, body: bytes, headers: Mapping[str, str]) -> str:
        """POST ``body`` as is; see the module docstring for outcomes and errors."""
        try:
            with self._client.stream("POST", self._url, content=body, headers=dict(headers)) as r:
                status = r.status_code
                if 200 <= status <= 299:
                    return f"HTTP {status}"
                snippet = self._read_snippet(r)
        except httpx.TimeoutException as exc:
            raise self._error(
                f"timed out after {self._timeout:g}s ({type(exc).__name__})", retryable=True
            ) from None
        except httpx.TransportError as exc:
            raise self._error(f"{type(exc).__name__}: {exc}", retryable=True) from None
        detail = f"HTTP {status}"
        if 300 <= status <= 399:
            detail += " (redirects are not followed)"
        if snippet:
            detail += f": {snippet}"
        raise self._error(detail, retryable=is_retryable_status(status))

    def close(self) -> None:
        """Close the connection pool; the poster cannot be used afterwards."""
        self._client.close()

    def _read_snippet(self, response: httpx.Response) -> str:
        """The start of the body, one line, at most SNIPPET_CHARS characters (best effort)."""
        raw = b""
        try:
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= SNIPPET_CHARS * 4:
                    break
        except httpx.HTTPError:
            pass
        text = " ".join(raw.decode("utf-8", errors="replace").split())
        if len(text) > SNIPPET_CHARS:
            text = text[: SNIPPET_CHARS - 1] + "…"
        return text

    def _error(self, detail: str, *, retryable: bool) -> DeliveryError:
        # The target is already redacted; only the detail can carry a secret.
        message = f"POST {self._target} failed: {scrub(detail, self._secrets)}"
        return DeliveryError(message, retryable=retryable)
