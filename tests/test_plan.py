"""Tests for label planning (ownership, stale labels, moves, opt-out) and the blast-radius guard."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pytest

from roadmap_sync.core.classify import classify
from roadmap_sync.core.model import BacklogItem, LabelChange, LabelPlan
from roadmap_sync.core.plan import bot_labels, check_guard, owned_labels, owned_set, plan_labels
from roadmap_sync.core.roadmap import GuardSettings, Roadmap

TODAY = dt.date(2026, 11, 1)


def make_roadmap() -> Roadmap:
    """r1 claims ACME-1, r2 claims ACME-7 and carries an explicit label."""
    return Roadmap.model_validate(
        {
            "product": "Acme Web Shop",
            "tracker": {"projects": ["ACME"]},
            "releases": [
                {"id": "r1", "name": "Convert", "date": "2026-11-15", "goal": "Convert",
                 "fix_versions": ["2026.11"],
                 "features": [{"name": "Guest checkout", "epics": ["ACME-1"]}]},
                {"id": "r2", "name": "Return", "date": "2026-12-15", "goal": "Come back",
                 "fix_versions": ["2026.12"], "label": "roadmap-returning",
                 "features": [{"name": "Social sign-in", "epics": ["ACME-7"]}]},
            ],
        }
    )  # fmt: skip


EPICS = (
    BacklogItem("ACME-1", issue_type="Epic", hierarchy_level=1, labels=("roadmap-r1",)),
    BacklogItem("ACME-7", issue_type="Epic", hierarchy_level=1, labels=("roadmap-returning",)),
)


def story(
    key: str = "ACME-31",
    parent: str | None = None,
    labels: tuple[str, ...] = (),
    fix: tuple[str, ...] = (),
    category: str = "indeterminate",
) -> BacklogItem:
    return BacklogItem(
        key,
        parent_key=parent,
        labels=labels,
        fix_versions=fix,
        status_category=category,
        status="Done" if category == "done" else "In Progress",
    )


# Labels the bot wrote in earlier runs (the store's record): a release r0 since dropped.
WRITTEN = frozenset({"roadmap-r0"})


def plan_for(
    *items: BacklogItem, roadmap: Roadmap | None = None, written: frozenset[str] = WRITTEN
) -> LabelPlan:
    roadmap = roadmap or make_roadmap()
    backlog = [*EPICS, *items]
    result = classify(backlog, roadmap, today=TODAY, known_versions={"2026.11", "2026.12"})
    return plan_labels(result, backlog, roadmap, written)


def change_of(plan: LabelPlan, key: str = "ACME-31") -> LabelChange | None:
    return next((change for change in plan.changes if change.key == key), None)


@pytest.mark.parametrize(
    ("subject", "add", "remove"),
    [
        pytest.param(story(parent="ACME-1"), ("roadmap-r1",), (), id="aligned-gets-release"),
        pytest.param(story(), ("roadmap-orphan",), (), id="orphan-flagged"),
        pytest.param(
            story(fix=("2026.12",)), ("roadmap-out-of-scope",), (), id="out-of-scope-unplanned"
        ),
        pytest.param(
            story(parent="ACME-1", fix=("2026.12",)), ("roadmap-out-of-scope", "roadmap-r1"), (),
            id="out-of-scope-keeps-planned-label",
        ),
        pytest.param(
            story(parent="ACME-7", labels=("roadmap-r1",)), ("roadmap-returning",),
            ("roadmap-r1",), id="moved-r1-to-r2",
        ),
        pytest.param(
            story(parent="ACME-1", labels=("roadmap-r1", "roadmap-orphan")), (),
            ("roadmap-orphan",), id="stale-flag-removed",
        ),
        pytest.param(
            story(labels=("roadmap-r0", "roadmap-orphan")), (), ("roadmap-r0",),
            id="stale-release-label-it-wrote-removed",
        ),
        pytest.param(
            story(category="done", labels=("roadmap-orphan",)), (), ("roadmap-orphan",),
            id="done-orphan-loses-flag",
        ),
        pytest.param(
            story(parent="ACME-1", category="done"), ("roadmap-r1",), (),
            id="done-keeps-release-label",
        ),
        pytest.param(
            story(parent="ACME-1", fix=("2026.12",), category="done"), ("roadmap-r1",), (),
            id="done-out-of-scope-not-flagged",
        ),
    ],
)  # fmt: skip
def test_label_changes(subject: BacklogItem, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
    """Desired = planned release label + a flag for open orphans / out-of-scope items."""
    change = change_of(plan_for(subject))
    assert change == LabelChange(subject.key, add, remove, subject.labels)


@pytest.mark.parametrize(
    "foreign",
    [
        "roadmap",  # look-alike without the dash
        "Roadmap-r1",  # case differs: not the prefix
        "frontend",
        "a11y",
        "my-roadmap-r1",
        "roadmap-ignore",  # the opt-out label is never the bot's
    ],
)
def test_foreign_labels_survive(foreign: str) -> None:
    """Labels the bot does not own are never added or removed, whatever the verdict."""
    for subject in (
        story(labels=(foreign,)),
        story(parent="ACME-1", labels=(foreign, "roadmap-r0")),
        story(parent="ACME-7", labels=("roadmap-r1", foreign)),
    ):
        change = change_of(plan_for(subject))
        if change is not None:
            assert foreign not in change.remove
            assert foreign not in change.add
            assert foreign in change.after


def test_prefixed_label_it_never_wrote_is_left_alone_and_reported() -> None:
    """A person's 'roadmap-notes' (or a release label never written) is foreign, not removed."""
    subject = story(labels=("roadmap-notes", "roadmap-r0", "roadmap-orphan"))
    plan = plan_for(subject, written=frozenset())
    assert change_of(plan) is None
    assert plan.foreign == (("ACME-31", "roadmap-notes"), ("ACME-31", "roadmap-r0"))
    wrote = plan_for(subject)
    change = change_of(wrote)
    assert change is not None and change.remove == ("roadmap-r0",)
    assert wrote.foreign == (("ACME-31", "roadmap-notes"),)


