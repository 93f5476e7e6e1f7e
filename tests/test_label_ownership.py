"""Label ownership under random label sets, plans and concurrent edits (Hypothesis).

The bot owns the labels it writes now and those it wrote before; a person's label, even one that
starts with the bot's prefix, and the opt-out label must survive every plan and every
interleaving with people's edits.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap_sync.cli import main
from roadmap_sync.core.classify import classify
from roadmap_sync.core.model import BacklogItem, LabelChange
from roadmap_sync.core.plan import owned_set, plan_labels
from roadmap_sync.core.roadmap import PREFIX_SEPARATORS, Roadmap
from roadmap_sync.core.roadmap.errors import RoadmapError
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.store import StateStore
from tests.conftest import REPO, point_cli_at, site_data
from tests.test_sync_integration import tracker_for

TODAY = dt.date(2026, 11, 1)
EPICS = ("ACME-1", "ACME-2", "ACME-3")
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=8)


def roadmap_with(prefix: str) -> Roadmap:
    """Two releases claiming epics ACME-1 and ACME-2, labels under ``prefix``."""
    return Roadmap.model_validate(
        {
            "product": "P",
            "tracker": {"projects": ["ACME"]},
            "labels": {"prefix": prefix},
            "releases": [
                {"id": "r1", "name": "One", "date": "2026-11-15", "goal": "G1",
                 "fix_versions": ["1.0"], "features": [{"name": "F1", "epics": ["ACME-1"]}]},
                {"id": "r2", "name": "Two", "date": "2026-12-15", "goal": "G2",
                 "fix_versions": ["2.0"], "features": [{"name": "F2", "epics": ["ACME-2"]}]},
            ],
        }
    )  # fmt: skip


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Roadmap, frozenset[str], list[BacklogItem]]:
    """A roadmap, the labels the bot wrote before, and a backlog with random labels."""
    prefix = draw(st.sampled_from(["roadmap", "rs", "bot", "x"])) + draw(
        st.sampled_from(PREFIX_SEPARATORS)
    )
    roadmap = roadmap_with(prefix)
    bot = sorted(roadmap.bot_labels)
    stale = [prefix + "r0", prefix + "old"]
    written = frozenset(draw(st.lists(st.sampled_from([*bot, *stale]), max_size=4)))
    pool = st.one_of(
        st.sampled_from([*bot, *stale, roadmap.labels.opt_out]),
        WORDS.map(lambda w: prefix + w),  # a person's label that happens to carry the prefix
        WORDS,  # a person's label
        st.sampled_from(["roadmap", prefix.rstrip("-_:/."), prefix.upper() + "r1"]),
    )
    items = [
        BacklogItem(key, issue_type="Epic", hierarchy_level=1, labels=tuple(draw(st.lists(pool))))
        for key in EPICS
    ]
    versions = st.lists(st.sampled_from(["1.0", "2.0", "9.9"]), max_size=2)
    for n in range(draw(st.integers(1, 8))):
        items.append(
            BacklogItem(
                f"ACME-{10 + n}",
                parent_key=draw(st.sampled_from([None, *EPICS])),
                labels=tuple(draw(st.lists(pool, max_size=6))),
                fix_versions=tuple(draw(versions)),
                status_category=draw(st.sampled_from(["new", "indeterminate", "done"])),
            )
        )  # fmt: skip
    return roadmap, written, items


def plan_of(
    roadmap: Roadmap, written: Iterable[str], items: list[BacklogItem]
) -> list[LabelChange]:
    """The planned label changes."""
    result = classify(items, roadmap, today=TODAY, known_versions={"1.0", "2.0"})
    return list(plan_labels(result, items, roadmap, frozenset(written)).changes)


def jira_update(labels: Iterable[str], change: LabelChange) -> tuple[str, ...]:
    """What Jira's ``update`` add/remove verbs do to an issue's labels as they are now."""
    current = [label for label in labels if label not in change.remove]
    return tuple(current + [label for label in change.add if label not in current])


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_plans_remove_only_owned_labels(
    scenario: tuple[Roadmap, frozenset[str], list[BacklogItem]],
) -> None:
    """Every removal is a label the bot writes or wrote; never the opt-out or a person's label."""
    roadmap, written, items = scenario
    owned = owned_set(roadmap, written)
    for change in plan_of(roadmap, written, items):
        assert set(change.remove) <= owned
        assert roadmap.labels.opt_out not in change.remove
        assert set(change.add) <= roadmap.bot_labels
        foreign = [label for label in change.before if label not in owned]
        assert all(label in change.after for label in foreign)


