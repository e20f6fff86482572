"""``python -m vendorwatch`` runs the command line."""

from vendorwatch.cli import app

app(prog_name="vendorwatch")
