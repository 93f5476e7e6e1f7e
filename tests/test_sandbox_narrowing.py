"""Search that looks only where the matches can be answers what evaluating every issue answers.

The sandbox answers ``updated >= X`` from issues ordered by ``updated``, ``key in (...)`` from
the named issues, and counts or runs a query without dates it saw before by re-evaluating only
the issues changed since, keeping each order until something search shows changes
(``sandbox/recency.py``, ``SearchEngine._kept``). These tests run random person edits,
creations, deletions, bulk edits and the passing of time (the JQL clock and the index lag), then
compare every answer with a full evaluation over search's view of every issue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap_sync.jql.parser import parse
from roadmap_sync.sandbox.catalog import default_accounts
from roadmap_sync.sandbox.index import SearchIndex
from roadmap_sync.sandbox.jql.eval import compile_query
from roadmap_sync.sandbox.searching import SearchEngine
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.sandbox.store import SiteStore
from tests.conftest import site_data
from tests.test_sandbox_jira_client import person_edit

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
QUERIES = (
    "project = ACME AND updated >= -{m}m ORDER BY key ASC",
    "updated > -{m}m AND labels = flagged",
    'updated >= "2026-11-20 09:{mm}" ORDER BY updated DESC',
    "key in (ACME-3, ACME-{n}) AND project = ACME",
    "issuekey = ACME-{n} OR labels = flagged",
    "project = ACME AND issuetype in (Story, Bug)",
    "labels = flagged",
    "project = ACME ORDER BY key ASC",
    "project = ACME AND issuetype = Story ORDER BY summary DESC",
)


class Clocks:
    """The site's JQL clock and the index's monotonic clock, moved by the test."""

    def __init__(self) -> None:
        self.site = START
        self.monotonic = 1000.0


def _store(clocks: Clocks) -> SiteStore:
    accounts = default_accounts("bot@example.com", "secret-token")
    store = SiteStore(site_data(60), "cloud", accounts, clock=lambda: clocks.site)
    store.index = SearchIndex(3.0, monotonic=lambda: clocks.monotonic)
    return store


def _everything(search: SearchEngine, jql: str) -> tuple[str, ...]:
    """The reference: the query evaluated over search's view of every issue."""
    compiled = compile_query(parse(jql), search.context())
    shown: list[Mapping[str, Any]] = list(search.store.index.view(search.store.issues))
    return tuple(issue["key"] for issue in compiled.sort([i for i in shown if compiled.matches(i)]))


def _step(store: SiteStore, clocks: Clocks, kind: str, number: int, *, bulk: bool) -> None:
    """One thing that happens on the site: an edit, a creation, a deletion, time passing."""
    person, key = store.accounts[-1], f"ACME-{number}"
    if kind == "time":
        clocks.site += dt.timedelta(minutes=number)
    elif kind == "lag":
        clocks.monotonic += number / 10
    elif kind == "create":
        fields = {"summary": "new", "issuetype": {"name": "Story"}, "project": {"key": "ACME"}}
        store.create(fields, person)
    elif store.find(key) is None:
        return
    elif kind == "delete":
        store.delete(key, person)
    else:
        labels = list(store.get(key)["fields"].get("labels") or [])
        values = {
            "label": {"labels": [*labels, "flagged"]},
            "unlabel": {"labels": [x for x in labels if x != "flagged"]},
            "summary": {"summary": f"edited {number}"},
        }[kind]
        store.commit(key, values, person, bulk=bulk)


steps = st.lists(
    st.tuples(
        st.sampled_from(["label", "unlabel", "summary", "create", "delete", "time", "lag"]),
        st.integers(1, 70),
        st.booleans(),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=steps, minutes=st.integers(1, 90))
def test_narrowed_search_and_kept_counts_equal_a_full_evaluation(
    steps: list[tuple[str, int, bool]], minutes: int
) -> None:
    clocks = Clocks()
    store = _store(clocks)
    # One engine per query, so that no query's kept matches make way for another's.
    engines = {template: SearchEngine(store) for template in QUERIES}
    for template, search in engines.items():  # seen once before: later looks re-evaluate
        search.count(template.format(m=minutes, mm="30", n=5))  # only the changes
    for kind, number, bulk in steps:
        _step(store, clocks, kind, number, bulk=bulk)
        existing = next(k for k in store.issues if k != "ACME-3").rpartition("-")[2]
        for template, search in engines.items():
            jql = template.format(m=minutes, mm=f"{number % 60:02d}", n=existing)
            if "ACME-3" in jql and store.find("ACME-3") is None:
                continue  # Jira refuses a key that does not exist
            expected = _everything(search, jql)
            assert search.run(jql) == expected, jql
            assert search.count(jql) == len(expected), jql
            assert search.run(jql) == expected, jql  # the order kept by the first run


def test_a_relative_date_query_is_not_served_from_an_earlier_minute() -> None:
    """Data Center keeps a query's matches between page requests until the site changes; a
    query with a relative date must not get the matches of an earlier moment (the sandbox's
    clock may move while nothing changes)."""
    clocks = Clocks()
    store = _store(clocks)
    store.index = SearchIndex(0.0)
    search = SearchEngine(store)
    store.commit("ACME-4", {"summary": "touched"}, store.accounts[-1])
    jql = "project = ACME AND updated >= -10m ORDER BY key ASC"
    assert "ACME-4" in search.rerun(jql)
    clocks.site += dt.timedelta(minutes=30)
    assert "ACME-4" not in search.rerun(jql)
    assert search.rerun(jql) == _everything(search, jql)


@pytest.fixture
def datacenter() -> Any:
    with SandboxServer(site_data(80), flavor="datacenter") as server:
        yield server


def test_a_total_without_issues_follows_edits(datacenter: SandboxServer) -> None:
    """``maxResults=0`` (how a client asks Data Center for a total) counts what search sees
    now: an edit that takes an issue out of the query takes it out of the total at once."""

    def total(jql: str) -> int:
        answer = requests.get(
            f"{datacenter.url}/rest/api/2/search",
            params={"jql": jql, "maxResults": 0},
            headers=datacenter.auth_headers(),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["issues"] == []
        return int(answer.json()["total"])

    jql = "project = ACME AND summary !~ zzgone"
    before = total(jql)
    assert before == len(datacenter.app.search.run(jql)) > 0
    key = datacenter.app.search.run(jql)[0]
    person_edit(datacenter, key, {"fields": {"summary": "zzgone now"}})
    assert total(jql) == before - 1
