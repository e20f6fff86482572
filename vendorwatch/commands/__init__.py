"""Command-line commands, one module per command; the main app registers them."""
