"""The notification document (``vendorwatch.notification/1``) as one typed, frozen model.

The planner builds a :class:`Notification` from the alerts' news and stores its JSON in the
outbox; the dispatcher parses the stored body once with this model and hands channels both
(:class:`~alerting.channels.base.Delivery`: ``notification`` to render from, ``body`` to send
and sign byte for byte). The shape is documented in docs/alerting.md.

Contract: every field a consumer may see missing or null is optional here, so a body stored by
the previous release, or written by hand, still parses and renders (``n/a`` where a value is
missing); unknown fields are kept, as consumers must ignore them. The judged run-up
(``values``) is the evidence's own :class:`~metrics.evidence_model.JudgedPeriod`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from metrics.evidence_model import JudgedPeriod

SCHEMA = "vendorwatch.notification/1"


class _Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


class NotifiedThresholds(_Document):
    """The rule's direction and bands, as the alert was judged."""

    direction: str | None = None
    warn: float | None = None
    critical: float | None = None
    clear: float | None = None


class NotifiedAlert(_Document):
    """One alert in a notification: its current state and what changed."""

    alert_id: str | None = None
    rule: str | None = None
    metric: str | None = None
    grain: str | None = None
    period: str | None = None
    state: str | None = None
    severity: str | None = None
    change: str | None = None
    value: float | None = None
    thresholds: NotifiedThresholds | None = None
    policy_version: str | None = None
    reason: str | None = None
    since: str | None = None
    acknowledged_by: str | None = None
    evidence_url: str | None = None
    values: tuple[JudgedPeriod, ...] = ()


class NotifiedVendor(_Document):
    vendor_id: str | None = None
    name: str | None = None
    tier: str | None = None
    service: str | None = None


class Notification(_Document):
    """One message to one channel: a vendor and the news of its alerts."""

    schema_id: str = Field(default=SCHEMA, alias="schema")
    notification_id: str | None = None
    kind: str | None = None
    status: str | None = None
    created_at: str | None = None
    summary: str | None = None
    vendor: NotifiedVendor | None = None
    dashboard_url: str | None = None
    alerts: tuple[NotifiedAlert, ...] = ()
    firing: int = 0
    resolved: int = 0

    def to_json(self) -> str:
        """The text stored in the outbox and sent as is."""
        return self.model_dump_json(by_alias=True)


def parse_notification(body: str | bytes) -> Notification:
    """The document ``body`` holds; ``pydantic.ValidationError`` if it is not one."""
    return Notification.model_validate_json(body)
