"""Tracing items as pages arrive gives exactly what tracing the whole read at once gives."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap_sync.core.classify import TraceStream, classify
from roadmap_sync.core.model import BacklogItem
from tests.test_classify import ALL_VERSIONS, BEFORE_R1, item
from tests.test_retrace import ROADMAP, SIZE, Shape, build, shapes


def streamed(batches: list[list[BacklogItem]]) -> TraceStream:
    stream = TraceStream(ROADMAP, today=BEFORE_R1)
    for batch in batches:
        stream.add(batch)
    return stream


def split(items: list[BacklogItem], cuts: list[int]) -> list[list[BacklogItem]]:
    """``items`` in consecutive batches, cut at the given positions (empty batches too)."""
    edges = [0, *sorted(cut % (len(items) + 1) for cut in cuts), len(items)]
    return [items[start:end] for start, end in itertools.pairwise(edges)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    backlog=st.dictionaries(st.integers(1, SIZE), shapes, max_size=SIZE),
    order=st.randoms(use_true_random=False),
    cuts=st.lists(st.integers(0, SIZE), max_size=5),
    repeated=st.lists(st.tuples(st.integers(1, SIZE), shapes), max_size=2),
)
def test_streamed_classification_equals_classifying_everything(
    backlog: dict[int, Shape], order: object, cuts: list[int], repeated: list[tuple[int, Shape]]
) -> None:
    """Any arrival order (children before parents, parents never read, loops in parent links),
    any batching, and a key read twice with different fields: the same traces, in arrival
    order, and the same findings."""
    items = build(backlog)
    items += [build({number: shape})[0] for number, shape in repeated]
    order.shuffle(items)  # type: ignore[attr-defined]
    whole = classify(items, ROADMAP, today=BEFORE_R1, known_versions=ALL_VERSIONS)
    stream = streamed(split(items, cuts))
    assert stream.finish(ALL_VERSIONS) == whole


def test_items_are_traced_once_their_ancestry_has_arrived() -> None:
    """A story waits for its epic when it comes first; one whose epic came before does not."""
    stream = streamed([[item("ACME-3", "Story", "ACME-2"), item("ACME-8", "Story")]])
    assert stream.waiting == 1  # ACME-3: its epic ACME-2 is not read yet
    stream.add([item("ACME-2", "Epic")])
    assert stream.waiting == 1  # traced at the end, not re-checked on every page
    ready = streamed([[item("ACME-1", "Epic"), item("ACME-5", "Story", "ACME-1")]])
    assert ready.waiting == 0


def test_a_claimed_sub_task_still_waits_for_the_parent_it_is_scheduled_by() -> None:
    """Its own label claims it, so its plan needs no ancestor; its schedule is its parent's."""
    sub_task = item("ACME-4", "Sub-task", "ACME-3", labels=("a11y",))
    parent = item("ACME-3", "Story", fix=("2026.11",))
    stream = streamed([[sub_task], [parent]])
    assert stream.waiting == 1
    result = stream.finish(ALL_VERSIONS)
    assert result.trace("ACME-4").scheduled_release == "r1"
    whole = classify([sub_task, parent], ROADMAP, today=BEFORE_R1, known_versions=ALL_VERSIONS)
    assert result == whole


def test_a_key_read_twice_in_one_batch_is_traced_as_its_last_reading() -> None:
    """Its ancestry is the last reading's, whose parent has not arrived: it waits for it."""
    first = item("ACME-2", "Initiative")
    last = item("ACME-2", "Initiative", "ACME-14")
    parent = item("ACME-14", "Initiative")
    stream = streamed([[first, last], [parent]])
    whole = classify([first, last, parent], ROADMAP, today=BEFORE_R1, known_versions=ALL_VERSIONS)
    assert stream.finish(ALL_VERSIONS) == whole
    assert whole.traces[0].reasons[0].startswith("initiative ACME-2 -> initiative ACME-14")