def test_opt_out_label_is_never_removed_even_if_recorded_as_written() -> None:
    """Whatever the record says, the opt-out label is never the bot's to remove."""
    roadmap = make_roadmap()
    assert "roadmap-ignore" not in owned_set(roadmap, {"roadmap-ignore", "roadmap-r0"})
    subject = story(parent="ACME-7", labels=("roadmap-r1",))
    plan = plan_for(subject, written=frozenset({"roadmap-ignore"}))
    assert all("roadmap-ignore" not in c.remove for c in plan.changes)


@pytest.mark.parametrize(
    "labels",
    [
        ("roadmap-ignore",),
        ("roadmap-ignore", "roadmap-r0", "roadmap-orphan"),
        ("roadmap-ignore", "roadmap-r1"),
    ],
)
def test_ignored_items_are_untouched(labels: tuple[str, ...]) -> None:
    """An item with the opt-out label gets no change at all, not even stale-label removal."""
    for subject in (story(labels=labels), story(parent="ACME-7", labels=labels)):
        assert change_of(plan_for(subject)) is None


def test_unchanged_items_are_left_out() -> None:
    """Only items whose labels change appear in the plan."""
    plan = plan_for(
        story("ACME-31", parent="ACME-1", labels=("roadmap-r1", "ux")),
        story("ACME-32", labels=("roadmap-orphan",)),
        story("ACME-33"),
    )
    assert [change.key for change in plan.changes] == ["ACME-33"]


def test_second_run_plans_nothing() -> None:
    """Applying a plan and planning again over the result yields an empty plan."""
    roadmap = make_roadmap()
    backlog = [
        *EPICS,
        story("ACME-31", parent="ACME-7", labels=("roadmap-r1", "ux")),
        story("ACME-32", labels=("roadmap-r0", "roadmap")),
        story("ACME-33", parent="ACME-1", fix=("2026.12",)),
        story("ACME-34", category="done", labels=("roadmap-orphan",)),
    ]
    first = plan_labels(
        classify(backlog, roadmap, today=TODAY, known_versions=()), backlog, roadmap, WRITTEN
    )
    assert first.issues == 4
    after = {change.key: change.after for change in first.changes}
    applied = [item._replace(labels=after.get(item.key, item.labels)) for item in backlog]
    second = plan_labels(
        classify(applied, roadmap, today=TODAY, known_versions=()), applied, roadmap, WRITTEN
    )
    assert second.changes == ()


