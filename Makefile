# vendorwatch task runner. These recipes are exactly what CI runs (.ci/run calls `make test`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: help install test test-fast lint format bench eval demo broker broker-stop broker-status \
        system-deps kafka-jars clean

help:
	@echo "make demo    - broker + engine + simulated vendors (see README)"
	@echo "make test    - the whole test suite against a real Kafka broker"
	@echo "make lint    - ruff + mypy --strict"
	@echo "make bench   - throughput/memory benchmarks (ratios against a same-run baseline)"
	@echo "make eval    - labelled scenarios through today's judgement: detection, delay, false flags"
	@echo "make broker / broker-stop - a local Kafka broker on 127.0.0.1:9092"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

system-deps:
	@scripts/system-deps.sh

kafka-jars:
	@scripts/kafka-local.sh fetch

test: install system-deps kafka-jars
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install kafka-jars
	$(BIN)/python -m bench

# 3 seeds x 30/100/1,000 responses a day x 8 months, every scenario; no broker needed.
# Measured: 2 min 50 s wall, 1.4 GB peak on the shared 2-core VM (docs/metrics.md, Evaluation).
EVAL_ARGS ?=
eval: install
	$(BIN)/vendorwatch evaluate $(EVAL_ARGS)

broker: kafka-jars
	@scripts/kafka-local.sh start

broker-stop:
	@scripts/kafka-local.sh stop

broker-status:
	@scripts/kafka-local.sh status

demo: install broker
	@scripts/demo.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
