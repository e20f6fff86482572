"""Human-readable text for a ``vendorwatch.notification/1`` payload, shared by Slack and email.

Every function copes with the nullable fields of the payload (vendor name, tier, service,
severity, value, threshold values, URLs, ``acknowledged_by``): a missing value is shown as
``n/a`` or left out, never raises. Output is plain text; callers escape it for their markup
(``html.escape`` for email, :func:`slack_escape` for Slack mrkdwn).
"""

from __future__ import annotations

import math
from typing import Any, TypeGuard

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


def unit(alert: dict[str, Any]) -> str:
    """The unit implied by the metric name (``latency_p95_ms`` -> ``" ms"``), or ``""``."""
    metric = str(alert.get("metric") or "")
    for suffix, shown in _UNIT_SUFFIXES.items():
        if metric.endswith(suffix):
            return shown
    return ""


def text(value: Any) -> str:
    """``str(value)``, or ``"n/a"`` for None / empty."""
    return NA if value is None or value == "" else str(value)


def vendor_label(payload: dict[str, Any]) -> str:
    """``"Hooli Claims (hooli-claims-1)"``, or just the id when the name is missing."""
    vendor = payload.get("vendor") or {}
    vendor_id = text(vendor.get("vendor_id"))
    name = vendor.get("name")
    return f"{name} ({vendor_id})" if name and name != vendor_id else vendor_id


def vendor_context(payload: dict[str, Any]) -> str:
    """``"Hooli Claims (hooli-claims-1), tier critical, service helpdesk"`` (nulls left out)."""
    vendor = payload.get("vendor") or {}
    parts = [vendor_label(payload)]
    parts += [f"{key} {vendor[key]}" for key in ("tier", "service") if vendor.get(key)]
    return ", ".join(parts)


def headline(payload: dict[str, Any]) -> str:
    """``FIRING`` / ``STILL FIRING`` / ``RESOLVED`` from ``kind`` (falls back on ``status``)."""
    kind = str(payload.get("kind") or payload.get("status") or "")
    return _HEADLINES.get(kind, kind.upper() or "NOTIFICATION")


def one_line(value: str, limit: int) -> str:
    """``value`` with whitespace (incl. line breaks) collapsed, cut to ``limit`` chars with …."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)] + "…"


def alert_line(alert: dict[str, Any]) -> str:
    """One line per alert, e.g. ``"latency_p95 critical: 1840 ms > 1800 (period 2026-11-22)"``.

    A firing alert is compared with the threshold of its severity, a resolved one with the
    ``clear`` threshold (``"latency_p95 resolved: 1000 ms < clear 1080 (...)"``). The operator
    is the actual relation between the two numbers, so the line is never wrong on equality.
    """
    rule = text(alert.get("rule"))
    state = alert.get("state")
    label = "resolved" if state == "resolved" else text(alert.get("severity") or state)
    value = alert.get("value")
    thresholds = alert.get("thresholds") or {}
    key = "clear" if state == "resolved" else alert.get("severity")
    bound = thresholds.get(key) if isinstance(key, str) else None
    comparison = f"{fmt_number(value)}{unit(alert) if value is not None else ''}"
    if _is_number(value) and _is_number(bound):
        op = ">" if value > bound else "<" if value < bound else "="
        prefix = "clear " if key == "clear" else ""
        comparison += f" {op} {prefix}{fmt_number(bound)}"
    return f"{rule} {label}: {comparison} (period {text(alert.get('period'))})"


def thresholds_text(alert: dict[str, Any]) -> str:
    """``"above: warn 1200, critical 1800, clear 1080"`` (missing bands left out)."""
    thresholds = alert.get("thresholds") or {}
    bands = [
        f"{band} {fmt_number(thresholds[band])}"
        for band in ("warn", "critical", "clear")
        if thresholds.get(band) is not None
    ]
    direction = thresholds.get("direction")
    if not bands:
        return NA
    return f"{direction}: {', '.join(bands)}" if direction else ", ".join(bands)


def alert_fields(alert: dict[str, Any]) -> list[tuple[str, str]]:
    """Labelled details of one alert, in display order, for the email body."""
    change = alert.get("change")
    state = text(alert.get("state")) + (f" ({change})" if change else "")
    rule = text(alert.get("rule"))
    if alert.get("metric"):
        rule += f" (metric {alert['metric']}, grain {text(alert.get('grain'))})"
    value = alert.get("value")
    fields = [
        ("Rule", rule),
        ("Severity", text(alert.get("severity"))),
        ("State", state),
        ("Value", fmt_number(value) + (unit(alert) if value is not None else "")),
        ("Thresholds", thresholds_text(alert)),
        ("Period", text(alert.get("period"))),
        ("Since", text(alert.get("since"))),
        ("Reason", text(alert.get("reason"))),
        ("Policy version", text(alert.get("policy_version"))),
    ]
    if alert.get("acknowledged_by"):
        fields.append(("Acknowledged by", str(alert["acknowledged_by"])))
    fields.append(("Evidence", text(alert.get("evidence_url"))))
    return fields


def alerts_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The payload's alerts (an empty list when missing or malformed)."""
    alerts = payload.get("alerts")
    return [a for a in alerts if isinstance(a, dict)] if isinstance(alerts, list) else []


def slack_escape(value: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack mrkdwn requires."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: Any, label: str) -> str:
    """``<url|label>`` in Slack mrkdwn, or ``""`` when there is no URL."""
    if not url:
        return ""
    safe = str(url).replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{slack_escape(label)}>"


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
