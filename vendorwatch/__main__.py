"""``python -m vendorwatch`` runs the command line."""

from vendorwatch.cli import main

main()
