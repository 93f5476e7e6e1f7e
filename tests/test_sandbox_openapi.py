"""The sandbox's HTTP responses validate against Atlassian's official Jira Cloud OpenAPI spec.

The spec (vendored in ``tests/jira-openapi/``, Apache 2.0, see its README) is OpenAPI 3.0, whose
schema objects are a dialect of JSON Schema. ``jsonschema``'s Draft 2020-12 validator checks
them after a small, explicit translation (``oas30_to_json_schema``):

- ``nullable: true`` adds ``null`` to ``type`` (and to ``enum``); without a ``type`` the schema
  becomes ``anyOf [schema, {"type": "null"}]``;
- a ``$ref`` drops its sibling keywords, as OpenAPI 3.0 ignores them;
- a ``writeOnly`` property may not appear in a response (it becomes the ``false`` schema);
- ``readOnly``, ``xml``, ``example`` and ``externalDocs`` are annotations and stay inert.

``$ref``s such as ``#/components/schemas/IssueBean`` resolve through a ``referencing`` registry
holding the translated spec, and each endpoint's schema is the spec's own response schema for
that path, method and status (a JSON pointer into ``paths``), never a copy. Formats are
asserted; ``date-time`` accepts the ``+0000`` offsets that Jira itself sends (RFC 3339 wants
``+00:00``), so the check matches what real Jira returns rather than failing on it.

Every schema in the spec says ``additionalProperties: false``: a key the sandbox invents fails.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from jsonschema import (  # type: ignore[import-untyped]  # no stubs in the dev extras
    Draft202012Validator,
    FormatChecker,
)
from jsonschema.exceptions import SchemaError, ValidationError  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from roadmap_sync.sandbox.catalog import Flavor
from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import REPO, site_data

SPEC_PATH = REPO / "tests" / "jira-openapi" / "jira-cloud-platform-v3.trimmed.json"
SPEC_URI = "urn:atlassian:jira-cloud-platform-v3"
JSON = "application/json"
SEARCH_FIELDS = "summary,issuetype,status,labels,fixVersions,components,parent,project,updated"
# Field value types (``/field`` schema ``type``) and the spec schema real Jira returns for each.
FIELD_VALUE_SCHEMAS = {
    "status": "StatusDetails",
    "issuetype": "IssueTypeDetails",
    "project": "ProjectDetails",
    "version": "Version",
    "component": "ProjectComponent",
    "user": "UserDetails",
}
TIMEOUT = 10
MAX_REPORTED = 25  # violations listed in one failure message

# -- OpenAPI 3.0 -> JSON Schema 2020-12 ----------------------------------------------------------

_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def oas30_to_json_schema(schema: Any) -> Any:
    """Translate one OpenAPI 3.0 schema object (recursively) for a response validator."""
    if not isinstance(schema, dict):
        return schema  # ``true``/``false`` schemas
    if "$ref" in schema:
        return {"$ref": schema["$ref"]}
    out = dict(schema)
    for keyword in _SUBSCHEMA:
        if keyword in out:
            out[keyword] = oas30_to_json_schema(out[keyword])
    for keyword in _SUBSCHEMA_LISTS:
        if keyword in out:
            out[keyword] = [oas30_to_json_schema(s) for s in out[keyword]]
    if isinstance(out.get("properties"), dict):
        _translate_properties(out)
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if isinstance(out.get("enum"), list):
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _translate_properties(schema: dict[str, Any]) -> None:
    """Translate each property; a ``writeOnly`` one may not appear in a response at all."""
    original: dict[str, Any] = schema["properties"]
    properties = {name: oas30_to_json_schema(s) for name, s in original.items()}
    write_only = [
        name for name, s in original.items() if isinstance(s, dict) and s.get("writeOnly") is True
    ]
    for name in write_only:
        properties[name] = False
    schema["properties"] = properties
    if write_only and isinstance(schema.get("required"), list):
        schema["required"] = [name for name in schema["required"] if name not in write_only]


def translated_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's component schemas and response schemas, translated, at their own pointers."""
    paths: dict[str, Any] = {}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = paths.setdefault(path, {}).setdefault(method, {"responses": {}})
            for status, response in operation["responses"].items():
                content = {
                    media: {"schema": oas30_to_json_schema(body["schema"])}
                    for media, body in (response.get("content") or {}).items()
                    if isinstance(body, dict) and "schema" in body
                }
                responses["responses"][status] = {"content": content}
    schemas = spec["components"]["schemas"]
    return {
        "paths": paths,
        "components": {"schemas": {n: oas30_to_json_schema(s) for n, s in schemas.items()}},
    }


