"""``python -m bench`` (``make bench``): every benchmark, each as a ratio to a same-run baseline."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench import ingest_bench
from vendorwatch.broker import LocalBroker


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vendorwatch-bench-") as tmp:
        workdir = Path(tmp)
        with LocalBroker(workdir / "kafka", heap="-Xmx1g -Xms512m") as broker:
            print(f"ingest benchmark: {args.events:,} events, broker {broker.bootstrap}")
            started = time.perf_counter()
            figures = ingest_bench.run(broker, workdir, args.events)
            print(f"{figures.verdict}  [{time.perf_counter() - started:.0f}s]")


if __name__ == "__main__":
    main()
