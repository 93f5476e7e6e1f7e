"""Issue endpoints: read one issue, edit one issue, and Cloud's bulk label edit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from roadmap_sync.sandbox.edits import EditParser
from roadmap_sync.sandbox.errors import ApiError
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.views import FieldSelection

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp
    from roadmap_sync.sandbox.catalog import Account


def get_issue(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/issue/{issueIdOrKey}``."""
    issue = app.store.get(request.route["key"])
    selection = FieldSelection.parse(request.args("fields") or None, "*all")
    rendered = app.renderer(request.api_version).render(issue, selection)
    if "changelog" in (request.arg("expand") or "").split(","):
        rendered["changelog"] = app.store.changelog.expanded(issue["id"])
    return Response(200, rendered)


def edit_issue(app: SandboxApp, request: Request, actor: Account) -> None:
    """Apply a PUT body to an issue as ``actor`` (the API and the test hook share this)."""
    with app.store.lock:
        issue = app.store.get(request.route["key"])
        project_key = str(issue["fields"].get("project", {}).get("key", ""))
        parser = EditParser(
            app.flavor,
            app.store.versions_by_name(project_key),
            app.store.find,
            app.store.epic_link_field,
        )
        values = parser.parse(issue, request.json(), actor)
        app.store.commit(issue["key"], values, actor)


def put_issue(app: SandboxApp, request: Request) -> Response:
    """``PUT /rest/api/{2,3}/issue/{issueIdOrKey}``: 204, or 200 with ``returnIssue=true``."""
    assert request.account is not None  # the router authenticates every REST call
    if request.arg("overrideScreenSecurity") == "true" and not request.account.admin:
        raise ApiError(403, ["You do not have permission to override screen security."])
    edit_issue(app, request, request.account)
    if request.arg("returnIssue") == "true":
        return get_issue(app, request)
    return Response(204)


def delete_issue(app: SandboxApp, request: Request) -> Response:
    """``DELETE /rest/api/{2,3}/issue/{issueIdOrKey}``: 204; fires ``jira:issue_deleted``.

    Like Jira, an issue with sub-tasks is deleted only with ``deleteSubtasks=true``.
    """
    assert request.account is not None
    issue = app.store.get(request.route["key"])
    if not request.account.can_edit:
        raise ApiError(403, ["You do not have permission to delete this issue."])
    has_subtasks = any(
        (other["fields"].get("parent") or {}).get("key") == issue["key"]
        and (other["fields"].get("issuetype") or {}).get("hierarchyLevel") == -1
        for other in list(app.store.issues.values())
    )
    if has_subtasks and request.arg("deleteSubtasks", "false") != "true":
        raise ApiError(
            400,
            [
                f"The issue '{issue['key']}' has subtasks. To delete it, you need to set the "
                "'deleteSubtasks' query parameter to true."
            ],
        )
    app.store.delete(issue["key"], request.account)
    return Response(204)


def bulk_submit(app: SandboxApp, request: Request) -> Response:
    """``POST /rest/api/3/bulk/issues/fields`` (Cloud)."""
    assert request.account is not None
    task = app.bulk.submit(request.json(), request.account)
    return Response(201, {"taskId": task.task_id})


def bulk_progress(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/3/bulk/queue/{taskId}`` (Cloud)."""
    return Response(200, app.bulk.progress(request.route["task"]))
