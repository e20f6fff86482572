"""Scenario presets and the simulated vendor catalogue, with the ground truth kept in Python.

A :class:`ScenarioPreset` says how a vendor behaves (latency spread, defect and incident rates)
and what goes wrong, from which moment (the *onset*). :func:`build_vendors` turns presets into
:class:`SimulatedVendor` records: the facts behind its ``vendor_profile`` events (contract,
SLA, in-house alternative) plus the ground truth that the contract has no field for
(``scenario``, ``onset``, ``profile_change_at``), so tests can measure detection latency.

Contracts:

- :func:`build_vendors` is a pure function of its arguments. Each vendor's commercial facts
  are drawn from a random stream seeded by ``(seed, vendor_id)``, so selecting more or fewer
  scenarios does not change the vendors that stay, with one exception: the first vendor
  (``ordinal`` 0) always renegotiates mid-history and has an invoice correction and a credit
  note, so every run contains each of them.
- Vendor ids are ``<company-slug>-<n>`` (``acme-support-1``) and match the contract pattern.
- Onsets lie inside ``[start, end]``; ``healthy`` and ``noisy_but_healthy`` have none.
- Money is ``Decimal`` with two decimals; the effect methods (``latency_factor``...) take
  epoch milliseconds and are 1.0 before the onset.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from ingest.kinds.simulation import DAY_MS, epoch_ms

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ScenarioPreset:
    """How a vendor of this scenario behaves; rates are per day or per 1000 responses."""

    name: str
    description: str
    latency_sigma: float  # log-space spread of one response's latency
    day_sigma: float  # log-space spread of the day-to-day latency level
    sla_headroom: float  # SLA latency_p95_ms / median latency when healthy
    failure_rate: float  # share of responses with success=false
    defects_per_1k: float  # baseline defects per 1000 responses
    incidents_per_day: float  # baseline security incidents per day
    onset_days_before_end: float | None = None  # None: nothing goes wrong
    onset_max_share: float = 1 / 3  # onset at most this share of the window before the end
    latency_ramp_per_day: float = 0.0  # latency multiplier grows by this per day after onset
    latency_ramp_cap: float = 1.0
    defect_jump: float = 1.0  # defect rate multiplier after onset
    cost_creep_per_month: float = 0.0  # invoice growth per billed month after onset
    incident_burst: bool = False  # a burst of incidents (incl. a data breach) at onset


# A steady, well-run vendor; every other preset says only how it differs from this one.
_STEADY = ScenarioPreset(
    name="healthy",
    description="steady, comfortably inside the SLA",
    latency_sigma=0.35,
    day_sigma=0.05,
    sla_headroom=3.0,
    failure_rate=0.0015,
    defects_per_1k=0.4,
    incidents_per_day=0.03,
)
PRESETS: dict[str, ScenarioPreset] = {
    p.name: p
    for p in (
        _STEADY,
        replace(
            _STEADY,
            name="noisy_but_healthy",
            description="high variance, inside the SLA on average",
            latency_sigma=0.55,
            day_sigma=0.15,
            sla_headroom=4.2,
            failure_rate=0.003,
            defects_per_1k=0.8,
            incidents_per_day=0.04,
        ),
        replace(
            _STEADY,
            name="latency_degradation",
            description="latencies drift up from the onset and cross the SLA p95 within about "
            "two weeks",
            onset_days_before_end=30,
            latency_ramp_per_day=0.045,
            latency_ramp_cap=3.5,
        ),
        replace(
            _STEADY,
            name="defect_surge",
            description="the defect rate jumps sixfold at the onset",
            defects_per_1k=0.45,
            onset_days_before_end=30,
            defect_jump=6.0,
        ),
        replace(
            _STEADY,
            name="cost_creep",
            description="invoices drift above the contract fee month over month, quality "
            "stays fine",
            onset_days_before_end=120,
            onset_max_share=0.75,
            cost_creep_per_month=0.05,
        ),
        replace(
            _STEADY,
            name="security_incident_burst",
            description="a burst of incidents incl. high/critical and a data breach at the onset",
            onset_days_before_end=30,
            incident_burst=True,
        ),
    )
}
PRESET_NAMES: tuple[str, ...] = tuple(PRESETS)


@dataclass(frozen=True, slots=True)
class Company:
    """The outsourced service one scenario's vendors provide."""

    slug: str
    name: str
    code: str  # short prefix for invoice, defect and incident numbers
    service: str
    tier: str
    currency: str
    monthly_fee: int
    sla_latency_p95_ms: float
    defect_categories: tuple[str, ...]


