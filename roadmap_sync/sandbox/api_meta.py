"""Site metadata endpoints: serverInfo, myself, fields, projects, versions, permissions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from roadmap_sync.sandbox.catalog import SERVER_VERSION, field_catalog
from roadmap_sync.sandbox.errors import ApiError, bad_request
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.store import jira_timestamp

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp

PERMISSIONS = {
    "BROWSE_PROJECTS": ("10", "Browse Projects", "Ability to browse projects and issues."),
    "EDIT_ISSUES": ("12", "Edit Issues", "Ability to edit issues."),
    "ADMINISTER_PROJECTS": ("23", "Administer Projects", "Ability to administer a project."),
}


def server_info(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/serverInfo``; ``deploymentType`` tells Cloud from Data Center."""
    version = SERVER_VERSION[app.flavor]
    numbers = [int(part) for part in version.split("-")[0].split(".")]
    return Response(
        200,
        {
            "baseUrl": app.base_url,
            "version": version,
            "versionNumbers": numbers,
            "deploymentType": "Cloud" if app.flavor == "cloud" else "Server",
            "buildNumber": 100282,
            "buildDate": "2025-11-03T00:00:00.000+0000",
            "serverTime": jira_timestamp(app.store.clock()),
            "scmInfo": "57a0ca5b4a0bb0ac5f3fee4764acb1c14e4d7e71",
            "serverTitle": f"roadmap-sync sandbox ({app.flavor})",
        },
    )


def myself(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/myself``."""
    assert request.account is not None
    return Response(200, request.account.as_user(app.base_url, app.flavor))


def fields(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/field``: the Epic Link id is discovered here on Data Center."""
    return Response(200, field_catalog(app.flavor, app.store.epic_link_field))


def _project(app: SandboxApp, key: str) -> dict[str, Any]:
    project = app.store.project(key)
    if project is None:
        raise ApiError(404, [f"No project could be found with key '{key}'."])
    return project


def _version_view(app: SandboxApp, version: dict[str, Any]) -> dict[str, Any]:
    view = dict(version)
    view["self"] = f"{app.base_url}/rest/api/2/version/{version['id']}"
    release = version.get("releaseDate")
    if release and not version.get("released"):
        view["overdue"] = date.fromisoformat(str(release)) < app.store.clock().date()
    return view


def project(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/project/{projectIdOrKey}``."""
    found = _project(app, request.route["key"])
    body = {k: v for k, v in found.items() if k != "versions"}
    body["self"] = f"{app.base_url}/rest/api/{request.api_version}/project/{found['id']}"
    body["versions"] = [_version_view(app, v) for v in found.get("versions", [])]
    return Response(200, body)


def versions(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/project/{projectIdOrKey}/versions``."""
    found = _project(app, request.route["key"])
    return Response(200, [_version_view(app, v) for v in found.get("versions", [])])


def my_permissions(app: SandboxApp, request: Request) -> Response:
    """``GET /rest/api/{2,3}/mypermissions?permissions=...&projectKey=...``."""
    assert request.account is not None
    wanted = [p for p in (request.arg("permissions") or "").split(",") if p]
    if not wanted and app.flavor == "cloud":
        raise bad_request("The 'permissions' query parameter is required.")
    project_key = request.arg("projectKey")
    if project_key:
        _project(app, project_key)
    account = request.account
    granted = {
        "BROWSE_PROJECTS": True,
        "EDIT_ISSUES": account.can_edit,
        "ADMINISTER_PROJECTS": account.admin,
    }
    body: dict[str, Any] = {}
    for key in wanted or list(PERMISSIONS):
        if key not in PERMISSIONS:
            raise ApiError(404, [f"No permission could be found with key '{key}'."])
        perm_id, name, description = PERMISSIONS[key]
        body[key] = {
            "id": perm_id,
            "key": key,
            "name": name,
            "type": "PROJECT",
            "description": description,
            "havePermission": granted[key],
        }
    return Response(200, {"permissions": body})


def register_webhook(app: SandboxApp, request: Request) -> Response:
    """``POST /rest/webhooks/1.0/webhook``: an admin registers a receiver (and secret)."""
    assert request.account is not None
    if not request.account.admin:
        raise ApiError(403, ["You must be an administrator to register webhooks."])
    body = request.json()
    if not isinstance(body, dict) or not str(body.get("url", "")).startswith("http"):
        raise bad_request("A webhook needs a 'url'.")
    hook = app.webhooks.register_from(body)
    return Response(
        201,
        {
            "self": f"{app.base_url}/rest/webhooks/1.0/webhook/{hook.webhook_id}",
            "name": body.get("name", f"webhook {hook.webhook_id}"),
            "url": hook.url,
            "events": list(hook.events),
            "enabled": True,
        },
    )
