#!/usr/bin/env bash
# `make demo`: a local broker (started by make), simulated vendors for every scenario preset,
# and the engine ingesting them live. Ctrl-C stops the engine and the simulator; the broker
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
  echo "  .venv/bin/python -c \"import duckdb; print(duckdb.connect('${VENDORWATCH_DB}', read_only=True).sql('SELECT vendor_id, count(*), quantile_cont(latency_ms, 0.95) FROM response_times GROUP BY ALL ORDER BY 3 DESC'))\""
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
fi
echo "== engine running; the simulated vendors go on live at ${RATE} events/s. Ctrl-C stops."
echo "   (the simulator replays its backfill first: the engine stores those repeats once)"
$VW ingest &
pids+=($!)
$VW "${SIM[@]}" --rate "$RATE" --duration 0 &
pids+=($!)
wait -n "${pids[@]}"
