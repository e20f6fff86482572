#!/usr/bin/env bash
# `make demo`: a local broker (started by make), simulated vendors for every scenario preset,
# the engine ingesting them live and recomputing metrics, scores and alerts as events arrive,
# a webhook receiver printing the signed notifications the engine sends, and the dashboard on
# http://127.0.0.1:8501. Ctrl-C stops them all; the broker keeps running (`make broker-stop`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VW=.venv/bin/vendorwatch
export VENDORWATCH_DB="${VENDORWATCH_DB:-data/demo.duckdb}"
DAYS="${DEMO_DAYS:-60}"
PER_SCENARIO="${DEMO_VENDORS_PER_SCENARIO:-2}"
RATE="${DEMO_RATE:-20}"
RECEIVER_PORT="${DEMO_RECEIVER_PORT:-8765}"
DASHBOARD_PORT="${DEMO_DASHBOARD_PORT:-8501}"
# Alerts go to the demo's receiver, signed with a demo secret (see docs/alerting.md).
export VENDORWATCH_RECEIVER_SECRET="${VENDORWATCH_RECEIVER_SECRET:-demo-secret}"
export VENDORWATCH_ALERTING__CHANNELS="{\"demo\": {\"type\": \"webhook\", \"url\": \"http://127.0.0.1:${RECEIVER_PORT}/hook\", \"secret\": \"${VENDORWATCH_RECEIVER_SECRET}\"}}"
export VENDORWATCH_ALERTING__ROUTES='[{"channels": ["demo"]}]'

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo
  echo "demo stopped. The store is ${VENDORWATCH_DB}; look inside with:"
  echo "  VENDORWATCH_DB=${VENDORWATCH_DB} .venv/bin/vendorwatch status"
  echo "  VENDORWATCH_DB=${VENDORWATCH_DB} .venv/bin/vendorwatch explain hooli-claims-1"
  echo "  VENDORWATCH_DB=${VENDORWATCH_DB} .venv/bin/vendorwatch alerts list"
  echo "  VENDORWATCH_DB=${VENDORWATCH_DB} .venv/bin/vendorwatch alerts notifications"
  echo "The broker is still running: make broker-stop"
}
trap cleanup INT TERM EXIT

# One fixed "now" for both simulator runs: the same seed and window give the same events.
NOW_FILE=data/demo.now
mkdir -p data
[[ -s "$NOW_FILE" ]] || date -u +%Y-%m-%dT%H:%M:%SZ > "$NOW_FILE"
SIM=(simulate --days "$DAYS" --vendors-per-scenario "$PER_SCENARIO" --events-per-day 500
     --seed 42 --now "$(cat "$NOW_FILE")")

$VW topics create
if [[ ! -s "$VENDORWATCH_DB" ]]; then
  echo "== backfill: ${DAYS} days for ${PER_SCENARIO} vendor(s) per scenario preset"
  $VW "${SIM[@]}"
  echo "== engine: first catch-up"
  $VW ingest --drain
  $VW status
  echo "== metrics: projections, scores and rules over the backfill (alerts are queued in the"
  echo "   outbox; the engine delivers them below)"
  $VW metrics run
  $VW explain hooli-claims-1 || true
fi
echo "== webhook receiver on http://127.0.0.1:${RECEIVER_PORT}/ prints each notification"
$VW alerts receive --port "$RECEIVER_PORT" &
pids+=($!)
echo "== dashboard on http://127.0.0.1:${DASHBOARD_PORT}/ (demo mode: no login); it shows data once"
echo "   the engine below has published its first read-model snapshot (a few seconds)"
$VW dashboard --port "$DASHBOARD_PORT" >/dev/null 2>&1 &
pids+=($!)
echo "== engine running (ingest, metrics as events arrive, alert delivery); the simulated vendors"
echo "   go on live at ${RATE} events/s. Ctrl-C stops."
echo "   (the simulator replays its backfill first: the engine stores those repeats once)"
echo "   Try: .venv/bin/vendorwatch alerts ack VENDOR RULE --by you  (as the receiver prints them)"
$VW run &
pids+=($!)
$VW "${SIM[@]}" --rate "$RATE" --duration 0 &
pids+=($!)
wait -n "${pids[@]}"
