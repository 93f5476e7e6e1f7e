"""The command implementations behind ``roadmap-sync``; cli.py parses and dispatches."""
