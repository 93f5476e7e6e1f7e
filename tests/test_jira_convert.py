"""Tests for the Jira adapter's boundary: issue JSON (Cloud and Data Center) to BacklogItem."""

from __future__ import annotations

from typing import Any

import pytest

from roadmap_sync.core.model import BacklogItem
from roadmap_sync.trackers.jira.convert import item_from_json

EPIC_LINK = "customfield_10014"
POINTS = "customfield_10016"


def issue(**fields: Any) -> dict[str, Any]:
    """A Jira REST issue with the fields a Cloud story usually has, overridden by `fields`."""
    base: dict[str, Any] = {
        "summary": "Pay with Apple Pay",
        "project": {"key": "ACME"},
        "issuetype": {"name": "Story", "subtask": False, "hierarchyLevel": 0},
        "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
        "labels": ["frontend"],
        "fixVersions": [{"name": "2026.11"}],
        "components": [{"name": "Web"}],
    }
    base.update(fields)
    return {"id": "10031", "key": "ACME-31", "fields": base}


def convert(raw: dict[str, Any], *, epic_link: str | None = EPIC_LINK) -> BacklogItem:
    return item_from_json(raw, epic_link_field=epic_link, story_points_field=POINTS)


def test_cloud_story_converts_every_field() -> None:
    """A complete Cloud story maps onto every BacklogItem field."""
    raw = issue(parent={"key": "ACME-7", "fields": {}}, **{POINTS: 5})
    assert convert(raw) == BacklogItem(
        key="ACME-31",
        summary="Pay with Apple Pay",
        project="ACME",
        issue_type="Story",
        hierarchy_level=0,
        status="In Progress",
        status_category="indeterminate",
        parent_key="ACME-7",
        labels=("frontend",),
        fix_versions=("2026.11",),
        components=("Web",),
        story_points=5.0,
    )


@pytest.mark.parametrize(
    ("fields", "epic_link", "expected"),
    [
        pytest.param({"parent": {"key": "ACME-7"}}, EPIC_LINK, "ACME-7", id="cloud-parent"),
        pytest.param({EPIC_LINK: "ACME-7"}, EPIC_LINK, "ACME-7", id="dc-epic-link"),
        pytest.param({EPIC_LINK: {"key": "ACME-7"}}, EPIC_LINK, "ACME-7", id="epic-link-object"),
        pytest.param(
            {"parent": {"key": "ACME-30"}, EPIC_LINK: "ACME-7"},
            EPIC_LINK,
            "ACME-30",
            id="parent-wins",
        ),
        pytest.param({EPIC_LINK: "ACME-7"}, None, None, id="epic-link-field-unknown"),
        pytest.param({EPIC_LINK: None, "parent": None}, EPIC_LINK, None, id="both-null"),
        pytest.param({EPIC_LINK: ""}, EPIC_LINK, None, id="empty-epic-link"),
        pytest.param({}, EPIC_LINK, None, id="absent"),
    ],
)
def test_parent_key_sources(
    fields: dict[str, Any], epic_link: str | None, expected: str | None
) -> None:
    """parent_key comes from fields.parent, else from the Data Center Epic Link field."""
    assert convert(issue(**fields), epic_link=epic_link).parent_key == expected


@pytest.mark.parametrize(
    ("issuetype", "level"),
    [
        pytest.param(
            {"name": "Sub-task", "subtask": True, "hierarchyLevel": -1}, -1, id="cloud-sub"
        ),
        pytest.param({"name": "Epic", "hierarchyLevel": 1}, 1, id="cloud-epic"),
        pytest.param({"name": "Initiative", "hierarchyLevel": 2}, 2, id="cloud-initiative"),
        pytest.param({"name": "Sub-task", "subtask": True}, -1, id="dc-subtask"),
        pytest.param({"name": "Epic", "subtask": False}, 1, id="dc-epic"),
        pytest.param({"name": "Bug", "subtask": False}, 0, id="dc-bug"),
        pytest.param({"name": "Story", "hierarchyLevel": None}, 0, id="null-level"),
        pytest.param({"name": "Story", "hierarchyLevel": True}, 0, id="bool-level-ignored"),
    ],
)
def test_hierarchy_level(issuetype: dict[str, Any], level: int) -> None:
    """hierarchyLevel is used when Jira sends it, else derived from the subtask flag and name."""
    assert convert(issue(issuetype=issuetype)).hierarchy_level == level


@pytest.mark.parametrize(
    ("points", "expected"),
    [(3, 3.0), (0.5, 0.5), (None, None), ("5", None), (True, None), ([], None)],
)
def test_story_points(points: object, expected: float | None) -> None:
    """Story points are a float when the field holds a number, else None."""
    assert convert(issue(**{POINTS: points})).story_points == expected


def test_story_points_without_field_name() -> None:
    """No story-points field configured means no story points, whatever the issue holds."""
    raw = issue(**{POINTS: 8})
    item = item_from_json(raw, epic_link_field=None, story_points_field=None)
    assert item.story_points is None


def test_missing_and_null_fields_are_tolerated() -> None:
    """Jira omits or nulls unset fields; conversion falls back to empty values."""
    raw = {
        "key": "OPS-9",
        "fields": {
            "summary": None,
            "issuetype": None,
            "status": None,
            "labels": None,
            "fixVersions": None,
            "components": [None, {"name": 3}, {"name": "API"}],
        },
    }
    item = convert(raw)
    assert item == BacklogItem(
        key="OPS-9",
        summary="",
        project="OPS",  # derived from the key when `project` is absent
        issue_type="Unknown",
        hierarchy_level=0,
        status="",
        status_category="new",
        components=("API",),
    )


def test_issue_without_fields_converts() -> None:
    """An issue with no `fields` object at all still yields an item."""
    assert convert({"key": "ACME-1"}).key == "ACME-1"


@pytest.mark.parametrize("raw", [{}, {"key": ""}, {"key": None}, {"key": 12}])
def test_issue_without_key_is_rejected(raw: dict[str, Any]) -> None:
    """An issue without a usable key cannot be traced and is refused at the boundary."""
    with pytest.raises(ValueError, match="without a key"):
        convert(raw)
