"""Alerting: from breach records to people, reliably and without noise."""
