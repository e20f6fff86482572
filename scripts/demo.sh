#!/usr/bin/env bash
# `make demo`: a local broker (started by make), simulated vendors for every scenario preset,
# and the engine ingesting them live and recomputing metrics, scores and alerts every minute. Ctrl-C stops the engine and the simulator; the broker
# keeps running (`make broker-stop` stops it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VW=.venv/bin/vendorwatch
export VENDORWATCH_DB="${VENDORWATCH_DB:-data/demo.duckdb}"
DAYS="${DEMO_DAYS:-60}"
PER_SCENARIO="${DEMO_VENDORS_PER_SCENARIO:-2}"
RATE="${DEMO_RATE:-20}"

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo
  echo "demo stopped. The store is ${VENDORWATCH_DB}; look inside with:"
  echo "  VENDORWATCH_DB=${VENDORWATCH_DB} .venv/bin/vendorwatch status"
  echo "  VENDORWATCH_DB=${VENDORWATCH_DB} .venv/bin/vendorwatch explain hooli-claims-1"
  echo "  .venv/bin/python -c \"import duckdb; print(duckdb.connect('${VENDORWATCH_DB}', read_only=True).sql('SELECT vendor_id, rule, period, state, severity, reason FROM alert_log ORDER BY period DESC LIMIT 20'))\""
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
  echo "== metrics: projections, scores and rules over the backfill"
  $VW metrics run
  $VW explain hooli-claims-1 || true
fi
echo "== engine running (ingest + a metrics cycle every minute); the simulated vendors go on"
echo "   live at ${RATE} events/s. Ctrl-C stops."
echo "   (the simulator replays its backfill first: the engine stores those repeats once)"
$VW run &
pids+=($!)
$VW "${SIM[@]}" --rate "$RATE" --duration 0 &
pids+=($!)
wait -n "${pids[@]}"
