"""Search endpoints: Cloud's ``/search/jql`` (token paging), Data Center's ``/search``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from roadmap_sync.sandbox.errors import ApiError, bad_request
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.searching import decode_token, encode_token, page
from roadmap_sync.sandbox.views import FieldSelection, page_body

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
MAX_RECONCILE = 50  # "Accepts max 50 ids" (the spec's reconcileIssues)


def search_limit_exceeded(requested: int, window: int) -> ApiError:
    """Data Center with OpenSearch past its result window: a 500, worded like Jira's.

    Atlassian KB "Handling JQL REST API searching exceeding max_result_window in Jira": paging
    by startAt past the window (default 10,000) fails, "Repeating the same search may not work".
    """
    message = (
        f"Search limit exceeded. We couldn't complete your search because it requests "
        f"{requested:,} results which exceeded the search platform limit of {window:,}. "
        "Try refining your query or contact your Jira administrator. Repeating the same "
        "search may not work."
    )
    return ApiError(500, [message])


def _params(request: Request) -> dict[str, Any]:
    """GET query parameters or the POST body, as one dict of the fields we read."""
    if request.method == "POST":
        body = request.json() or {}
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        for name in ("jql", "nextPageToken", "expand"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise bad_request(f"The '{name}' field must be a string.")
        return body
    return {
        "jql": request.arg("jql", ""),
        "nextPageToken": request.arg("nextPageToken"),
        "startAt": request.arg("startAt"),
        "maxResults": request.arg("maxResults"),
        "fields": request.args("fields") or None,
        "expand": request.arg("expand"),
        "reconcileIssues": [
            part for value in request.args("reconcileIssues") for part in value.split(",") if part
        ]
        or None,
    }


def _int(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    if isinstance(value, bool | float | list | dict):
        raise bad_request(f"The '{name}' parameter must be a number.")
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise bad_request(f"The '{name}' parameter must be a number.") from error
    if number < 0:
        raise bad_request(f"The '{name}' parameter must not be negative.")
    if number >= 2**31:
        raise bad_request(f"The '{name}' parameter is too large.")
    return number


def _fields(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request("The 'fields' parameter must be a list of field names.")
    return list(value)


def _reconciled(app: SandboxApp, value: Any) -> frozenset[str]:
    """The keys of the ``reconcileIssues`` ids, validated as Jira validates them."""
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise bad_request("The 'reconcileIssues' parameter must be a list of issue ids.")
    if len(value) > MAX_RECONCILE:
        raise bad_request(
            f"The 'reconcileIssues' parameter accepts at most {MAX_RECONCILE} issue ids."
        )
    keys: set[str] = set()
    for raw in value:
        text = str(raw).strip() if not isinstance(raw, bool) else ""
        if isinstance(raw, float | dict | list) or not text.isdigit():
            raise bad_request(f"The issue id '{raw}' in 'reconcileIssues' is not a number.")
        key = app.store.key_for_id(str(int(text)))
        if key is not None:
            keys.add(key)
    return frozenset(keys)


def _render(
    app: SandboxApp,
    request: Request,
    keys: Sequence[str],
    selection: FieldSelection,
    reconciled: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    renderer = app.renderer(request.api_version)
    return [renderer.render(issue, selection) for issue in app.search.shown(keys, reconciled)]


def _encoded(
    app: SandboxApp,
    request: Request,
    keys: Sequence[str],
    selection: FieldSelection,
    reconciled: frozenset[str] = frozenset(),
) -> list[bytes]:
    """As ``_render``, each issue as JSON encoded once per rendering (views.EncodedIssues)."""
    renderer = app.renderer(request.api_version)
    return app.encoded.encode(renderer, app.search.shown(keys, reconciled), selection)


def search_jql(app: SandboxApp, request: Request) -> Response:
    """``GET/POST /rest/api/{2,3}/search/jql`` (Cloud): token paging over the lagging index."""
    params = _params(request)
    jql = str(params.get("jql") or "").strip()
    if not jql or jql.lower().startswith("order by"):
        raise bad_request(UNBOUNDED)
    selection = FieldSelection.parse(_fields(params.get("fields")), "id")
    cap = CLOUD_MAX_PAGE_IDS_ONLY if selection.ids_only else CLOUD_MAX_PAGE
    limit = min(max(1, _int(params.get("maxResults"), "maxResults", CLOUD_DEFAULT_PAGE)), cap)
    reconciled = _reconciled(app, params.get("reconcileIssues"))
    token = params.get("nextPageToken")
    if token:
        session_id, offset = decode_token(str(token))
        session = app.search.resume(session_id)
        if session is None or session.jql != jql:
            raise bad_request("The provided next page token is invalid or expired.")
    else:
        session, offset = app.search.open(jql, request.account, reconciled), 0
    keys, is_last = page(session.keys, offset, limit)
    issues = _encoded(app, request, keys, selection, session.reconciled | reconciled)
    rest: dict[str, Any] = {"isLast": is_last}
    if not is_last:
        rest["nextPageToken"] = encode_token(session.session_id, offset + limit)
    return Response(200, page_body(issues, rest), objects=len(issues))


def search_legacy(app: SandboxApp, request: Request) -> Response:
    """``GET/POST /rest/api/2/search``: removed on Cloud (410), startAt paging on Data Center.

    Each page request re-runs the query, as Data Center does: issues created or deleted
    between two requests shift the offsets. With a result window (OpenSearch), a page reaching
    past it is refused.
    """
    if app.flavor == "cloud":
        raise ApiError(410, [REMOVED_SEARCH])
    params = _params(request)
    jql = str(params.get("jql") or "")
    start_at = _int(params.get("startAt"), "startAt", 0)
    limit = min(_int(params.get("maxResults"), "maxResults", DC_DEFAULT_PAGE), DC_MAX_PAGE)
    selection = FieldSelection.parse(_fields(params.get("fields")), "*navigable")
    window = app.result_window
    if window is not None and start_at + limit > window:
        raise search_limit_exceeded(start_at + limit, window)
    if limit == 0:  # how the bot (and Jira's own UI) asks only for the total
        total = app.search.count(jql, request.account)
        rest = {"expand": "schema,names", "startAt": start_at, "maxResults": 0, "total": total}
        return Response(200, {**rest, "issues": []})
    keys = app.search.rerun(jql, request.account)
    chunk, _ = page(keys, start_at, limit)
    rest = {"expand": "schema,names", "startAt": start_at, "maxResults": limit, "total": len(keys)}
    expand = params.get("expand") or ""
    if "changelog" not in (expand if isinstance(expand, list) else str(expand).split(",")):
        encoded = _encoded(app, request, chunk, selection)
        return Response(200, page_body(encoded, rest), objects=len(encoded))
    issues = _render(app, request, chunk, selection)
    for issue in issues:  # Data Center answers each issue's whole history with it
        issue["changelog"] = app.store.changelog.expanded(issue["id"])
    return Response(200, {**rest, "issues": issues})


def approximate_count(app: SandboxApp, request: Request) -> Response:
    """``POST /rest/api/3/search/approximate-count`` (Cloud): counts what search sees."""
    body = request.json() or {}
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    raw = body.get("jql")
    jql = raw.strip() if isinstance(raw, str) else ""
    if not jql:
        raise bad_request(UNBOUNDED)
    return Response(200, {"count": app.search.count(jql, request.account)})
