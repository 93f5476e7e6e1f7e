"""Schemathesis over the operations the sandbox implements, from Atlassian's official spec.

Generated requests (valid and invalid: Schemathesis mixes both) must never meet a server error
or a dropped connection: every answer is Jira's, a 2xx or a 4xx with a JSON body.

The spec is the vendored copy in ``tests/jira-openapi/`` (Apache 2.0, see its README), so a
fresh clone runs this test with no skips. Examples per operation are bounded to keep CI fast.

Schemathesis's response-conformance checks are not asserted, because real Jira itself differs
from its spec in these places (so a faithful sandbox does too):

- timestamps are ``2026-11-25T12:00:00.000+0000``: RFC 3339 ``date-time`` wants ``+00:00``;
- a 400 of ``/search/jql`` (and most 400s) has an ``ErrorCollection`` body the spec leaves
  undeclared, and 404/405/410/500 answers are undeclared for most operations;
- ``DELETE /issue`` and ``PUT /issue`` answer 204 with no ``Content-Type``;
- Jira accepts parameters the spec does not list (``fields`` repeated and comma-separated,
  ``reconcileIssues`` comma-separated) and ignores unknown ones.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

from roadmap_sync.sandbox.server import SandboxServer
from tests.conftest import REPO, site_data

SPEC = REPO / "tests" / "jira-openapi" / "jira-cloud-platform-v3.trimmed.json"
EXAMPLES = 25

# The operations the sandbox implements (Cloud, REST v3).
IMPLEMENTED = [
    ("GET", "/rest/api/3/search/jql"),
    ("POST", "/rest/api/3/search/jql"),
    ("GET", "/rest/api/3/search"),
    ("POST", "/rest/api/3/search"),
    ("POST", "/rest/api/3/search/approximate-count"),
    ("GET", "/rest/api/3/issue/{issueIdOrKey}"),
    ("PUT", "/rest/api/3/issue/{issueIdOrKey}"),
    ("DELETE", "/rest/api/3/issue/{issueIdOrKey}"),
    ("POST", "/rest/api/3/bulk/issues/fields"),
    ("GET", "/rest/api/3/bulk/queue/{taskId}"),
    ("GET", "/rest/api/3/project/{projectIdOrKey}/versions"),
    ("GET", "/rest/api/3/project/{projectIdOrKey}"),
    ("GET", "/rest/api/3/field"),
    ("GET", "/rest/api/3/myself"),
    ("GET", "/rest/api/3/serverInfo"),
    ("GET", "/rest/api/3/mypermissions"),
]


schema = schemathesis.openapi.from_path(SPEC).include(
    lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) in IMPLEMENTED
)


@pytest.fixture(scope="module")
def cloud() -> Iterator[SandboxServer]:
    """A Cloud sandbox for the generated requests (they may edit and delete issues)."""
    with SandboxServer(site_data(), flavor="cloud", bulk_delay=0.01) as site:
        yield site


def test_every_implemented_operation_is_in_the_spec() -> None:
    """The list above names real operations of the spec (a typo would test nothing)."""
    found = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert found == set(IMPLEMENTED)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error_and_no_dropped_connection(
    case: schemathesis.Case, cloud: SandboxServer
) -> None:
    """Any request, valid or not, gets an answer below 500 with a JSON body (or none)."""
    try:
        response = case.call(base_url=cloud.url, headers=cloud.auth_headers(), timeout=10)
    except requests.ConnectionError as error:
        pytest.fail(f"connection dropped for {case.method} {case.formatted_path}: {error}")
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.content:
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert str(content_type).count("application/json"), content_type
