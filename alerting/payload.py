"""Building the notification document (``vendorwatch.notification/1``, the model in
:mod:`alerting.notification`) from the planner's news.

One document per vendor and channel: the alerts of that vendor that changed (or are due a
reminder) in one planning pass, with their values, thresholds, policy version and links.
Its exact serialised bytes are stored in the outbox, so retries resend (and re-sign) the same
bytes. The shape is documented in docs/alerting.md; consumers must ignore unknown fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

from alerting.notification import (
    SCHEMA,
    Notification,
    NotifiedAlert,
    NotifiedThresholds,
    NotifiedVendor,
)
from metrics.evidence_model import Evidence

Change = Literal["new", "escalated", "deescalated", "resolved", "repeat", "acknowledged"]


@dataclass(frozen=True)
class AlertNews:
    """One alert in a notification: its current state, what changed, and its evidence (the
    typed document the rule recorded, parsed once from ``alert_log``)."""

    alert_id: str
    vendor_id: str
    rule: str
    metric: str
    grain: str
    period: str
    state: str
    severity: str | None
    change: Change
    value: float | None
    policy_version: str
    reason: str
    since: datetime
    acknowledged_by: str | None
    evidence: Evidence

    def notice(self, evidence_url: str | None) -> NotifiedAlert:
        """The alert's entry in the notification: the news' own fields under their names
        (``since`` as ISO text), ``thresholds`` (direction and bands) and ``values`` (the run-up
        judged) from the evidence as it was recorded."""
        told = {name: getattr(self, name) for name in _TOLD}
        bands = self.evidence.thresholds.model_dump(include=set(NotifiedThresholds.model_fields))
        return NotifiedAlert.model_validate(
            {
                **told,
                "since": self.since.isoformat(),
                "thresholds": bands,
                "evidence_url": evidence_url,
                "values": self.evidence.values,
            }
        )


_TOLD = tuple(f.name for f in fields(AlertNews) if f.name in NotifiedAlert.model_fields)
"""The news' fields the notified alert has too: told as they are."""


@dataclass(frozen=True)
class VendorInfo:
    vendor_id: str
    name: str | None
    tier: str | None
    service: str | None


def kind_of(news: Sequence[AlertNews]) -> str:
    """``repeat`` if every alert is a reminder, ``resolved`` if every one resolved, else
    ``firing``; a single acknowledgement is ``acknowledged``."""
    changes = {n.change for n in news}
    if changes == {"repeat"}:
        return "repeat"
    if changes == {"acknowledged"}:
        return "acknowledged"
    if all(n.state == "resolved" for n in news):
        return "resolved"
    return "firing"


def summary(vendor: VendorInfo, news: Sequence[AlertNews]) -> str:
    who = f"{vendor.name} ({vendor.vendor_id})" if vendor.name else vendor.vendor_id
    firing = [n for n in news if n.state == "firing"]
    resolved = [n for n in news if n.state == "resolved"]
    parts = []
    if firing:
        described = ", ".join(f"{n.rule} {n.severity}" for n in firing)
        noun = "alert" if len(firing) == 1 else "alerts"
        parts.append(f"{len(firing)} {noun} firing: {described}")
    if resolved:
        parts.append(f"resolved: {', '.join(n.rule for n in resolved)}")
    if kind_of(news) == "acknowledged":
        parts = [f"{news[0].rule} acknowledged by {news[0].acknowledged_by}"]
    return f"{who}: {'; '.join(parts)}"


def notification_id(channel: str, vendor_id: str, news: Sequence[AlertNews], at: datetime) -> str:
    """Deterministic for the same news to the same channel at the same planning instant."""
    changes = ",".join(sorted(f"{n.alert_id}:{n.change}" for n in news))
    key = f"{channel}|{vendor_id}|{changes}|{at.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def notification(
    *,
    identity: str,
    vendor: VendorInfo,
    news: Sequence[AlertNews],
    created_at: datetime,
    links: Callable[..., str | None],
) -> Notification:
    """The document. ``links(vendor_id, alert_id=None)`` gives dashboard URLs."""
    return Notification(
        schema_id=SCHEMA,
        notification_id=identity,
        kind=kind_of(news),
        status="firing" if any(n.state == "firing" for n in news) else "resolved",
        created_at=created_at.isoformat(),
        summary=summary(vendor, news),
        vendor=NotifiedVendor(
            vendor_id=vendor.vendor_id, name=vendor.name, tier=vendor.tier, service=vendor.service
        ),
        dashboard_url=links(vendor.vendor_id),
        alerts=tuple(n.notice(links(vendor.vendor_id, n.alert_id)) for n in news),
        firing=sum(n.state == "firing" for n in news),
        resolved=sum(n.state == "resolved" for n in news),
    )
