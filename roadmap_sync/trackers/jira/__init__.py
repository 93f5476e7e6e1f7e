"""The Jira adapter (Cloud and Data Center): ``ADAPTER`` is what the registry loads."""

from __future__ import annotations

from roadmap_sync.trackers.base import Tracker
from roadmap_sync.trackers.jira.keys import JIRA_KEYS, JIRA_QUERIES
from roadmap_sync.trackers.jira.tracker import JiraTracker
from roadmap_sync.trackers.registry_types import Adapter, ConnectOptions

__all__ = ["ADAPTER"]


def _connect(options: ConnectOptions) -> Tracker:
    return JiraTracker.connect(
        options.url,
        options.email,
        options.token,
        options.policy,
        timeout=options.timeout,
        concurrency=options.concurrency,
        bulk_threshold=options.bulk_threshold,
        on_wait=options.on_wait,
        on_response=options.on_response,
        on_request=options.on_request,
    )


ADAPTER = Adapter(
    name="jira",
    title="Jira",
    key_syntax=JIRA_KEYS,
    connect=_connect,
    query_syntax=JIRA_QUERIES,
)
