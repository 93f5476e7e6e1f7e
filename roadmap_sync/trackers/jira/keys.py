"""What Jira's keys look like, for validating the keys a roadmap names before Jira is asked."""

from __future__ import annotations

import re

__all__ = ["JIRA_KEYS", "JiraKeySyntax"]

_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-[1-9][0-9]*$")
_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]+$")


class JiraKeySyntax:
    """Jira project keys (``ACME``) and issue keys (``ACME-12``): the roadmap's ``KeySyntax``."""

    def project_key_problem(self, value: str) -> str | None:
        """Why `value` is not a Jira project key, or None."""
        if _PROJECT_KEY.match(value):
            return None
        return f"{value!r} is not a Jira project key (expected like ACME)"

    def item_key_problem(self, value: str) -> str | None:
        """Why `value` is not a Jira issue key, or None."""
        if _ISSUE_KEY.match(value):
            return None
        return f"{value!r} is not a Jira issue key (expected like ACME-12)"


JIRA_KEYS = JiraKeySyntax()