COMPANY_BY_SCENARIO: dict[str, Company] = {
    "healthy": Company(
        "acme-support",
        "Acme Support Ltd",
        "ACS",
        "helpdesk",
        "high",
        "EUR",
        45_000,
        1500,
        ("wrong_resolution", "reopened_ticket", "missed_callback"),
    ),
    "noisy_but_healthy": Company(
        "globex-it",
        "Globex IT Services GmbH",
        "GLX",
        "it-operations",
        "critical",
        "EUR",
        120_000,
        800,
        ("failed_change", "patch_missed", "monitoring_gap"),
    ),
    "latency_degradation": Company(
        "initech-hosting",
        "Initech Cloud Hosting BV",
        "INI",
        "cloud-hosting",
        "critical",
        "USD",
        68_000,
        400,
        ("config_drift", "capacity_shortfall", "backup_failure"),
    ),
    "defect_surge": Company(
        "umbrella-fulfilment",
        "Umbrella Fulfilment Services Ltd",
        "UMB",
        "fulfilment",
        "high",
        "GBP",
        52_000,
        2500,
        ("wrong_item", "damaged_goods", "late_dispatch"),
    ),
    "cost_creep": Company(
        "soylent-payroll",
        "Soylent Payroll Solutions SE",
        "SOY",
        "payroll",
        "medium",
        "EUR",
        18_500,
        1200,
        ("calculation_error", "late_payment", "tax_filing_error"),
    ),
    "security_incident_burst": Company(
        "hooli-claims",
        "Hooli Claims Processing AG",
        "HOO",
        "claims-processing",
        "high",
        "EUR",
        76_000,
        3000,
        ("data_entry", "wrong_payout", "missing_document"),
    ),
}


@dataclass(frozen=True, slots=True)
class SimulatedVendor:
    """One simulated vendor: its profile facts and the ground truth of its scenario."""

    vendor_id: str
    ordinal: int  # position in the simulation; vendor 0 always gets a correction etc.
    name: str
    code: str
    service: str
    tier: str
    scenario: str
    preset: ScenarioPreset
    onset: datetime | None  # when the scenario's trouble starts (ground truth)
    currency: str
    monthly_fee: Decimal
    median_latency_ms: float
    sla_latency_p95_ms: float
    sla_success_rate_min: float
    sla_defects_per_1k_max: float
    sla_service_credit_pct: float
    contract_start: date
    contract_end: date
    notice_period_days: int
    termination_fee: Decimal
    auto_renew: bool
    insourcing_monthly_cost: Decimal
    insourcing_one_time_cost: Decimal
    insourcing_lead_time_days: int
    defect_categories: tuple[str, ...]
    profile_change_at: datetime | None  # a renegotiation mid-history (ground truth)
    renegotiated_fee: Decimal | None

    onset_ms: int | None = field(init=False)  # the onset as epoch milliseconds (hot path)

    def __post_init__(self) -> None:
        onset_ms = None if self.onset is None else epoch_ms(self.onset)
        object.__setattr__(self, "onset_ms", onset_ms)

    def latency_factor(self, ts_ms: int) -> float:
        """Multiplier on latency at ``ts_ms`` from the scenario (1.0 when unaffected)."""
        onset = self.onset_ms
        if not self.preset.latency_ramp_per_day or onset is None or ts_ms < onset:
            return 1.0
        ramp = 1.0 + self.preset.latency_ramp_per_day * (ts_ms - onset) / DAY_MS
        return min(ramp, self.preset.latency_ramp_cap)

    def defect_factor(self, ts_ms: int) -> float:
        """Multiplier on the defect rate at ``ts_ms``."""
        onset = self.onset_ms
        return 1.0 if onset is None or ts_ms < onset else self.preset.defect_jump

    def incident_factor(self, ts_ms: int) -> float:
        """Multiplier on the background incident rate (elevated after a burst)."""
        onset = self.onset_ms
        burst = self.preset.incident_burst
        return 3.0 if burst and onset is not None and ts_ms >= onset else 1.0

    def cost_factor(self, period_start: date) -> float:
        """Invoice multiplier for the month starting ``period_start``."""
        if self.onset is None or not self.preset.cost_creep_per_month:
            return 1.0
        months = (period_start.year - self.onset.year) * 12 + period_start.month - self.onset.month
        return 1.0 if months < 0 else (1.0 + self.preset.cost_creep_per_month) ** (months + 1)

    def fee_at(self, ts_ms: int) -> Decimal:
        """The contract's monthly fee in force at ``ts_ms``."""
        change = self.profile_change_at
        if change is not None and self.renegotiated_fee is not None and ts_ms >= epoch_ms(change):
            return self.renegotiated_fee
        return self.monthly_fee


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(CENT)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def scenario_onset(
    preset: ScenarioPreset, start: datetime, end: datetime, rng: random.Random
) -> datetime | None:
    """When trouble starts: ``onset_days_before_end`` before ``end``, capped to a share of the
    window; on a business morning (or, for cost creep, the first day of a billed month)."""
    if preset.onset_days_before_end is None:
        return None
    window_days = max((end - start) / timedelta(days=1), 0.0)
    offset = min(preset.onset_days_before_end, window_days * preset.onset_max_share)
    anchor = (end - timedelta(days=offset)).date()
    if preset.cost_creep_per_month:
        onset = _midnight(_month_start(anchor))
        if onset < start:
            onset = _midnight(_next_month(anchor))
    else:
        onset = _midnight(anchor) + timedelta(minutes=rng.randint(8 * 60, 12 * 60))
    return min(max(onset, start), end)


