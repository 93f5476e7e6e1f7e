"""roadmap-sync: keep a Jira backlog honest to a goal-oriented product roadmap."""

__version__ = "0.1.0"