@settings(max_examples=300, deadline=None)
@given(scenarios(), st.data())
def test_concurrent_person_edits_survive(
    scenario: tuple[Roadmap, frozenset[str], list[BacklogItem]], data: st.DataObject
) -> None:
    """A person edits labels between plan and apply: everything they added stays."""
    roadmap, written, items = scenario
    owned = owned_set(roadmap, written)
    for change in plan_of(roadmap, written, items):
        person_adds = data.draw(
            st.lists(st.one_of(WORDS, WORDS.map(roadmap.labels.prefix.__add__)))
        )
        person_removes = data.draw(st.lists(st.sampled_from(change.before or ("none",))))
        edited = [label for label in change.before if label not in person_removes]
        edited += [label for label in person_adds if label not in edited]
        final = jira_update(edited, change)
        for label in edited:
            if label not in owned:
                assert label in final, f"{label!r} (not the bot's) was lost"


@settings(max_examples=200, deadline=None)
@given(scenarios())
def test_second_plan_over_the_result_is_empty(
    scenario: tuple[Roadmap, frozenset[str], list[BacklogItem]],
) -> None:
    """Applying a plan and planning again writes nothing, whatever labels people keep."""
    roadmap, written, items = scenario
    after = {
        change.key: jira_update(change.before, change)
        for change in plan_of(roadmap, written, items)
    }
    applied = [item._replace(labels=after.get(item.key, item.labels)) for item in items]
    assert plan_of(roadmap, written | roadmap.bot_labels, applied) == []


@pytest.mark.parametrize("prefix", ["road", "roadmap", "rs1", "bot"])
def test_prefix_without_separator_is_refused(tmp_path: Path, prefix: str) -> None:
    """A prefix that does not end in - _ : / . is a located error: 'road' would eat 'roadmap'."""
    text = (REPO / "config" / "roadmap.minimal.yaml").read_text()
    path = tmp_path / "roadmap.yaml"
    path.write_text(text + f"labels:\n  prefix: {prefix}\n  orphan: {prefix}-orphan\n"
                    f"  out_of_scope: {prefix}-oos\n  opt_out: {prefix}-ignore\n")  # fmt: skip
    with pytest.raises(RoadmapError) as raised:
        load_roadmap(path)
    message = str(raised.value)
    assert "labels.prefix" in message and "must end in a separator" in message


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(WORDS.map("roadmap-".__add__), min_size=1, max_size=3, unique=True))
def test_sandbox_run_keeps_people_prefixed_labels(tmp_path: Path, people: list[str]) -> None:
    """Against a real Jira stand-in: people's 'roadmap-*' labels survive two runs."""
    roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
    people = [label for label in people if label not in roadmap.bot_labels | {"roadmap-ignore"}]
    with SandboxServer(site_data(60, seed=2), flavor="datacenter") as site:
        keys = sorted(k for k in site.store.issues if k.startswith("ACME-"))[:10]
        for key in keys:
            requests.post(
                f"{site.url}/_sandbox/issues/{key}/edit",
                json={"update": {"labels": [{"add": label} for label in people]}},
                timeout=5,
            ).raise_for_status()
        tracker = tracker_for(site)
        url = f"sqlite:///{tmp_path / f'state-{abs(hash(tuple(people)))}.db'}"
        with StateStore.open(url) as store:
            for _ in range(2):
                sync_and_record(roadmap, tracker, store, kind="run", force=True)
        for key in keys:
            labels = site.store.get(key)["fields"]["labels"]
            assert set(people) <= set(labels), (key, labels)


def test_plan_lists_foreign_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``plan`` names a person's prefixed label as foreign, in JSON and in the table."""
    with SandboxServer(site_data(60, seed=2), flavor="datacenter") as site:
        requests.post(
            f"{site.url}/_sandbox/issues/ACME-20/edit",
            json={"update": {"labels": [{"add": "roadmap-notes"}]}},
            timeout=5,
        ).raise_for_status()
        point_cli_at(site, monkeypatch, tmp_path)
        config = str(REPO / "config" / "roadmap.example.yaml")
        assert main(["plan", "--format", "json", "--config", config]) == 0
        document = json.loads(capsys.readouterr().out)
        assert {"key": "ACME-20", "label": "roadmap-notes"} in document["foreign_labels"]
        assert main(["plan", "--config", config]) == 0
        assert "foreign_label" in capsys.readouterr().out
        assert not (tmp_path / "data" / "state.db").exists(), "plan must not create a store"