def build_vendors(
    scenarios: Sequence[str] = PRESET_NAMES,
    per_scenario: int = 1,
    *,
    start: datetime,
    end: datetime,
    seed: int = 42,
) -> list[SimulatedVendor]:
    """``per_scenario`` vendors for each scenario name, ordered by scenario then replica.

    Raises ``ValueError`` for an unknown scenario or a window with ``end < start``.
    """
    unknown = [s for s in scenarios if s not in PRESETS]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {', '.join(PRESET_NAMES)}")
    if end < start:
        raise ValueError("end must not be before start")
    vendors: list[SimulatedVendor] = []
    for scenario in dict.fromkeys(scenarios):
        for replica in range(1, per_scenario + 1):
            vendors.append(_vendor(scenario, replica, len(vendors), start, end, seed))
    return vendors


def _vendor(
    scenario: str, replica: int, ordinal: int, start: datetime, end: datetime, seed: int
) -> SimulatedVendor:
    preset, company = PRESETS[scenario], COMPANY_BY_SCENARIO[scenario]
    vendor_id = f"{company.slug}-{replica}"
    rng = random.Random(f"{seed}/{vendor_id}/profile")
    fee = _money(company.monthly_fee * rng.uniform(0.85, 1.15))
    p95 = float(round(company.sla_latency_p95_ms * rng.choice((0.8, 1.0, 1.2))))
    window_start = start.date()
    contract_start = date(window_start.year - rng.randint(1, 3), rng.randint(1, 12), 1)
    contract_end = date(end.year + rng.randint(1, 3), rng.randint(1, 12), 1) - timedelta(days=1)
    # Vendor 0 always renegotiates mid-history (so every run has a profile change); a few
    # others may too. Quality-driven scenarios do not, to keep their signal clean.
    change_at: datetime | None = None
    renegotiated: Decimal | None = None
    span = end - start
    may_change = scenario in ("healthy", "noisy_but_healthy") or ordinal == 0
    wants_change = rng.random() < 0.25 or ordinal == 0
    if may_change and wants_change and span >= timedelta(days=2):
        change_at = _midnight((start + span / 2).date()) + timedelta(hours=10)
        change_at = min(max(change_at, start), end)
        renegotiated = (fee * Decimal("0.98")).quantize(CENT)
    return SimulatedVendor(
        vendor_id=vendor_id,
        ordinal=ordinal,
        name=company.name if replica == 1 else f"{company.name} (unit {replica})",
        code=f"{company.code}{replica}",
        service=company.service,
        tier=company.tier,
        scenario=scenario,
        preset=preset,
        onset=scenario_onset(preset, start, end, rng),
        currency=company.currency,
        monthly_fee=fee,
        median_latency_ms=p95 / preset.sla_headroom,
        sla_latency_p95_ms=p95,
        sla_success_rate_min=0.99 if preset.failure_rate > 0.002 else 0.995,
        sla_defects_per_1k_max=2.0,
        sla_service_credit_pct=float(rng.choice((3, 5, 10))),
        contract_start=contract_start,
        contract_end=contract_end,
        notice_period_days=rng.choice((30, 60, 90, 180)),
        termination_fee=(fee * rng.randint(1, 3)).quantize(CENT),
        auto_renew=rng.random() < 0.5,
        insourcing_monthly_cost=_money(float(fee) * rng.uniform(0.8, 1.1)),
        insourcing_one_time_cost=_money(float(fee) * rng.uniform(2.0, 4.0)),
        insourcing_lead_time_days=rng.choice((60, 90, 120, 180)),
        defect_categories=company.defect_categories,
        profile_change_at=change_at,
        renegotiated_fee=renegotiated,
    )
