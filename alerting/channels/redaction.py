"""Keeping secrets out of what a channel reports: target URLs shown without credentials,
query or (for token-in-path URLs) path, and secret strings scrubbed from error text.

Kept apart from the HTTP client so that modules which only describe or validate channels
(their settings are part of every command's configuration) do not import httpx.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit

REDACTED = "[redacted]"

MIN_QUERY_SECRET = 3
"""Query parameter values at least this long are scrubbed individually as well."""


def redact_url(url: str, *, keep_path: bool = True) -> str:
    """``scheme://host:port/path`` of ``url``: no credentials, query or fragment.

    ``keep_path=False`` also hides the path (Slack-style URLs carry their token there).
    """
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None else f"{host}:{port}"
    if not keep_path:
        return f"{parts.scheme}://{netloc}/{REDACTED if parts.path.strip('/') else ''}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def url_secrets(url: str) -> list[str]:
    """Parts of ``url`` that must never appear in an error: itself, query (and each value in
    it), fragment, credentials."""
    parts = urlsplit(url)
    found = [url, parts.query, parts.fragment, parts.password or "", parts.username or ""]
    # Each query value on its own too: a receiver may echo a token without its name.
    found += [value for _, value in parse_qsl(parts.query) if len(value) >= MIN_QUERY_SECRET]
    return [s for s in found if s]


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every non-empty secret replaced by ``[redacted]`` (longest first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
