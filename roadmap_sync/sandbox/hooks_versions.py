"""Test hooks that change a project's versions the way a Jira admin does, firing Jira's
``jira:version_created|updated|released|unreleased|deleted|moved`` webhooks.

Not part of Jira's REST API (which has ``/rest/api/3/version``); they live under
``/_sandbox/`` with the other hooks so that tests can drive a site without admin plumbing.
Deleting a version removes it from every issue's fixVersions, or moves those issues to
``moveFixIssuesTo``, as Jira's "delete and replace" does; Jira sends no issue event for that.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from roadmap_sync.sandbox.errors import ApiError, bad_request
from roadmap_sync.sandbox.http_types import Request, Response

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp
    from roadmap_sync.sandbox.catalog import Account

_EDITABLE = ("name", "description", "releaseDate", "startDate", "released", "archived")


def _admin(app: SandboxApp) -> Account:
    return next(a for a in app.store.accounts if a.admin)


def _find(app: SandboxApp, version_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for project in app.store.projects.values():
        for version in project.get("versions", []):
            if str(version.get("id")) == version_id:
                return project, version
    raise ApiError(404, [f"Could not find version for id '{version_id}'"])


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise bad_request("Expected a JSON object.")
    unknown = sorted(set(body) - {*_EDITABLE, "project"})
    if unknown:
        raise bad_request(f"Unknown version fields {unknown}.")
    if "name" in body and (not isinstance(body["name"], str) or not body["name"].strip()):
        raise bad_request("A version needs a non-empty 'name'.")
    return body


def _next_id(app: SandboxApp) -> str:
    taken = {
        int(v["id"])
        for p in app.store.projects.values()
        for v in p.get("versions", [])
        if str(v.get("id", "")).isdigit()
    }
    return str(next(n for n in itertools.count(10500) if n not in taken))


def create(app: SandboxApp, request: Request) -> Response:
    """``POST /_sandbox/versions``: ``{"project": "ACME", "name": "2027.1", ...}``."""
    body = _body(request)
    project = app.store.project(str(body.get("project", "")))
    if project is None or "name" not in body:
        raise bad_request("Expected {'project': KEY, 'name': ...}.")
    if body["name"].lower() in app.store.versions_by_name(project["key"]):
        raise bad_request(f"A version with this name already exists in project {project['key']}.")
    with app.store.lock:
        version = {k: body[k] for k in _EDITABLE if k in body}
        version.update(id=_next_id(app), projectId=int(project["id"]))
        version.setdefault("archived", False)
        version.setdefault("released", False)
        project["versions"] = [*project.get("versions", []), version]
    app.store.change_version("jira:version_created", version, _admin(app))
    return Response(201, version)


def update(app: SandboxApp, request: Request) -> Response:
    """``PUT /_sandbox/versions/{id}``: rename, release or unrelease (one event per kind)."""
    body = _body(request)
    with app.store.lock:
        project, version = _find(app, request.route["vid"])
        changed = {k: v for k, v in body.items() if k in _EDITABLE and version.get(k) != v}
        renamed = changed.get("name")
        if renamed and renamed.lower() in app.store.versions_by_name(project["key"]):
            raise bad_request(f"A version with this name already exists in {project['key']}.")
        new = {**version, **changed}
        project["versions"] = [new if v is version else v for v in project["versions"]]
        if renamed:
            _rename_on_issues(app, version, new)
    released = changed.get("released")
    if released is True:
        app.store.change_version("jira:version_released", new, _admin(app))
    elif released is False:
        app.store.change_version("jira:version_unreleased", new, _admin(app))
    if set(changed) - {"released"}:
        app.store.change_version("jira:version_updated", new, _admin(app))
    return Response(200, new)


def _rename_on_issues(app: SandboxApp, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Issues show the version's new name at once; a rename writes no issue history."""
    for issue in app.store.issues.values():
        versions = issue["fields"].get("fixVersions") or []
        if any(v is old or v.get("id") == old.get("id") for v in versions):
            shown = [new if v.get("id") == old.get("id") else v for v in versions]
            issue["fields"] = {**issue["fields"], "fixVersions": shown}
    app.store.rewrote_fields()


def delete(app: SandboxApp, request: Request) -> Response:
    """``DELETE /_sandbox/versions/{id}[?moveFixIssuesTo=ID]``."""
    with app.store.lock:
        project, version = _find(app, request.route["vid"])
        target_id = request.arg("moveFixIssuesTo")
        target = _find(app, target_id)[1] if target_id else None
        project["versions"] = [v for v in project["versions"] if v is not version]
        for issue in app.store.issues.values():
            versions = issue["fields"].get("fixVersions") or []
            if not any(v.get("id") == version["id"] for v in versions):
                continue
            kept = [v for v in versions if v.get("id") != version["id"]]
            if target is not None and all(v.get("id") != target["id"] for v in kept):
                kept.append(target)
            issue["fields"] = {**issue["fields"], "fixVersions": kept}
        app.store.rewrote_fields()
    extra = {"mergedTo": target} if target is not None else {}
    app.store.change_version("jira:version_deleted", version, _admin(app), **extra)
    return Response(204)


def move(app: SandboxApp, request: Request) -> Response:
    """``POST /_sandbox/versions/{id}/move``: ``{"position": "First"|"Last"|"Earlier"|"Later"}``."""
    body = request.json()
    position = body.get("position") if isinstance(body, dict) else None
    if position not in ("First", "Last", "Earlier", "Later"):
        raise bad_request("Expected {'position': 'First'|'Last'|'Earlier'|'Later'}.")
    with app.store.lock:
        project, version = _find(app, request.route["vid"])
        others = [v for v in project["versions"] if v is not version]
        index = project["versions"].index(version)
        spot = {"First": 0, "Last": len(others), "Earlier": max(0, index - 1)}.get(
            position, min(len(others), index + 1)
        )
        project["versions"] = [*others[:spot], version, *others[spot:]]
    app.store.change_version("jira:version_moved", version, _admin(app))
    return Response(200, version)
