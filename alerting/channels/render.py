"""Human-readable text for a ``vendorwatch.notification/1`` document, shared by Slack and email.

Input is the typed :class:`~alerting.notification.Notification` (and its alerts) the
dispatcher parsed from the stored body. Every function copes with its nullable fields
(vendor name, tier, service, severity, value, threshold values, URLs, ``acknowledged_by``):
a missing value is shown as ``n/a`` or left out, never raises. Output is plain text; callers
escape it for their markup (``html.escape`` for email, :func:`slack_escape` for Slack mrkdwn).
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

from alerting.notification import Notification, NotifiedAlert, NotifiedThresholds

NA = "n/a"

_UNIT_SUFFIXES = {"_ms": " ms", "_s": " s", "_pct": "%", "_percent": "%"}
_HEADLINES = {"firing": "FIRING", "repeat": "STILL FIRING", "resolved": "RESOLVED"}


def fmt_number(value: Any) -> str:
    """``1840.0`` -> ``"1840"``, ``1234.5678`` -> ``"1234.57"``, ``0.012345`` -> ``"0.01235"``,
    ``None`` -> ``"n/a"``; anything else non-numeric is shown with ``str``."""
    if value is None:
        return NA
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    if abs(number) >= 1:
        return f"{number:.2f}".rstrip("0").rstrip(".")
    return f"{number:.4g}"


def unit(alert: NotifiedAlert) -> str:
    """The unit implied by the metric name (``latency_p95_ms`` -> ``" ms"``), or ``""``."""
    metric = alert.metric or ""
    for suffix, shown in _UNIT_SUFFIXES.items():
        if metric.endswith(suffix):
            return shown
    return ""


def text(value: Any) -> str:
    """``str(value)``, or ``"n/a"`` for None / empty."""
    return NA if value is None or value == "" else str(value)


def vendor_label(notification: Notification) -> str:
    """``"Hooli Claims (hooli-claims-1)"``, or just the id when the name is missing."""
    vendor = notification.vendor
    vendor_id = text(vendor.vendor_id if vendor else None)
    name = vendor.name if vendor else None
    return f"{name} ({vendor_id})" if name and name != vendor_id else vendor_id


def vendor_context(notification: Notification) -> str:
    """``"Hooli Claims (hooli-claims-1), tier critical, service helpdesk"`` (nulls left out)."""
    vendor = notification.vendor
    parts = [vendor_label(notification)]
    if vendor is not None:
        labelled = (("tier", vendor.tier), ("service", vendor.service))
        parts += [f"{key} {value}" for key, value in labelled if value]
    return ", ".join(parts)


def headline(notification: Notification) -> str:
    """``FIRING`` / ``STILL FIRING`` / ``RESOLVED`` from ``kind`` (falls back on ``status``)."""
    kind = str(notification.kind or notification.status or "")
    return _HEADLINES.get(kind, kind.upper() or "NOTIFICATION")


def one_line(value: str, limit: int) -> str:
    """``value`` with whitespace (incl. line breaks) collapsed, cut to ``limit`` chars with …."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def alert_line(alert: NotifiedAlert) -> str:
    """One line per alert, e.g. ``"latency_p95 critical: 1840 ms > 1800 (period 2026-11-22)"``.

    A firing alert is compared with the threshold of its severity, a resolved one with the
    ``clear`` threshold (``"latency_p95 resolved: 1000 ms < clear 1080 (...)"``). The operator
    is the actual relation between the two numbers, so the line is never wrong on equality.
    """
    rule = text(alert.rule)
    state = alert.state
    label = "resolved" if state == "resolved" else text(alert.severity or state)
    value = alert.value
    key = "clear" if state == "resolved" else alert.severity
    bound = _band(alert.thresholds, key)
    comparison = f"{fmt_number(value)}{unit(alert) if value is not None else ''}"
    if _is_number(value) and _is_number(bound):
        op = ">" if value > bound else "<" if value < bound else "="
        prefix = "clear " if key == "clear" else ""
        comparison += f" {op} {prefix}{fmt_number(bound)}"
    return f"{rule} {label}: {comparison} (period {text(alert.period)})"


def thresholds_text(alert: NotifiedAlert) -> str:
    """``"above: warn 1200, critical 1800, clear 1080"`` (missing bands left out)."""
    thresholds = alert.thresholds
    bands = [
        f"{band} {fmt_number(bound)}"
        for band in ("warn", "critical", "clear")
        if (bound := _band(thresholds, band)) is not None
    ]
    direction = thresholds.direction if thresholds else None
    if not bands:
        return NA
    return f"{direction}: {', '.join(bands)}" if direction else ", ".join(bands)


def alert_fields(alert: NotifiedAlert) -> list[tuple[str, str]]:
    """Labelled details of one alert, in display order, for the email body."""
    change = alert.change
    state = text(alert.state) + (f" ({change})" if change else "")
    rule = text(alert.rule)
    if alert.metric:
        rule += f" (metric {alert.metric}, grain {text(alert.grain)})"
    value = alert.value
    fields = [
        ("Rule", rule),
        ("Severity", text(alert.severity)),
        ("State", state),
        ("Value", fmt_number(value) + (unit(alert) if value is not None else "")),
        ("Thresholds", thresholds_text(alert)),
        ("Period", text(alert.period)),
        ("Since", text(alert.since)),
        ("Reason", text(alert.reason)),
        ("Policy version", text(alert.policy_version)),
    ]
    if alert.acknowledged_by:
        fields.append(("Acknowledged by", alert.acknowledged_by))
    fields.append(("Evidence", text(alert.evidence_url)))
    return fields


def slack_escape(value: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack mrkdwn requires."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: Any, label: str) -> str:
    """``<url|label>`` in Slack mrkdwn, or ``""`` when there is no URL."""
    if not url:
        return ""
    safe = str(url).replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{slack_escape(label)}>"


def _band(thresholds: NotifiedThresholds | None, key: str | None) -> float | None:
    """The ``warn`` / ``critical`` / ``clear`` bound, or None (no thresholds, another key)."""
    if thresholds is None or key not in ("warn", "critical", "clear"):
        return None
    bound: float | None = getattr(thresholds, key)
    return bound


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
