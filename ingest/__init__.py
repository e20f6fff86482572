"""Ingest: the event contract, the Kafka consumer, the DuckDB event store (exactly once, with
dead letters) and the vendor simulator. The bottom layer: it imports no other package of
vendorwatch."""
