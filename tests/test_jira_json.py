"""Jira's JSON bodies decode as they did with ``Response.json``, only faster (orjson)."""

from __future__ import annotations

import json
import math

import pytest
import requests

from roadmap_sync.runtime.retry import TRANSIENT_TRANSPORT_ERRORS
from roadmap_sync.trackers.jira.session import json_of


def response(
    body: bytes, content_type: str = "application/json;charset=UTF-8"
) -> requests.Response:
    made = requests.Response()
    made.status_code = 200
    made._content = body
    made.headers["Content-Type"] = content_type
    made.encoding = requests.utils.get_encoding_from_headers(made.headers)
    return made


def test_a_search_page_decodes_as_the_standard_library_decodes_it() -> None:
    page = {"issues": [{"key": "ACME-1", "fields": {"summary": "Ünïcode ✓", "labels": ["a"]}}]}
    body = json.dumps(page, ensure_ascii=False).encode()
    assert json_of(response(body)) == page


def test_what_only_the_standard_library_accepts_still_decodes() -> None:
    # NaN is not JSON, but Response.json read it; a lone surrogate escape likewise.
    assert math.isnan(json_of(response(b'{"points": NaN}'))["points"])
    assert json_of(response(b'{"summary": "\\ud800"}')) == {"summary": "\ud800"}
    latin = '{"summary": "Caf\u00e9"}'.encode("latin-1")
    assert json_of(response(latin, "application/json;charset=ISO-8859-1")) == {"summary": "Café"}


def test_a_body_cut_short_raises_the_error_the_retry_policy_retries() -> None:
    with pytest.raises(requests.exceptions.JSONDecodeError) as raised:
        json_of(response(b'{"issues": [{"key": "ACME-1"'))
    assert isinstance(raised.value, TRANSIENT_TRANSPORT_ERRORS)
