"""``python -m bench`` (``make bench``): every benchmark, each as a ratio to a same-run baseline."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import alert_bench, ingest_bench, metrics_bench
from bench import dashboard as dashboard_bench
from tests.broker import LocalBroker

BENCHMARKS = ("ingest", "metrics", "alerts", "dashboard")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--events", type=int, default=1_000_000, help="ingest: events produced")
    parser.add_argument(
        "--metrics-events", type=int, default=10_000_000, help="metrics: stored responses"
    )
    parser.add_argument("--alert-breaches", type=int, default=20, help="alerts: breaches timed")
    parser.add_argument(
        "--dashboard-vendors", type=int, default=1000, help="dashboard: vendors in the snapshot"
    )
    parser.add_argument(
        "--dashboard-days", type=int, default=730, help="dashboard: days of daily figures"
    )
    parser.add_argument(
        "--dashboard-runs", type=int, default=10, help="dashboard: timed renders per kind"
    )
    parser.add_argument(
        "--dashboard-profile",
        action="store_true",
        help="dashboard: also break one cold and one warm render down by category",
    )
    parser.add_argument("--only", choices=BENCHMARKS, action="append", help="run only these")
    args = parser.parse_args()
    chosen = args.only or BENCHMARKS
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="vendorwatch-bench-") as tmp:
        workdir = Path(tmp)
        if "ingest" in chosen:
            with LocalBroker(workdir / "kafka", heap="-Xmx1g -Xms512m") as broker:
                print(f"ingest benchmark: {args.events:,} events, broker {broker.bootstrap}")
                started = time.perf_counter()
                figures = ingest_bench.run(broker, workdir, args.events)
                verdicts.append(f"{figures.verdict}  [{time.perf_counter() - started:.0f}s]")
                print(verdicts[-1])
        if "metrics" in chosen:
            print(f"metrics benchmark: {args.metrics_events:,} stored responses")
            started = time.perf_counter()
            metrics = metrics_bench.run(workdir, events=args.metrics_events)
            print(metrics.details())
            verdicts.append(f"{metrics.verdict}  [{time.perf_counter() - started:.0f}s]")
            print(verdicts[-1])
        if "alerts" in chosen:
            with LocalBroker(workdir / "kafka-alerts") as broker:
                print(
                    f"alerts benchmark: {args.alert_breaches} breaches, broker {broker.bootstrap}"
                )
                started = time.perf_counter()
                alerts = alert_bench.run(broker, workdir, args.alert_breaches)
                verdicts.append(f"{alerts.verdict}  [{time.perf_counter() - started:.0f}s]")
                print(verdicts[-1])
        if "dashboard" in chosen:
            print(
                f"dashboard benchmark: {args.dashboard_vendors:,} vendors x "
                f"{args.dashboard_days} days, {args.dashboard_runs} renders per kind"
            )
            started = time.perf_counter()
            board = dashboard_bench.run(
                workdir,
                vendors=args.dashboard_vendors,
                days=args.dashboard_days,
                runs=args.dashboard_runs,
                profile=args.dashboard_profile,
            )
            print(board.details())
            verdicts.append(f"{board.verdict}  [{time.perf_counter() - started:.0f}s]")
            print(verdicts[-1])
    print("\n".join(["", "summary:", *verdicts]))


if __name__ == "__main__":
    main()