# -- formats -----------------------------------------------------------------------------------

_JIRA_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_RANGES = {"int32": 2**31, "int64": 2**63}

formats = FormatChecker(formats=())


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _JIRA_DATE_TIME.fullmatch(value):
        return False
    datetime.fromisoformat(value)  # 2025-13-45T... raises: not a date-time
    return True


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    date.fromisoformat(value)
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _int_range(bound: int) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, int):
            return True
        return -bound <= value < bound

    return check


formats.checks("date-time", raises=ValueError)(_is_date_time)
formats.checks("date", raises=ValueError)(_is_date)
formats.checks("uri")(_is_uri)
for _name, _bound in _INT_RANGES.items():
    formats.checks(_name)(_int_range(_bound))


# -- the validator -----------------------------------------------------------------------------


class OpenApiSpec:
    """Validators for the spec's schemas, addressed by path/method/status or component name."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.raw = spec
        self.translated = translated_spec(spec)
        resource = DRAFT202012.create_resource(self.translated)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)

    @staticmethod
    def _pointer(*parts: str) -> str:
        return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)

    def declared(self, path: str, method: str, status: int) -> dict[str, Any]:
        """The spec's response object (fails the test when the spec lacks the response)."""
        operation = self.raw["paths"].get(path, {}).get(method.lower())
        assert operation is not None, f"the spec has no {method} {path}"
        response = operation["responses"].get(str(status))
        assert response is not None, f"the spec declares no {status} for {method} {path}"
        declared: dict[str, Any] = response
        return declared

    def response_ref(self, path: str, method: str, status: int) -> str:
        """The ``$ref`` of the JSON body schema for one response of one operation."""
        content = self.declared(path, method, status).get("content") or {}
        assert JSON in content, f"the spec gives no JSON body for {status} on {method} {path}"
        pointer = self._pointer(
            "paths", path, method.lower(), "responses", str(status), "content", JSON, "schema"
        )
        return f"{SPEC_URI}#/{pointer}"

    def component_ref(self, name: str) -> str:
        """The ``$ref`` of a component schema."""
        assert name in self.raw["components"]["schemas"], f"no component schema {name}"
        return f"{SPEC_URI}#/components/schemas/{name}"

    def validator(self, ref: str) -> Draft202012Validator:
        """A Draft 2020-12 validator for the schema at ``ref``."""
        return Draft202012Validator({"$ref": ref}, registry=self.registry, format_checker=formats)

    def errors(self, body: Any, ref: str) -> list[ValidationError]:
        """Every violation of the schema at ``ref``, in document order."""
        errors = self.validator(ref).iter_errors(body)
        return sorted(errors, key=lambda e: [(isinstance(p, str), p) for p in e.path])


def describe(errors: list[ValidationError]) -> str:
    """One line per violation: where in the body, and what the schema said."""
    lines = []
    for error in errors:
        leaves = error.context or [error]
        for leaf in leaves:
            where = "$" + "".join(f"[{p!r}]" for p in leaf.absolute_path)
            lines.append(f"{where}: {leaf.message} (schema {'/'.join(map(str, leaf.schema_path))})")
    if len(lines) > MAX_REPORTED:
        lines[MAX_REPORTED:] = [f"... and {len(lines) - MAX_REPORTED} more"]
    return "\n".join(lines)


def assert_valid(spec: OpenApiSpec, body: Any, ref: str) -> None:
    """Fail with every violation listed when ``body`` does not match the schema at ``ref``."""
    errors = spec.errors(body, ref)
    assert not errors, f"response violates {ref}:\n{describe(errors)}"


