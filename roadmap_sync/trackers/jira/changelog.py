"""Issue changelogs: who moved an issue into or out of a release, and when.

Cloud: ``POST /rest/api/3/changelog/bulkfetch`` (up to 1000 issues and 10 field ids a request,
paged by ``nextPageToken``; answers ``issueChangeLogs[{issueId, changeHistories}]``).
Data Center: a ``key in (...)`` search with ``expand=changelog`` (each issue's whole history).
Only the fields that move an issue between releases are kept: fix versions and the parent
(``IssueParentAssociation`` on Cloud, the Epic Link on Data Center).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import requests
from jira import JIRAError

from roadmap_sync.core.baseline import FieldChange
from roadmap_sync.trackers.base import TrackerError
from roadmap_sync.trackers.jira.errors import describe
from roadmap_sync.trackers.jira.jql import keys_jql
from roadmap_sync.trackers.jira.session import JiraHttp, json_of

__all__ = ["read_changelogs"]

CLOUD_CHUNK = 1000  # issues per bulk fetch
DC_CHUNK = 100  # keys per search with expand=changelog
CLOUD_FIELD_IDS = ("fixVersions", "parent")
# Changelog `field` names (display names) and ids that move an issue between releases.
_FIELDS = {
    "Fix Version": "fixVersion",
    "fixVersions": "fixVersion",
    "IssueParentAssociation": "parent",
    "parent": "parent",
    "Parent": "parent",
    "Epic Link": "parent",
}


def _moment(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        # Jira writes 2026-11-20T08:00:00.000+0000; fromisoformat wants +00:00.
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
            text = text[:-2] + ":" + text[-2:]
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _author(history: Mapping[str, Any]) -> str:
    author = history.get("author") or {}
    return str(author.get("displayName") or author.get("name") or author.get("accountId") or "")


def field_changes(key: str, histories: Iterable[Mapping[str, Any]]) -> list[FieldChange]:
    """The scheduling-field changes in an issue's histories, oldest first."""
    changes = []
    for history in histories:
        at = _moment(history.get("created"))
        if at is None:
            continue
        for item in history.get("items") or ():
            field = _FIELDS.get(str(item.get("fieldId") or "")) or _FIELDS.get(
                str(item.get("field") or "")
            )
            if field is not None:
                before, after = item.get("fromString"), item.get("toString")
                changes.append(FieldChange(key, at, _author(history), field, before, after))
    changes.sort(key=lambda change: change.at)
    return changes


def _cloud(
    http: JiraHttp, keys: Sequence[str], issue_ids: Mapping[str, str]
) -> dict[str, list[FieldChange]]:
    key_of = {issue_id: key for key, issue_id in issue_ids.items()}
    url = http.url("changelog/bulkfetch", v3=True)
    histories: dict[str, list[Mapping[str, Any]]] = {}
    for start in range(0, len(keys), CLOUD_CHUNK):
        chunk = list(keys[start : start + CLOUD_CHUNK])
        body: dict[str, Any] = {
            "issueIdsOrKeys": chunk,
            "fieldIds": list(CLOUD_FIELD_IDS),
            "maxResults": 1000,
        }
        while True:

            def fetch(payload: dict[str, Any] = body) -> Any:
                http.counted("changelog")
                response = http.session.post(url, json=payload)
                return json_of(response)

            page = http.retried(fetch)
            for entry in page.get("issueChangeLogs") or ():
                issue_id = str(entry.get("issueId"))
                key = key_of.get(issue_id, issue_id)
                histories.setdefault(key, []).extend(entry.get("changeHistories") or ())
            token = page.get("nextPageToken")
            if not token:
                break
            body = {**body, "nextPageToken": token}
    return {key: field_changes(key, found) for key, found in histories.items()}


def _datacenter(http: JiraHttp, keys: Sequence[str]) -> dict[str, list[FieldChange]]:
    found: dict[str, list[FieldChange]] = {}
    for start in range(0, len(keys), DC_CHUNK):
        chunk = list(keys[start : start + DC_CHUNK])
        params = {
            "jql": keys_jql(chunk, None),
            "fields": "key",
            "expand": "changelog",
            "maxResults": DC_CHUNK,
        }
        page = http.get_json("search", params, "changelog")
        for issue in page.get("issues") or ():
            key = str(issue.get("key"))
            found[key] = field_changes(key, (issue.get("changelog") or {}).get("histories") or ())
    return found


def read_changelogs(
    http: JiraHttp, keys: Sequence[str], *, cloud: bool, issue_ids: Mapping[str, str]
) -> dict[str, list[FieldChange]]:
    """Key -> scheduling-field changes, for the keys that exist (a failure is a TrackerError)."""
    if not keys:
        return {}
    try:
        return _cloud(http, keys, issue_ids) if cloud else _datacenter(http, keys)
    except (JIRAError, requests.RequestException, ValueError) as error:
        raise TrackerError(describe(error)) from None
