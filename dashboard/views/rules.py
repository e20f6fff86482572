"""Rules: the alert policy in force and its versions; a backtest of edited thresholds over the
last 12 months; for admins, proposing the edited policy to the engine.

The backtest (on request: the form's button) replays the chosen rule over the stored
projections of the snapshot under the edited thresholds and under the policy in force, the
same way (``metrics.backtest``; SLO burn-rate alerts cannot be replayed, see
:data:`dashboard.data_engine.SLO_NOTE`), and shows both counts side by side per vendor, with
the transitions the engine recorded for reference. Proposing sends a ``set_policy``
control command (the engine applies it from when it reads it and audits it); the button is
disabled, with the reason, for anyone but an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import commands, data_engine, policy_text
from dashboard.data import SnapshotInfo
from dashboard.format import in_zone, when
from dashboard.frame import PageContext
from metrics.backtest import BacktestReport
from metrics.policy import Policy, PolicyError

WINDOW_DAYS = 365
_ASKED = "backtest_asked"
SENT = "sent — the engine applies it when it reads it, from then on"


@dataclass(frozen=True)
class Edit:
    """The thresholds asked for one rule of the policy in force."""

    rule: str
    warn: float | None
    critical: float | None
    clear: float | None


def render(ctx: PageContext, snapshot: SnapshotInfo) -> None:
    """The page."""
    versions = data_engine.policy_versions(snapshot.path)
    if versions.empty:
        st.info("No policy recorded yet: the engine records one at its first metrics run.")
        return
    in_force = Policy.model_validate_json(str(versions["content"].iloc[0]))
    _versions(versions, ctx)
    if snapshot.as_of is None:
        st.info("No metrics run yet: nothing to backtest.")
        return
    end = snapshot.as_of.date()
    start = end - timedelta(days=WINDOW_DAYS)
    st.subheader("Backtest: what if the thresholds were different?")
    edit = _edit_form(in_force)
    if edit is None:
        return
    if st.session_state.get(_ASKED) != edit:
        st.caption("Edit the thresholds and run the backtest to see what they would have fired.")
        return
    try:
        candidate = policy_text.with_thresholds(
            in_force, edit.rule, warn=edit.warn, critical=edit.critical, clear=edit.clear
        )
    except PolicyError as exc:
        st.error(f"Not a valid policy: {exc}")
        return
    tz = ctx.tz
    rule = edit.rule
    now = data_engine.backtest(snapshot.path, in_force.model_dump_json(), rule, start, end, tz)
    then = data_engine.backtest(snapshot.path, candidate.model_dump_json(), rule, start, end, tz)
    live = data_engine.live_firings(snapshot.path, start, end)
    _results(edit.rule, then, now, live, start, end)
    _propose(ctx, candidate, edit)


def _versions(versions: pd.DataFrame, ctx: PageContext) -> None:
    top = versions.iloc[0]
    st.subheader("Policy in force")
    st.markdown(
        f"**{top['version']}** — from {top['source']}, in force since "
        f"{when(top['effective_from'], ctx.tz)}"
    )
    shown = versions.drop(columns=["content"])
    st.dataframe(in_zone(shown, ctx.tz), hide_index=True, width="stretch", key="policy_versions")
    chosen = st.selectbox("Show version", list(versions["version"]), key="policy_version")
    content = versions.loc[versions["version"] == chosen, "content"].iloc[0]
    with st.expander(f"{chosen} as TOML"):
        st.caption(
            "Rebuilt from the validated values policy_history stores (the original file's "
            "comments and layout are not kept in the read model)."
        )
        st.code(policy_text.to_toml(Policy.model_validate_json(str(content))), language="toml")


def _edit_form(policy: Policy) -> Edit | None:
    names = list(policy.rules)
    if not names:
        st.info("The policy in force has no threshold rules.")
        return None
    rule_name = st.selectbox("Rule", names, key="backtest_rule")
    rule = policy.rules[str(rule_name)]
    unit = " (x the vendor's SLA target)" if rule.thresholds_from_sla else ""
    worse = "higher" if rule.direction == "above" else "lower"
    st.caption(
        f"{rule.metric} per {rule.grain}, breaching when {worse} than the threshold{unit}; "
        f"dwell {rule.for_periods} period(s); tier and vendor overrides of this rule stay in "
        "force."
    )
    with st.form("backtest"):
        columns = st.columns(3)
        values = [
            column.number_input(
                f"{kind}{unit}",
                value=getattr(rule, kind),
                format="%.4g",
                step=None,
                key=f"threshold_{rule_name}_{kind}",
            )
            for column, kind in zip(columns, ("warn", "critical", "clear"), strict=True)
        ]
        submitted = st.form_submit_button("Run backtest", type="primary")
    warn, critical, clear = (None if v is None else float(v) for v in values)
    edit = Edit(str(rule_name), warn, critical, clear)
    if submitted:  # the replay runs on request only: it reads every period of every vendor
        st.session_state[_ASKED] = edit
    return edit


def _counts(report: BacktestReport) -> pd.Series:
    return pd.Series([a.vendor_id for a in report.would_fire], dtype=object).value_counts()


def _results(
    rule: str,
    then: BacktestReport,
    now: BacktestReport,
    live: pd.DataFrame,
    start: date,
    end: date,
) -> None:
    edited_rule, in_force_rule = _counts(then), _counts(now)
    st.caption(f"{start} .. {end} (the last 12 months of the snapshot). {data_engine.SLO_NOTE}")
    left, middle, right = st.columns(3)
    left.metric(
        f"{rule}: edited policy would fire",
        int(edited_rule.sum()),
        delta=int(edited_rule.sum() - in_force_rule.sum()),
        delta_color="off",
    )
    middle.metric(f"{rule}: policy in force would fire", int(in_force_rule.sum()))
    recorded = int((live["rule"] == rule).sum()) if not live.empty else 0
    right.metric(f"{rule}: recorded by the engine", recorded)
    live_rule = live[live["rule"] == rule]["vendor_id"].value_counts()
    vendors = sorted(set(edited_rule.index) | set(in_force_rule.index) | set(live_rule.index))
    if not vendors:
        st.success(f"{rule} would not have fired under either policy.")
        return
    table = pd.DataFrame(
        {
            "vendor_id": vendors,
            f"{rule}: edited": [int(edited_rule.get(v, 0)) for v in vendors],
            f"{rule}: in force": [int(in_force_rule.get(v, 0)) for v in vendors],
            f"{rule}: recorded": [int(live_rule.get(v, 0)) for v in vendors],
        }
    )
    st.markdown(f"**{rule}: alerts that would fire, per vendor**")
    st.dataframe(table, hide_index=True, width="stretch", key="backtest_counts")
    fired = [a.__dict__ for a in then.would_fire]
    st.markdown(f"**{rule}: the alerts the edited policy would fire** ({len(fired)})")
    if fired:
        st.dataframe(pd.DataFrame(fired), hide_index=True, width="stretch", key="backtest_list")


def _propose(ctx: PageContext, candidate: Policy, edit: Edit) -> None:
    st.subheader("Propose the edited policy")
    toml = policy_text.to_toml(candidate)
    with st.expander(f"Edited policy {candidate.version} as TOML"):
        st.code(toml, language="toml")
    refusal = ctx.viewer.refusal("change_rules")
    if refusal is not None:
        st.caption(f"Proposing is disabled: {refusal}.")
    reason = st.text_input(
        "Why (audited in the command log)",
        key="policy_reason",
        disabled=refusal is not None,
    )
    pressed = st.button(
        "Send as the new policy",
        key="propose_policy",
        disabled=refusal is not None,
        help=refusal or f"set_policy on the control topic: {edit.rule} thresholds as edited",
        type="primary",
    )
    if not pressed:
        return
    try:
        command_id, version = commands.propose_policy(
            ctx.settings, ctx.viewer, toml, reason, now=ctx.clock()
        )
    except commands.CommandNotSent as exc:
        st.error(str(exc))
        return
    st.success(f"Policy {version} {SENT} (command {command_id}).")
