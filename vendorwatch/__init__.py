"""vendorwatch: settings, command line and the wiring of ingest, metrics and dashboard."""
