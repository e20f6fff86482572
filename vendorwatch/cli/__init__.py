"""The command line: :mod:`vendorwatch.cli.main` builds the app from one module per command
group; :mod:`vendorwatch.cli.common` holds what they share."""
