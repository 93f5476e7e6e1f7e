"""Re-tracing only what changed gives exactly what tracing the whole backlog gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from roadmap_sync.core.classify import affected_keys, classify, trace_day
from roadmap_sync.core.model import BacklogItem
from tests.test_classify import ALL_VERSIONS, BEFORE_R1, LEVELS, item, make_roadmap

ROADMAP = make_roadmap(horizon=1)
KINDS = ("Initiative", "Epic", "Story", "Bug", "Sub-task")
LABELS = ("payments", "a11y", "store-pickup", "team", "roadmap-ignore", "roadmap-r1")
VERSIONS = ("2026.11", "2026.12", "2027.02", "2027.04", "1.0")
SIZE = 14  # keys ACME-1 .. ACME-14 (ACME-1, -7 are claimed by epic key); others dangle


@dataclass(frozen=True)
class Shape:
    """The fields a person may edit, drawn at random."""

    kind: str
    parent: int | None
    labels: tuple[str, ...]
    fix: tuple[str, ...]
    done: bool


shapes = st.builds(
    Shape,
    st.sampled_from(KINDS),
    # May point at itself, form loops, or point at an item that is not there.
    st.one_of(st.none(), st.integers(1, SIZE // 2), st.integers(1, SIZE + 2)),
    st.lists(st.sampled_from(LABELS), max_size=2, unique=True).map(tuple),
    st.lists(st.sampled_from(VERSIONS), max_size=2, unique=True).map(tuple),
    st.booleans(),
)
backlogs = st.dictionaries(st.integers(1, SIZE), shapes, max_size=SIZE)
LOOP_2, LOOP_3 = Shape("Story", 3, (), (), False), Shape("Story", 2, (), (), False)
# A few items edited (None: deleted) or created; the rest stays as it was.
edits = st.dictionaries(st.integers(1, SIZE), st.one_of(st.none(), shapes), max_size=3)


def build(backlog: dict[int, Shape]) -> list[BacklogItem]:
    """Items in key order, as a search returns them."""
    items = []
    for number in sorted(backlog):
        shape = backlog[number]
        built = item(
            f"ACME-{number}",
            shape.kind,
            None if shape.parent is None else f"ACME-{shape.parent}",
            labels=shape.labels,
            fix=shape.fix,
        )
        if shape.done:
            built = built._replace(status="Done", status_category="done")
        assert built.hierarchy_level == LEVELS[shape.kind]
        items.append(built)
    return items


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=backlogs, changes=edits)
@example(  # a loop entered first by an unchanged item, below it a changed one
    before={2: LOOP_2, 3: LOOP_3, 5: Shape("Story", 3, (), (), False)},
    changes={5: Shape("Bug", 3, (), (), False)},
)
def test_retracing_what_changed_equals_tracing_everything(
    before: dict[int, Shape], changes: dict[int, Shape | None]
) -> None:
    """Edits, new and deleted items, loops in parent links: only traces of the changed items
    and their descendants are recomputed, and the classification equals a full one."""
    after = {**before, **changes}
    old_items = build(before)
    new_items = build({number: shape for number, shape in after.items() if shape is not None})
    old = classify(old_items, ROADMAP, today=BEFORE_R1, known_versions=ALL_VERSIONS)
    old_by_key = {i.key: i for i in old_items}
    new_by_key = {i.key: i for i in new_items}
    changed = {
        k for k in old_by_key.keys() | new_by_key.keys() if old_by_key.get(k) != new_by_key.get(k)
    }
    retrace = affected_keys(new_items, changed)
    full = classify(new_items, ROADMAP, today=BEFORE_R1, known_versions=ALL_VERSIONS)
    partial = classify(
        new_items,
        ROADMAP,
        today=BEFORE_R1,
        known_versions=ALL_VERSIONS,
        previous=old,
        retrace=retrace,
    )
    assert partial == full


def test_descendants_of_a_changed_item_are_affected() -> None:
    """An epic's change reaches its stories and their sub-tasks, not its siblings."""
    items = [
        item("ACME-1", "Epic"),
        item("ACME-2", "Story", "ACME-1"),
        item("ACME-3", "Sub-task", "ACME-2"),
        item("ACME-4", "Story"),
        item("ACME-5", "Story", "ACME-9"),  # its parent is new to this read
    ]
    assert affected_keys(items, {"ACME-1"}) == {"ACME-1", "ACME-2", "ACME-3"}
    assert affected_keys(items, {"ACME-9"}) == {"ACME-9", "ACME-5"}
    assert affected_keys(items, set()) == set()


@settings(max_examples=100, deadline=None)
@given(
    backlog=backlogs,
    first=st.dates(dt.date(2026, 10, 1), dt.date(2027, 8, 1)),
    second=st.dates(dt.date(2026, 10, 1), dt.date(2027, 8, 1)),
)
def test_the_day_matters_to_traces_only_through_the_horizon(
    backlog: dict[int, Shape], first: dt.date, second: dt.date
) -> None:
    """Two days with the same releases beyond the horizon trace every item alike."""
    items = build(backlog)
    one = classify(items, ROADMAP, today=first, known_versions=ALL_VERSIONS)
    two = classify(items, ROADMAP, today=second, known_versions=ALL_VERSIONS)
    if trace_day(ROADMAP, first) == trace_day(ROADMAP, second):
        assert one.traces == two.traces