def test_plan_counts() -> None:
    """The plan counts changed issues and labels added and removed."""
    plan = plan_for(
        story("ACME-31", parent="ACME-7", labels=("roadmap-r1",)),  # +1 -1
        story("ACME-32", parent="ACME-1", fix=("2026.12",)),  # +2
        story("ACME-33", labels=("roadmap-r0", "roadmap-r1")),  # +1 -2
    )
    assert (plan.issues, plan.labels_added, plan.labels_removed) == (3, 4, 3)


def test_label_returned_twice_is_removed_once() -> None:
    """A duplicated stale label yields one removal."""
    change = change_of(plan_for(story(labels=("roadmap-r0", "roadmap-r0"))))
    assert change is not None
    assert change.remove == ("roadmap-r0",)


def test_unclassified_item_is_an_error() -> None:
    """Planning an item the classifier never saw is a programming error, not a silent skip."""
    roadmap = make_roadmap()
    result = classify(list(EPICS), roadmap, today=TODAY, known_versions=())
    with pytest.raises(ValueError, match="ACME-99 is not in the classification"):
        plan_labels(result, [*EPICS, story("ACME-99")], roadmap)


def test_ownership_helpers() -> None:
    """owned_labels: what it writes now or wrote before; bot_labels: what it may write."""
    roadmap = make_roadmap()
    labels = ["roadmap", "roadmap-r1", "roadmap-ignore", "ux", "roadmap-zzz", "roadmap-r0"]
    assert owned_labels(labels, roadmap) == {"roadmap-r1"}
    assert owned_labels(labels, roadmap, WRITTEN) == {"roadmap-r1", "roadmap-r0"}
    assert bot_labels(roadmap) == {
        "roadmap-r1",
        "roadmap-returning",
        "roadmap-orphan",
        "roadmap-out-of-scope",
    }
    assert all(roadmap.owns_label(label) for label in bot_labels(roadmap))


def plan_of(size: int) -> LabelPlan:
    return LabelPlan(tuple(LabelChange(f"A-{n}", ("roadmap-r1",), (), ()) for n in range(size)))


@pytest.mark.parametrize(
    ("changed", "total", "max_issues", "max_share", "force", "allowed", "forced"),
    [
        pytest.param(0, 0, 500, 0.25, False, True, False, id="empty"),
        pytest.param(25, 100, 500, 0.25, False, True, False, id="at-share-limit"),
        pytest.param(26, 100, 500, 0.25, False, False, False, id="over-share"),
        pytest.param(500, 4000, 500, 0.25, False, True, False, id="at-count-limit"),
        pytest.param(501, 4000, 500, 0.25, False, False, False, id="over-count"),
        pytest.param(501, 4000, 500, 0.25, True, True, True, id="forced"),
        pytest.param(10, 100, 500, 0.25, True, True, False, id="force-not-needed"),
        pytest.param(3, 10, 500, 0.25, False, False, False, id="small-backlog"),
        pytest.param(29, 100, 500, 0.29, False, True, False, id="float-share-exact"),
        pytest.param(1, 10, 0, 1.0, False, False, False, id="max-issues-zero"),
        pytest.param(10, 10, 500, 1.0, False, True, False, id="share-one"),
    ],
)  # fmt: skip
def test_guard_thresholds(
    changed: int,
    total: int,
    max_issues: int,
    max_share: float,
    force: bool,
    allowed: bool,
    forced: bool,
) -> None:
    """The guard refuses more changed issues than max_issues or max_share of all, unless forced."""
    guard = GuardSettings(max_issues=max_issues, max_share=max_share)
    decision = check_guard(plan_of(changed), total, guard, force)
    assert (decision.allowed, decision.forced) == (allowed, forced)
    assert (decision.changed_issues, decision.total_items) == (changed, total)


