"""Cloud's ``POST /rest/api/3/changelog/bulkfetch``: changelogs of many issues in one call.

As documented: up to 1000 issues (ids or keys) and up to 10 field ids per request; histories
sorted by date, then issue id, oldest first; grouped per issue as ``issueChangeLogs[]`` of
``{issueId, changeHistories}``; paged by ``nextPageToken`` (absent on the last page).
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from roadmap_sync.sandbox.errors import bad_request
from roadmap_sync.sandbox.http_types import Request, Response

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp

MAX_ISSUES = 1000
MAX_FIELDS = 10
DEFAULT_PAGE = 1000
MAX_PAGE = 1000


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"changelog:{offset}".encode()).decode()


def _offset(token: Any) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(str(token)).decode().partition(":")
        if kind != "changelog" or not number.isdigit():
            raise ValueError(token)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_request("The provided next page token is invalid or expired.") from None
    return int(number)


def _filtered(history: dict[str, Any], fields: set[str] | None) -> dict[str, Any] | None:
    if fields is None:
        return history
    items = [item for item in history["items"] if item.get("fieldId") in fields]
    return {**history, "items": items} if items else None


def bulkfetch(app: SandboxApp, request: Request) -> Response:
    """Histories of the named issues (those the sandbox has), filtered by field ids, paged."""
    body = request.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    wanted = body.get("issueIdsOrKeys")
    if not isinstance(wanted, list) or not wanted:
        raise bad_request("issueIdsOrKeys must not be empty.")
    if len(wanted) > MAX_ISSUES:
        raise bad_request(f"You can request the changelogs of up to {MAX_ISSUES} issues.")
    field_ids = body.get("fieldIds")
    if field_ids is not None and (not isinstance(field_ids, list) or len(field_ids) > MAX_FIELDS):
        raise bad_request(f"You can filter changelogs by up to {MAX_FIELDS} field IDs.")
    limit = body.get("maxResults", DEFAULT_PAGE)
    if not isinstance(limit, int) or limit < 1:
        raise bad_request("maxResults must be a positive number.")
    limit = min(limit, MAX_PAGE)
    offset = _offset(body["nextPageToken"]) if body.get("nextPageToken") else 0
    fields = None if field_ids is None else {str(f) for f in field_ids}
    entries: list[tuple[str, int, dict[str, Any]]] = []
    seen: set[str] = set()
    for ref in wanted:
        issue = app.store.find(str(ref))
        if issue is None or issue["id"] in seen:
            continue
        seen.add(issue["id"])
        for history in app.store.changelog.histories(issue["id"]):
            kept = _filtered(history, fields)
            if kept is not None:
                entries.append((history["created"], int(issue["id"]), kept))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    page = entries[offset : offset + limit]
    grouped: dict[int, list[dict[str, Any]]] = {}
    for _created, issue_id, history in page:
        grouped.setdefault(issue_id, []).append(history)
    answer: dict[str, Any] = {
        "issueChangeLogs": [
            {"issueId": str(issue_id), "changeHistories": histories}
            for issue_id, histories in grouped.items()
        ]
    }
    if offset + limit < len(entries):
        answer["nextPageToken"] = _token(offset + limit)
    return Response(200, answer)