@cache
def _load_spec() -> OpenApiSpec:
    return OpenApiSpec(json.loads(SPEC_PATH.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def spec() -> OpenApiSpec:
    """The translated spec (vendored, so always present)."""
    return _load_spec()


# -- sandbox sites -----------------------------------------------------------------------------


def _headers(site: SandboxServer) -> dict[str, str]:
    return {**site.auth_headers(), "Accept": JSON}


class Client:
    """A ``requests`` session against one sandbox site that checks the status it got."""

    def __init__(self, site: SandboxServer) -> None:
        self.site = site
        self.session = requests.Session()
        self.session.headers.update(site.auth_headers())

    def call(
        self, method: str, path: str, status: int, *, params: Any = None, json_body: Any = None
    ) -> Any:
        """The JSON body of a response that must have the given status."""
        response = self.session.request(
            method, self.site.url + path, params=params, json=json_body, timeout=TIMEOUT
        )
        assert response.status_code == status, (method, path, response.status_code, response.text)
        assert response.headers["Content-Type"].startswith(JSON)
        return response.json()


def _site(flavor: Flavor) -> Iterator[Client]:
    with SandboxServer(site_data(200), flavor=flavor, bulk_delay=0.01) as site:
        client = Client(site)
        yield client
        client.session.close()


@pytest.fixture(scope="module")
def cloud() -> Iterator[Client]:
    """A Cloud sandbox with 200 generated issues, shared by this module's read-only tests."""
    yield from _site("cloud")


@pytest.fixture(scope="module")
def datacenter() -> Iterator[Client]:
    """A Data Center sandbox with 200 generated issues."""
    yield from _site("datacenter")


@pytest.fixture(params=["cloud", "datacenter"])
def any_site(request: pytest.FixtureRequest) -> Client:
    """Each flavor in turn (for endpoints whose shape both flavors share)."""
    client: Client = request.getfixturevalue(request.param)
    return client


def _api(client: Client) -> str:
    """The newest REST version the flavor serves: Cloud v3, Data Center v2."""
    return "/rest/api/3" if client.site.flavor == "cloud" else "/rest/api/2"


# -- search ------------------------------------------------------------------------------------

SEARCH_JQL = "/rest/api/3/search/jql"


def _search_jql(cloud: Client, method: str, params: dict[str, Any]) -> Any:
    if method == "GET":
        return cloud.call("GET", SEARCH_JQL, 200, params=params)
    body = dict(params)
    if "fields" in body:
        body["fields"] = str(body["fields"]).split(",")
    return cloud.call("POST", SEARCH_JQL, 200, json_body=body)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("fields", [SEARCH_FIELDS, "*all", None], ids=["fields", "all", "ids"])
def test_search_jql_pages_match_the_spec(
    spec: OpenApiSpec, cloud: Client, method: str, fields: str | None
) -> None:
    """Each ``/search/jql`` page (first to last, GET and POST) is a SearchAndReconcileResults."""
    ref = spec.response_ref(SEARCH_JQL, method, 200)
    params: dict[str, Any] = {"jql": "project = ACME ORDER BY key ASC", "maxResults": 60}
    if fields is not None:
        params["fields"] = fields
    pages = 0
    while True:
        page = _search_jql(cloud, method, params)
        assert_valid(spec, page, ref)
        assert page["issues"]
        if fields is None:
            assert set(page["issues"][0]) == {"id"}
        pages += 1
        if page["isLast"]:
            break
        params["nextPageToken"] = page["nextPageToken"]
    assert pages >= 2


def test_every_issue_of_a_search_matches_issue_bean(spec: OpenApiSpec, cloud: Client) -> None:
    """All 200 generated issues, with ``*all`` fields, validate as IssueBean inside search pages."""
    ref = spec.response_ref(SEARCH_JQL, "POST", 200)
    body: dict[str, Any] = {"jql": "project in (ACME, OPS)", "fields": ["*all"], "maxResults": 100}
    seen = 0
    while True:
        page = cloud.call("POST", SEARCH_JQL, 200, json_body=body)
        assert_valid(spec, page, ref)
        seen += len(page["issues"])
        if page["isLast"]:
            break
        body["nextPageToken"] = page["nextPageToken"]
    assert seen == len(cloud.site.store.issues)


def test_approximate_count_matches_the_spec(spec: OpenApiSpec, cloud: Client) -> None:
    """``POST /search/approximate-count`` answers JQLCountResultsBean."""
    path = "/rest/api/3/search/approximate-count"
    body = cloud.call("POST", path, 200, json_body={"jql": "project = OPS"})
    assert_valid(spec, body, spec.response_ref(path, "POST", 200))


def test_datacenter_search_matches_search_results(spec: OpenApiSpec, datacenter: Client) -> None:
    """Data Center's ``/rest/api/2/search`` (startAt paging) matches the spec's SearchResults."""
    ref = spec.response_ref("/rest/api/3/search", "GET", 200)
    start = 0
    while True:
        page = datacenter.call(
            "GET",
            "/rest/api/2/search",
            200,
            params={"jql": "project = ACME ORDER BY key ASC", "startAt": start, "maxResults": 70},
        )
        assert_valid(spec, page, ref)
        start += len(page["issues"])
        if start >= page["total"]:
            break
    posted = datacenter.call(
        "POST",
        "/rest/api/2/search",
        200,
        json_body={"jql": "project = OPS", "fields": SEARCH_FIELDS.split(","), "maxResults": 5},
    )
    assert_valid(spec, posted, spec.response_ref("/rest/api/3/search", "POST", 200))


# -- issues ------------------------------------------------------------------------------------

ISSUE_PATH = "/rest/api/3/issue/{issueIdOrKey}"


def _sample_keys(client: Client) -> list[str]:
    """One issue of each issue type, plus one with a parent and one with a description."""
    chosen: dict[str, str] = {}
    for key, issue in client.site.store.issues.items():
        fields = issue["fields"]
        chosen.setdefault(str(fields["issuetype"]["name"]), key)
        if fields.get("parent"):
            chosen.setdefault("with parent", key)
        if fields.get("description"):
            chosen.setdefault("with description", key)
        if fields.get("fixVersions"):
            chosen.setdefault("with fixVersions", key)
    return sorted(set(chosen.values()))


@pytest.mark.parametrize("fields", [None, "*all", "summary,labels", "*all,-description"])
def test_issue_get_matches_issue_bean(
    spec: OpenApiSpec, any_site: Client, fields: str | None
) -> None:
    """``GET /issue/{key}`` (Cloud v3 and v2, Data Center v2) is an IssueBean for every type."""
    ref = spec.response_ref(ISSUE_PATH, "GET", 200)
    versions = ["3", "2"] if any_site.site.flavor == "cloud" else ["2"]
    params = {"fields": fields} if fields else None
    for key in _sample_keys(any_site):
        for version in versions:
            body = any_site.call("GET", f"/rest/api/{version}/issue/{key}", 200, params=params)
            assert_valid(spec, body, ref)


def _field_value_refs(spec: OpenApiSpec, client: Client) -> dict[str, str]:
    """Field id -> spec schema for its values, from the site's own ``/field`` catalogue."""
    refs: dict[str, str] = {}
    for field in client.call("GET", f"{_api(client)}/field", 200):
        schema = field.get("schema") or {}
        kind = schema.get("items") if schema.get("type") == "array" else schema.get("type")
        if kind in FIELD_VALUE_SCHEMAS:
            refs[field["id"]] = spec.component_ref(FIELD_VALUE_SCHEMAS[kind])
    return refs


def test_issue_field_values_match_their_spec_schemas(spec: OpenApiSpec, any_site: Client) -> None:
    """Status, issue type, project, versions and components inside issues match the spec's beans.

    IssueBean leaves ``fields`` open, so this goes one step further than the response schema:
    each value is checked against the schema Jira documents for its type (``/field`` says which).
    """
    refs = _field_value_refs(spec, any_site)
    assert {"status", "issuetype", "project", "fixVersions", "components"} <= set(refs)
    problems: list[str] = []
    for issue in any_site.site.store.issues.values():
        body = any_site.call("GET", f"{_api(any_site)}/issue/{issue['key']}", 200)
        for field_id, ref in refs.items():
            value = body["fields"].get(field_id)
            values = value if isinstance(value, list) else [value]
            for item in values:
                if item is None:
                    continue
                errors = spec.errors(item, ref)
                if errors:
                    problems.append(f"{issue['key']} fields.{field_id}:\n{describe(errors)}")
    assert not problems, "\n".join(problems[:20])


# -- bulk edit ---------------------------------------------------------------------------------

BULK = "/rest/api/3/bulk/issues/fields"
QUEUE = "/rest/api/3/bulk/queue/{taskId}"


def test_bulk_submit_and_progress_match_the_spec(spec: OpenApiSpec, cloud: Client) -> None:
    """Bulk submit answers 201 SubmittedBulkOperation; every poll is a BulkOperationProgress."""
    keys = [k for k in cloud.site.store.issues if k.startswith("OPS-")][:5]
    request = {
        "selectedActions": ["labels"],
        "selectedIssueIdsOrKeys": [*keys, "OPS-999999"],
        "editedFieldsInput": {
            "labelsFields": [
                {"bulkEditMultiSelectFieldOption": "ADD", "labels": [{"name": "openapi-check"}]}
            ]
        },
        "sendBulkNotification": False,
    }
    submitted = cloud.call("POST", BULK, 201, json_body=request)
    assert_valid(spec, submitted, spec.response_ref(BULK, "POST", 201))
    ref = spec.response_ref(QUEUE, "GET", 200)
    statuses = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        progress = cloud.call("GET", f"/rest/api/3/bulk/queue/{submitted['taskId']}", 200)
        assert_valid(spec, progress, ref)
        statuses.append(progress["status"])
        if progress["status"] == "COMPLETE":
            break
        time.sleep(0.005)
    assert statuses[-1] == "COMPLETE"
    assert progress["invalidOrInaccessibleIssueCount"] == 1


# -- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec_path", "path", "params"),
    [
        ("/rest/api/3/serverInfo", "/serverInfo", None),
        ("/rest/api/3/myself", "/myself", None),
        ("/rest/api/3/field", "/field", None),
        ("/rest/api/3/project/{projectIdOrKey}", "/project/ACME", None),
        ("/rest/api/3/project/{projectIdOrKey}", "/project/10001", None),
        ("/rest/api/3/project/{projectIdOrKey}/versions", "/project/ACME/versions", None),
        ("/rest/api/3/project/{projectIdOrKey}/versions", "/project/OPS/versions", None),
        (
            "/rest/api/3/mypermissions",
            "/mypermissions",
            {"projectKey": "ACME", "permissions": "BROWSE_PROJECTS,EDIT_ISSUES"},
        ),
    ],
)
def test_metadata_endpoints_match_the_spec(
    spec: OpenApiSpec, any_site: Client, spec_path: str, path: str, params: Any
) -> None:
    """serverInfo, myself, field, project, versions, mypermissions match the spec (both flavors)."""
    body = any_site.call("GET", _api(any_site) + path, 200, params=params)
    assert_valid(spec, body, spec.response_ref(spec_path, "GET", 200))


# -- errors ------------------------------------------------------------------------------------


def test_jql_error_is_an_error_collection(spec: OpenApiSpec, any_site: Client) -> None:
    """A malformed query's 400 (the spec declares it without a body) is an ErrorCollection."""
    if any_site.site.flavor == "cloud":
        path, spec_path = SEARCH_JQL, SEARCH_JQL
    else:
        path, spec_path = "/rest/api/2/search", "/rest/api/3/search"
    spec.declared(spec_path, "GET", 400)
    body = any_site.call("GET", path, 400, params={"jql": "project = = ACME"})
    assert body["errorMessages"]
    assert_valid(spec, body, spec.component_ref("ErrorCollection"))


def test_permission_errors_match_the_spec(spec: OpenApiSpec, any_site: Client) -> None:
    """``mypermissions`` 404 (unknown project) answers the spec's ErrorCollection."""
    path = "/rest/api/3/mypermissions"
    body = any_site.call(
        "GET",
        f"{_api(any_site)}/mypermissions",
        404,
        params={"projectKey": "NOPE", "permissions": "BROWSE_PROJECTS"},
    )
    assert_valid(spec, body, spec.response_ref(path, "GET", 404))


def test_unauthenticated_is_an_error_collection(spec: OpenApiSpec, any_site: Client) -> None:
    """A request without credentials gets 401 with the spec's ErrorCollection body."""
    response = requests.get(f"{any_site.site.url}{_api(any_site)}/myself", timeout=TIMEOUT)
    assert response.status_code == 401
    spec.declared("/rest/api/3/myself", "GET", 401)
    assert_valid(spec, response.json(), spec.component_ref("ErrorCollection"))


@pytest.mark.parametrize(
    "request_body",
    [
        {"selectedActions": ["labels"], "selectedIssueIdsOrKeys": ["ACME-1"]},
        {
            "selectedActions": ["labels"],
            "selectedIssueIdsOrKeys": ["ACME-1"],
            "editedFieldsInput": {
                "labelsFields": [
                    {"bulkEditMultiSelectFieldOption": "ADD", "labels": [{"name": "two words"}]}
                ]
            },
        },
    ],
    ids=["no-edited-fields", "label-with-space"],
)
def test_bulk_error_is_a_bulk_operation_error_response(
    spec: OpenApiSpec, cloud: Client, request_body: dict[str, Any]
) -> None:
    """A refused bulk edit answers 400 with the spec's BulkOperationErrorResponse."""
    body = cloud.call("POST", BULK, 400, json_body=request_body)
    assert_valid(spec, body, spec.response_ref(BULK, "POST", 400))


# -- the validator bites -----------------------------------------------------------------------


def _drifted(body: Any, change: Callable[[Any], None]) -> Any:
    copied = copy.deepcopy(body)
    change(copied)
    return copied


def test_validation_fails_when_a_response_drifts(spec: OpenApiSpec, cloud: Client) -> None:
    """Real responses with an invented key, a wrong type or a missing required key fail."""
    page = cloud.call("GET", SEARCH_JQL, 200, params={"jql": "project = ACME", "fields": "summary"})
    search_ref = spec.response_ref(SEARCH_JQL, "GET", 200)
    assert_valid(spec, page, search_ref)
    drifts: dict[str, Callable[[Any], None]] = {
        "invented top-level key": lambda b: b.update(total=len(b["issues"])),
        "isLast as a string": lambda b: b.update(isLast="false"),
        "null nextPageToken": lambda b: b.update(nextPageToken=None),
        "invented issue key": lambda b: b["issues"][0].update(rank="0|hzzzzz:"),
        "numeric issue id": lambda b: b["issues"][0].update(id=10000),
        "relative self link": lambda b: b["issues"][0].update(self="/rest/api/3/issue/1"),
    }
    for name, change in drifts.items():
        assert spec.errors(_drifted(page, change), search_ref), f"{name} went unnoticed"

    versions = cloud.call("GET", "/rest/api/3/project/ACME/versions", 200)
    versions_ref = spec.response_ref("/rest/api/3/project/{projectIdOrKey}/versions", "GET", 200)
    assert_valid(spec, versions, versions_ref)
    for name, change in {
        "invented version key": lambda b: b[0].update(sandboxOnly=True),
        "releaseDate in Jira's display format": lambda b: b[0].update(releaseDate="15/Oct/26"),
        "projectId as a string": lambda b: b[0].update(projectId="10000"),
    }.items():
        assert spec.errors(_drifted(versions, change), versions_ref), f"{name} went unnoticed"

    fields_ref = spec.response_ref("/rest/api/3/field", "GET", 200)
    catalogue = cloud.call("GET", "/rest/api/3/field", 200)
    without_type = _drifted(catalogue, lambda b: b[0]["schema"].pop("type"))
    assert spec.errors(without_type, fields_ref), "a missing required JsonTypeBean.type passed"


def test_translation_handles_nullable_and_write_only(spec: OpenApiSpec) -> None:
    """``nullable`` admits null only where the spec says so; ``writeOnly`` keys fail responses."""
    group = spec.component_ref("GroupName")
    assert not spec.errors({"name": "jira-users", "groupId": None}, group)
    assert spec.errors({"name": None}, group)
    component = spec.component_ref("ProjectComponent")
    assert not spec.errors({"id": "10100", "name": "Web"}, component)
    assert spec.errors({"id": "10100", "leadAccountId": "5b10ac8d82e05b22cc7d4ef5"}, component)


def test_translated_spec_is_valid_json_schema(spec: OpenApiSpec) -> None:
    """Every translated component schema is a valid Draft 2020-12 schema."""
    for name, schema in spec.translated["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            pytest.fail(f"{name}: {error.message}")
