"""``python -m vendorwatch`` runs the command line."""

from vendorwatch.cli.main import app

app(prog_name="vendorwatch")
