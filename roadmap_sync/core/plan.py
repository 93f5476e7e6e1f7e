"""Turn verdicts into label changes, and decide whether a plan is safe to apply.

The bot owns exactly the labels it writes now (its release labels and the two flags) plus the
labels it wrote in earlier runs (the store's record, passed in as ``written``), never the
opt-out label, and never a label merely because it starts with the prefix: a person's
``roadmap-q3-notes`` is left alone and listed in the plan as foreign. So a team's own labels
survive every run, and a second run over an unchanged backlog plans nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Sequence

from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import (
    BacklogItem,
    Classification,
    GuardDecision,
    ItemTrace,
    LabelChange,
    LabelPlan,
    Verdict,
)
from roadmap_sync.core.roadmap import GuardSettings, Roadmap

__all__ = [
    "bot_labels",
    "check_guard",
    "desired_labels",
    "owned_labels",
    "owned_set",
    "plan_labels",
]


def bot_labels(roadmap: Roadmap) -> frozenset[str]:
    """Every label the bot may write for this roadmap: release labels and the two flags."""
    return roadmap.bot_labels


def owned_set(roadmap: Roadmap, written: Collection[str] = ()) -> frozenset[str]:
    """The labels the bot may remove: those it writes now and those it wrote before.

    The opt-out label is never among them, whatever the record says.
    """
    return (roadmap.bot_labels | frozenset(written)) - {roadmap.labels.opt_out}


def owned_labels(
    labels: Iterable[str], roadmap: Roadmap, written: Collection[str] = ()
) -> frozenset[str]:
    """The subset of `labels` the bot owns."""
    owned = owned_set(roadmap, written)
    return frozenset(label for label in labels if label in owned)


def desired_labels(
    trace: ItemTrace, release_labels: dict[str, str], roadmap: Roadmap
) -> frozenset[str]:
    """The bot labels an item should carry: its planned release's label, plus a flag if open."""
    desired: set[str] = set()
    if trace.planned_release is not None:
        desired.add(release_labels[trace.planned_release])
    if trace.flagged:  # never true for done items
        if trace.verdict is Verdict.ORPHAN:
            desired.add(roadmap.labels.orphan)
        elif trace.verdict is Verdict.OUT_OF_SCOPE:
            desired.add(roadmap.labels.out_of_scope)
    return frozenset(desired)


# (planned release, verdict, flagged, current labels) -> (add, remove, foreign labels)
_Shape = tuple[str | None, Verdict, bool, tuple[str, ...]]
_Decision = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _decide(
    desired: frozenset[str],
    current: tuple[str, ...],
    owned: frozenset[str],
    prefixed: Callable[[str], bool],
) -> _Decision:
    """What to add and remove to turn ``current`` into ``desired`` within the owned labels,
    and the prefixed labels the bot does not own (listed, left alone)."""
    add = tuple(sorted(label for label in desired if label not in current))
    dropped = (label for label in current if label in owned and label not in desired)
    remove = tuple(sorted(dict.fromkeys(dropped)))  # a label Jira returned twice, removed once
    strays = tuple(label for label in current if label not in owned and prefixed(label))
    return add, remove, strays


def plan_labels(
    classification: Classification,
    items: Sequence[BacklogItem],
    roadmap: Roadmap,
    written: Collection[str] = (),
) -> LabelPlan:
    """The label changes that bring every non-ignored item's bot labels in line with its trace.

    ``written`` holds the labels the bot wrote in earlier runs (from its audit): a stale
    release label it wrote is removed; a label that merely carries the prefix is reported in
    ``LabelPlan.foreign`` and left alone.
    """
    release_labels = {release.id: roadmap.release_label(release) for release in roadmap.releases}
    owned = owned_set(roadmap, written)
    prefixed = roadmap.labels.prefixed
    # A backlog repeats a few (release, verdict, flag) outcomes and a few label sets, so the
    # same pair recurs thousands of times: decide each distinct pair once.
    decided: dict[_Shape, _Decision] = {}
    changes: list[LabelChange] = []
    foreign: list[tuple[str, str]] = []
    traces = classification.traces
    # Usually the items the classification was made from, in its order: no look-up by key.
    in_order = len(traces) == len(items)
    with gc_paused():
        for number, item in enumerate(items):
            trace: ItemTrace | None = traces[number] if in_order else None
            if trace is None or trace.key != item.key:
                trace = classification.get(item.key)
            if trace is None:
                raise ValueError(f"item {item.key} is not in the classification")
            if trace.verdict is Verdict.IGNORED:
                continue  # opted out: the bot neither adds nor removes anything
            current = item.labels
            shape = (trace.planned_release, trace.verdict, trace.flagged, current)
            decision = decided.get(shape)
            if decision is None:
                desired = desired_labels(trace, release_labels, roadmap)
                decision = decided[shape] = _decide(desired, current, owned, prefixed)
            add, remove, strays = decision
            if strays:
                foreign.extend((item.key, label) for label in strays)
            if add or remove:
                changes.append(LabelChange(item.key, add, remove, current))
    return LabelPlan(tuple(changes), tuple(dict.fromkeys(foreign)))


def check_guard(
    plan: LabelPlan,
    total_items: int,
    guard: GuardSettings,
    force: bool,
    *,
    first_sync: bool = False,
) -> GuardDecision:
    """Refuse plans that change more issues than `guard` allows, unless forced.

    A roadmap's `first_sync` labels most of the backlog by nature; with ``guard.first_sync:
    allow`` only the issues that would lose a label count against the limits then, since
    adding labels takes nothing away that a person relied on and one revert undoes it all.
    """
    changed = plan.issues
    # The epsilon keeps 0.29 * 100 (28.999999999999996 in floating point) at 29.
    share_limit = math.floor(guard.max_share * total_items + 1e-9)
    limit = min(guard.max_issues, share_limit)
    numbers = (
        f"{changed} of {total_items} issues would change labels; the guard allows at most "
        f"{limit} (guard.max_issues {guard.max_issues}, guard.max_share {guard.max_share:g} "
        f"of {total_items} = {share_limit})"
    )
    if changed <= limit:
        return GuardDecision(True, numbers, changed, total_items, limit)
    losing = sum(1 for change in plan.changes if change.remove)
    if first_sync and guard.first_sync == "allow" and losing <= limit:
        message = (
            f"first sync of this roadmap: {changed} of {total_items} issues get labels "
            f"(+{plan.labels_added} labels); the guard counts only the {losing} issues that would "
            f"lose a label, at most {limit} allowed (guard.first_sync: allow). One "
            "'roadmap-sync revert RUN_ID' undoes it"
        )
        return GuardDecision(True, message, changed, total_items, limit, first_sync=True)
    if force:
        message = f"--force overrides the guard: {numbers}"
        return GuardDecision(True, message, changed, total_items, limit, forced=True)
    return GuardDecision(
        False,
        f"refusing to apply: {numbers}. Review the plan (a dry run lists every change), then "
        "re-run with --force, or raise guard.max_issues / guard.max_share in the roadmap file",
        changed,
        total_items,
        limit,
    )
