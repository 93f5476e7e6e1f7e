"""Allow ``python -m roadmap_sync``."""

from roadmap_sync.cli import entry_point

entry_point()
