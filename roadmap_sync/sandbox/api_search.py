"""Search endpoints: Cloud's ``/search/jql`` (token paging), Data Center's ``/search``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from roadmap_sync.sandbox.errors import ApiError, bad_request
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.searching import decode_token, encode_token, page
from roadmap_sync.sandbox.views import FieldSelection, IssueRenderer

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp

CLOUD_DEFAULT_PAGE = 50
CLOUD_MAX_PAGE = 100  # Cloud serves fewer issues per page when fields are requested
CLOUD_MAX_PAGE_IDS_ONLY = 5000
DC_DEFAULT_PAGE = 50
DC_MAX_PAGE = 1000  # jira.search.views.default.max on a default Data Center install
REMOVED_SEARCH = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


def _params(request: Request) -> dict[str, Any]:
    """GET query parameters or the POST body, as one dict of the fields we read."""
    if request.method == "POST":
        body = request.json() or {}
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body
    return {
        "jql": request.arg("jql", ""),
        "nextPageToken": request.arg("nextPageToken"),
        "startAt": request.arg("startAt"),
        "maxResults": request.arg("maxResults"),
        "fields": request.args("fields") or None,
        "expand": request.arg("expand"),
    }


def _int(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise bad_request(f"The '{name}' parameter must be a number.") from error
    if number < 0:
        raise bad_request(f"The '{name}' parameter must not be negative.")
    return number


def _fields(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _render(
    app: SandboxApp, request: Request, keys: Sequence[str], selection: FieldSelection
) -> list[dict[str, Any]]:
    renderer = IssueRenderer(app.flavor, request.api_version, app.base_url)
    issues = app.store.issues
    return [renderer.render(issues[key], selection) for key in keys if key in issues]


def search_jql(app: SandboxApp, request: Request) -> Response:
    """``GET/POST /rest/api/{2,3}/search/jql`` (Cloud)."""
    params = _params(request)
    jql = str(params.get("jql") or "").strip()
    if not jql or jql.lower().startswith("order by"):
        raise bad_request(UNBOUNDED)
    selection = FieldSelection.parse(_fields(params.get("fields")), "id")
    cap = CLOUD_MAX_PAGE_IDS_ONLY if selection.ids_only else CLOUD_MAX_PAGE
    limit = min(max(1, _int(params.get("maxResults"), "maxResults", CLOUD_DEFAULT_PAGE)), cap)
    token = params.get("nextPageToken")
    if token:
        session_id, offset = decode_token(str(token))
        session = app.search.resume(session_id)
        if session is None or session.jql != jql:
            raise bad_request("The provided next page token is invalid or expired.")
    else:
        session, offset = app.search.open(jql), 0
    keys, is_last = page(session.keys, offset, limit)
    body: dict[str, Any] = {"issues": _render(app, request, keys, selection), "isLast": is_last}
    if not is_last:
        body["nextPageToken"] = encode_token(session.session_id, offset + limit)
    return Response(200, body)


def search_legacy(app: SandboxApp, request: Request) -> Response:
    """``GET/POST /rest/api/2/search``: removed on Cloud (410), startAt paging on Data Center."""
    if app.flavor == "cloud":
        raise ApiError(410, [REMOVED_SEARCH])
    params = _params(request)
    jql = str(params.get("jql") or "")
    start_at = _int(params.get("startAt"), "startAt", 0)
    limit = min(_int(params.get("maxResults"), "maxResults", DC_DEFAULT_PAGE), DC_MAX_PAGE)
    selection = FieldSelection.parse(_fields(params.get("fields")), "*navigable")
    session = app.search.for_offset(jql, start_at)
    keys, _ = page(session.keys, start_at, limit)
    issues = _render(app, request, keys, selection)
    expand = params.get("expand") or ""
    if "changelog" in (expand if isinstance(expand, list) else str(expand).split(",")):
        # Data Center answers the whole history of each issue with expand=changelog.
        for issue in issues:
            issue["changelog"] = app.store.changelog.expanded(issue["id"])
    return Response(
        200,
        {
            "expand": "schema,names",
            "startAt": start_at,
            "maxResults": limit,
            "total": len(session.keys),
            "issues": issues,
        },
    )


def approximate_count(app: SandboxApp, request: Request) -> Response:
    """``POST /rest/api/3/search/approximate-count`` (Cloud)."""
    body = request.json() or {}
    jql = str(body.get("jql") or "").strip() if isinstance(body, dict) else ""
    if not jql:
        raise bad_request(UNBOUNDED)
    return Response(200, {"count": len(app.search.run(jql))})
