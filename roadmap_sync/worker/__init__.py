"""The long-running worker (``roadmap-sync serve``): schedules, HTTP endpoints, leadership."""
