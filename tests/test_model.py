"""Tests for the core records: the small behaviours each record promises."""

from __future__ import annotations

import pytest

from roadmap_sync.core.model import (
    BacklogItem,
    Classification,
    Finding,
    FindingKind,
    GuardDecision,
    ItemTrace,
    LabelChange,
    LabelPlan,
    TraceWarning,
    Verdict,
    WarningKind,
)


@pytest.mark.parametrize(
    ("category", "status", "done_statuses", "done"),
    [
        ("done", "Done", (), True),
        ("done", "Won't Do", (), True),
        ("indeterminate", "In Review", (), False),
        ("indeterminate", "Ready for release", ("Ready for release",), True),
        ("new", "To Do", ("Ready for release",), False),
    ],
)
def test_is_done(category: str, status: str, done_statuses: tuple[str, ...], done: bool) -> None:
    """Done means Jira's done status category, or a status the roadmap lists as done."""
    item = BacklogItem(key="ACME-1", status=status, status_category=category)
    assert item.is_done(done_statuses) is done


def test_records_are_frozen() -> None:
    """Records are immutable values."""
    item = BacklogItem(key="ACME-1")
    with pytest.raises(AttributeError):
        item.key = "ACME-2"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "after"),
    [
        (
            LabelChange("A-1", ("roadmap-r2",), ("roadmap-r1",), ("ux", "roadmap-r1")),
            ("ux", "roadmap-r2"),
        ),
        (LabelChange("A-1", ("roadmap-orphan",), (), ()), ("roadmap-orphan",)),
        (LabelChange("A-1", (), ("roadmap-r0",), ("roadmap-r0", "a11y")), ("a11y",)),
    ],
)
def test_label_change_after(change: LabelChange, after: tuple[str, ...]) -> None:
    """`after` keeps the issue's label order, drops removals and appends additions."""
    assert change.after == after


def test_label_plan_counts() -> None:
    """A plan counts changed issues, added labels and removed labels."""
    plan = LabelPlan(
        (
            LabelChange("A-1", ("roadmap-r1", "roadmap-orphan"), (), ()),
            LabelChange("A-2", ("roadmap-r2",), ("roadmap-r1",), ("roadmap-r1",)),
        )
    )
    assert (plan.issues, plan.labels_added, plan.labels_removed) == (2, 3, 1)
    assert list(plan.keys()) == ["A-1", "A-2"]
    assert (LabelPlan().issues, LabelPlan().labels_added) == (0, 0)


def trace(key: str, verdict: Verdict, *warnings: WarningKind) -> ItemTrace:
    return ItemTrace(
        key=key,
        verdict=verdict,
        planned_release=None,
        scheduled_release=None,
        feature=None,
        done=False,
        flagged=False,
        reasons=(),
        warnings=tuple(TraceWarning(kind, kind.value) for kind in warnings),
    )


def test_classification_lookup_and_counts() -> None:
    """A classification finds traces by key and counts verdicts."""
    result = Classification(
        (trace("A-1", Verdict.ORPHAN), trace("A-2", Verdict.ALIGNED), trace("A-3", Verdict.ORPHAN)),
        (Finding(FindingKind.UNKNOWN_EPIC, "r1", "A-9", "missing"),),
    )
    assert result.trace("A-2").verdict is Verdict.ALIGNED
    assert result.get("A-9") is None
    with pytest.raises(KeyError):
        result.trace("A-9")
    assert result.verdict_counts() == {Verdict.ORPHAN: 2, Verdict.ALIGNED: 1}


def test_trace_warning_kinds() -> None:
    """`warning_kinds` lists the kinds of warning a trace carries."""
    warned = trace("A-1", Verdict.ALIGNED, WarningKind.BEYOND_HORIZON, WarningKind.AMBIGUOUS_CLAIM)
    assert warned.warning_kinds == {WarningKind.BEYOND_HORIZON, WarningKind.AMBIGUOUS_CLAIM}


@pytest.mark.parametrize(
    ("enum", "values"),
    [
        (Verdict, {"aligned", "out_of_scope", "orphan", "ignored"}),
        (WarningKind, {"beyond_horizon", "unmapped_fix_version", "ambiguous_claim"}),
        (
            FindingKind,
            {
                "uncovered_feature",
                "unknown_epic",
                "unknown_version",
                "overdue_release",
                "date_at_risk",
                "metric_unavailable",
            },
        ),
    ],
)
def test_enum_values_are_stable_strings(enum: type[Verdict], values: set[str]) -> None:
    """Enum values are the snake_case strings stored and reported elsewhere."""
    assert {member.value for member in enum} == values
    assert all(isinstance(member, str) for member in enum)


def test_guard_decision_defaults_to_not_forced() -> None:
    """A guard decision is unforced unless said otherwise."""
    assert GuardDecision(True, "ok", 1, 10, 2).forced is False
