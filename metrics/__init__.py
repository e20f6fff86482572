"""Metrics: the projections of the event store (daily and monthly figures), trends, scores,
the versioned policy and its rules, breach states with evidence, and ``rebuild`` / as-of /
backtest over them. Imports only :mod:`ingest` below it."""
