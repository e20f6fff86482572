"""Metric jobs: projections, trend scores, rules and breaches (issue 3; not built yet)."""
