"""Test hooks under ``/_sandbox/``: the write log, edits "as a person", faults, webhooks.

These endpoints are not part of Jira. They need no authentication (the sandbox only listens on
loopback) and are documented in the README's sandbox section.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from roadmap_sync.sandbox.api_issues import edit_issue
from roadmap_sync.sandbox.catalog import EDITABLE_FIELDS
from roadmap_sync.sandbox.clock import parse_moment
from roadmap_sync.sandbox.edits import EditParser
from roadmap_sync.sandbox.errors import ApiError, bad_request
from roadmap_sync.sandbox.faults import Fault
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.store import jira_timestamp
from roadmap_sync.sandbox.views import FieldSelection

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp
    from roadmap_sync.sandbox.catalog import Account

HOOKS_INDEX = {
    "GET /_sandbox/writes": "every write request received (method, path, body, notifyUsers)",
    "DELETE /_sandbox/writes": "forget the write log",
    "GET|DELETE /_sandbox/requests": "REST requests received per endpoint, or reset the tally",
    "POST /_sandbox/issues/{key}/edit": "edit an issue as a person ({fields, update}); webhooks",
    "POST /_sandbox/issues": "create an issue as a person ({fields}); fires jira:issue_created",
    "DELETE /_sandbox/issues/{key}": "delete an issue as a person; fires jira:issue_deleted",
    "GET /_sandbox/index": "search lag: seconds, and how many issues search shows stale",
    "POST /_sandbox/versions": "create a version ({project, name, ...}); jira:version_created",
    "PUT /_sandbox/versions/{id}": "rename/release/unrelease ({name, released, releaseDate})",
    "DELETE /_sandbox/versions/{id}": "delete a version (?moveFixIssuesTo=ID); version_deleted",
    "POST /_sandbox/versions/{id}/move": "reorder a version ({position}); jira:version_moved",
    "GET|POST|DELETE /_sandbox/faults": "list, arm ({endpoint, kind, ...}) or clear faults",
    "GET|POST|DELETE /_sandbox/webhooks": "list, register ({url, secret, events}) or clear",
    "GET|POST /_sandbox/clock": "the site's time, or move it ({advance_seconds} or {now})",
    "POST /_sandbox/issues/{key}/transition": "move an issue to a status as a person ({status})",
}


def _person(app: SandboxApp, request: Request) -> Account:
    wanted = request.arg("as", "person")
    for account in app.store.accounts:
        if account.username == wanted:
            return account
    raise bad_request(f"No sandbox account named {wanted!r}.")


def index(app: SandboxApp, request: Request) -> Response:
    """``GET /_sandbox/``: what the hooks are."""
    return Response(200, {"flavor": app.flavor, "hooks": HOOKS_INDEX})


def list_writes(app: SandboxApp, request: Request) -> Response:
    """``GET /_sandbox/writes``."""
    return Response(200, {"writes": [w.as_json() for w in app.store.writes()]})


def clear_writes(app: SandboxApp, request: Request) -> Response:
    """``DELETE /_sandbox/writes``."""
    app.store.clear_writes()
    return Response(204)


def list_requests(app: SandboxApp, request: Request) -> Response:
    """``GET /_sandbox/requests``: REST requests received, by endpoint name."""
    return Response(200, {"requests": dict(app.request_counts)})


def clear_requests(app: SandboxApp, request: Request) -> Response:
    """``DELETE /_sandbox/requests``."""
    app.request_counts.clear()
    return Response(204)


def person_edit(app: SandboxApp, request: Request) -> Response:
    """``POST /_sandbox/issues/{key}/edit?as=person``: a human edits an issue."""
    actor = _person(app, request)
    edit_issue(app, request, actor)
    issue = app.store.get(request.route["key"])
    return Response(200, app.renderer("2").render(issue, FieldSelection.parse(None, "*all")))


def person_delete(app: SandboxApp, request: Request) -> Response:
    """``DELETE /_sandbox/issues/{key}?as=person``: a human deletes an issue (and sub-tasks)."""
    app.store.delete(request.route["key"], _person(app, request))
    return Response(204)


def index_status(app: SandboxApp, request: Request) -> Response:
    """``GET /_sandbox/index``: the search lag and how many issues search still shows stale."""
    index = app.store.index
    return Response(200, {"searchLag": index.lag, "lagging": index.lagging()})


def _named(app: SandboxApp, field: str, wanted: Any, default: str) -> Any:
    """An existing issuetype/status object by name, as Jira resolves ``{"name": ...}``."""
    name = str((wanted or {}).get("name", default)).lower()
    for issue in app.store.issues.values():
        value = issue["fields"].get(field) or {}
        if str(value.get("name", "")).lower() == name:
            return value
    raise bad_request(f"The {field} '{name}' does not exist.")


def person_create(app: SandboxApp, request: Request) -> Response:
    """``POST /_sandbox/issues``: a human creates an issue (editable fields go through edits)."""
    body = request.json()
    if not isinstance(body, dict) or not isinstance(body.get("fields"), dict):
        raise bad_request("Expected {'fields': {...}}.")
    fields = dict(body["fields"])
    names = (EDITABLE_FIELDS - {"summary"}) | {app.store.epic_link_field}
    editable = {k: fields.pop(k) for k in names if k in fields}
    fields["issuetype"] = _named(app, "issuetype", fields.get("issuetype"), "Story")
    fields["status"] = _named(app, "status", fields.get("status"), "To Do")
    actor = _person(app, request)
    try:
        issue = app.store.create(fields, actor)
    except ValueError as error:
        raise bad_request(str(error)) from error
    if editable:
        project_key = issue["fields"]["project"]["key"]
        parser = EditParser(
            app.flavor,
            app.store.versions_by_name(project_key),
            app.store.find,
            app.store.epic_link_field,
        )
        values = parser.parse(issue, {"fields": editable}, actor)
        app.store.commit(issue["key"], values, actor, history=False)
    return Response(201, {"id": issue["id"], "key": issue["key"]})


def faults(app: SandboxApp, request: Request) -> Response:
    """``GET|POST|DELETE /_sandbox/faults``."""
    if request.method == "DELETE":
        app.faults.clear()
        return Response(204)
    if request.method == "POST":
        spec: Any = request.json()
        try:
            app.faults.arm(Fault.from_json(spec if isinstance(spec, dict) else {}))
        except (ValueError, TypeError) as error:
            raise bad_request(str(error)) from error
        return Response(201, {"faults": app.faults.listing()})
    return Response(200, {"faults": app.faults.listing()})


def webhooks(app: SandboxApp, request: Request) -> Response:
    """``GET|POST|DELETE /_sandbox/webhooks``."""
    if request.method == "DELETE":
        for listed in app.webhooks.listing():
            app.webhooks.unregister(int(listed["id"]))
        return Response(204)
    if request.method == "POST":
        body = request.json()
        if not isinstance(body, dict) or "url" not in body:
            raise ApiError(400, ["Expected {'url': ..., 'secret': optional}."])
        hook = app.webhooks.register_from(body)
        return Response(201, hook.as_json())
    app.webhooks.drain()
    return Response(200, {"webhooks": app.webhooks.listing()})


def clock(app: SandboxApp, request: Request) -> Response:
    """``GET|POST /_sandbox/clock``: the site's time; POST moves it forward."""
    if request.method == "POST":
        body = request.json()
        if not isinstance(body, dict) or not ({"advance_seconds", "now"} & body.keys()):
            raise bad_request("Expected {'advance_seconds': N} or {'now': ISO time}.")
        try:
            if "now" in body:
                app.clock.set(parse_moment(str(body["now"])))
            else:
                app.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
        except (TypeError, ValueError) as error:
            raise bad_request(str(error)) from error
    return Response(200, {"now": app.clock.now().isoformat()})


def person_transition(app: SandboxApp, request: Request) -> Response:
    """``POST /_sandbox/issues/{key}/transition``: a person moves an issue to a status.

    Entering a done-category status sets the resolution (Done, or Won't Do) and
    ``resolutiondate``; leaving it clears both, as Jira's default workflow does.
    """
    actor = _person(app, request)
    body = request.json()
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise bad_request("Expected {'status': name}.")
    status = _named(app, "status", {"name": body["status"]}, "")
    done = (status.get("statusCategory") or {}).get("key") == "done"
    resolution = None
    if done:
        wanted = "Won't Do" if status["name"] == "Won't Do" else "Done"
        resolution = _named(app, "resolution", {"name": wanted}, wanted)
    key = app.store.get(request.route["key"])["key"]
    stamp = jira_timestamp(app.clock.now()) if done else None
    values = {"status": status, "resolution": resolution, "resolutiondate": stamp}
    app.store.commit(key, values, actor)
    return Response(200, {"key": key, "status": status["name"]})
