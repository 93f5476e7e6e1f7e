"""What Jira's keys look like, for validating the keys a roadmap names before Jira is asked."""

from __future__ import annotations

import re

from roadmap_sync.jql.scope import extra_query_problem

__all__ = ["JIRA_KEYS", "JIRA_QUERIES", "JiraKeySyntax", "JiraQuerySyntax"]

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


class JiraQuerySyntax:
    """JQL for ``tracker.jql``: one well-formed condition, no ORDER BY (the ``QuerySyntax``)."""

    def query_problem(self, value: str) -> str | None:
        """Why `value` cannot narrow a roadmap's scope, or None."""
        return extra_query_problem(value)


JIRA_QUERIES = JiraQuerySyntax()