def test_guard_refusal_says_how_to_proceed() -> None:
    """A refusal names the numbers and both ways forward: --force or a higher guard."""
    decision = check_guard(plan_of(600), 1000, GuardSettings(), force=False)
    assert not decision.allowed
    assert decision.limit == 250
    assert decision.message == (
        "refusing to apply: 600 of 1000 issues would change labels; the guard allows at most "
        "250 (guard.max_issues 500, guard.max_share 0.25 of 1000 = 250). Review the plan "
        "(a dry run lists every change), then re-run with --force, or raise guard.max_issues "
        "/ guard.max_share in the roadmap file"
    )


def test_forced_decision_says_it_was_forced() -> None:
    """An override is visible in the message, so the report can say the guard was bypassed."""
    decision = check_guard(plan_of(600), 1000, GuardSettings(), force=True)
    assert decision.message.startswith("--force overrides the guard: 600 of 1000 issues")


def test_guard_comes_from_the_roadmap() -> None:
    """The roadmap's guard key feeds check_guard; defaults are 500 issues, a 0.25 share, and
    a first sync that may add labels."""
    assert make_roadmap().guard == GuardSettings(max_issues=500, max_share=0.25)
    assert make_roadmap().guard.first_sync == "allow"


def mixed_plan(adding: int, losing: int) -> LabelPlan:
    """`adding` issues that only gain a label, `losing` that also lose a stale one."""
    adds = [LabelChange(f"A-{n}", ("roadmap-r1",), (), ()) for n in range(adding)]
    losses = [
        LabelChange(f"B-{n}", ("roadmap-r1",), ("roadmap-r0",), ("roadmap-r0",))
        for n in range(losing)
    ]
    return LabelPlan(tuple(adds + losses))


@pytest.mark.parametrize(
    ("adding", "losing", "first", "setting", "force", "allowed", "first_sync", "forced"),
    [
        pytest.param(900, 0, True, "allow", False, True, True, False, id="first-adds-only"),
        pytest.param(900, 25, True, "allow", False, True, True, False, id="first-few-losses"),
        pytest.param(900, 26, True, "allow", False, False, False, False, id="first-many-losses"),
        pytest.param(900, 26, True, "allow", True, True, False, True, id="first-forced"),
        pytest.param(900, 0, False, "allow", False, False, False, False, id="later-sync"),
        pytest.param(900, 0, True, "refuse", False, False, False, False, id="first-refused"),
        pytest.param(10, 0, True, "allow", False, True, False, False, id="first-within-limits"),
    ],
)  # fmt: skip
def test_first_sync_may_add_labels(
    adding: int,
    losing: int,
    first: bool,
    setting: Literal["allow", "refuse"],
    force: bool,
    allowed: bool,
    first_sync: bool,
    forced: bool,
) -> None:
    """A roadmap's first sync may add labels to any number of issues; only issues that would
    lose a label count against the limits, and later syncs keep the guard as it is."""
    guard = GuardSettings(max_issues=500, max_share=0.25, first_sync=setting)
    decision = check_guard(mixed_plan(adding, losing), 100, guard, force, first_sync=first)
    assert (decision.allowed, decision.first_sync, decision.forced) == (
        allowed,
        first_sync,
        forced,
    )


def test_first_sync_decision_says_what_it_allows() -> None:
    """The first-sync decision names the numbers and how to undo it."""
    decision = check_guard(mixed_plan(90, 5), 100, GuardSettings(), False, first_sync=True)
    assert decision.message == (
        "first sync of this roadmap: 95 of 100 issues get labels (+95 labels); the guard counts "
        "only the 5 issues that would lose a label, at most 25 allowed (guard.first_sync: "
        "allow). One 'roadmap-sync revert RUN_ID' undoes it"
    )


def test_plan_follows_item_order() -> None:
    """Changes come in the order of the items, so printed plans are stable."""
    plan = plan_for(story("ACME-40"), story("ACME-35"), story("ACME-38"))
    assert list(plan.keys()) == ["ACME-40", "ACME-35", "ACME-38"]
