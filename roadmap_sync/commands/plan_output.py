"""Renderings of a sync plan: the versioned JSON document and the table for people."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from roadmap_sync.core.model import LabelChange, Verdict
from roadmap_sync.core.numbers import Counts, headline
from roadmap_sync.engine.sync import ApplyReport, SyncPlan, plan_numbers

PLAN_SCHEMA = "roadmap-sync/plan@1"
FLAGGED_SHOWN = 15
VERDICT_STYLE = {
    Verdict.ALIGNED: "green",
    Verdict.OUT_OF_SCOPE: "yellow",
    Verdict.ORPHAN: "red",
    Verdict.IGNORED: "dim",
}


def plan_document(plan: SyncPlan) -> dict[str, Any]:
    """The ``plan --format json`` document (schema ``roadmap-sync/plan@1``)."""
    changes = {change.key: change for change in plan.labels.changes}
    items = []
    for item, trace in zip(plan.items, plan.classification.traces, strict=True):
        change = changes.get(item.key)
        items.append(
            {
                "key": item.key,
                "type": item.issue_type,
                "status": item.status,
                "done": trace.done,
                "parent": item.parent_key,
                "planned_release": trace.planned_release,
                "scheduled_release": trace.scheduled_release,
                "verdict": trace.verdict.value,
                "warnings": sorted(w.kind.value for w in trace.warnings),
                "reasons": list(trace.reasons),
                "labels_add": list(change.add) if change else [],
                "labels_remove": list(change.remove) if change else [],
            }
        )
    counts = plan.classification.verdict_counts()
    numbers = plan_numbers(plan)
    return {
        "schema": PLAN_SCHEMA,
        "product": plan.roadmap.product,
        "generated_at": plan.generated_at.isoformat(),
        "items": items,
        "findings": [
            {
                "kind": finding.kind.value,
                "release": finding.release,
                "subject": finding.subject,
                "message": finding.message,
            }
            for finding in plan.classification.findings
        ],
        "summary": {
            "items": len(plan.items),
            "by_verdict": {verdict.value: counts.get(verdict, 0) for verdict in Verdict},
            # The headline numbers, defined exactly as the report defines them (core/numbers.py).
            "numbers": {
                number.name: {"value": number.value, "definition": number.definition}
                for number in headline(numbers, uncovered=_uncovered(plan))
            },
            "releases": {
                str(release.id): _release_numbers(numbers, release.id)
                for release in plan.roadmap.releases
            },
            "changes": {
                "issues": plan.labels.issues,
                "labels_added": plan.labels.labels_added,
                "labels_removed": plan.labels.labels_removed,
            },
        },
    }


def _uncovered(plan: SyncPlan) -> int:
    return sum(1 for f in plan.classification.findings if f.kind.value == "uncovered_feature")


def _release_numbers(numbers: Counts, release_id: str | None) -> dict[str, Any]:
    bucket = numbers.bucket(release_id)
    return {
        "items": bucket.tally.items,
        "open_items": bucket.tally.open_items,
        "done_items": bucket.tally.done_items,
        "points": bucket.tally.points,
        "out_of_scope": bucket.flags.out_of_scope,
    }


def render_table(plan: SyncPlan, console: Console) -> None:
    """The plan for people: one table per roadmap, flagged items, findings, the change count."""
    roadmap = plan.roadmap
    console.print(
        f"[bold]{roadmap.product}[/bold]: {len(plan.items)} items read from "
        f"{plan.site.base_url} ({plan.site.flavor}) in {plan.read_seconds:.1f}s"
    )
    numbers = plan_numbers(plan)
    changes: dict[str, LabelChange] = {c.key: c for c in plan.labels.changes}
    changed: dict[str | None, int] = dict.fromkeys([*(r.id for r in roadmap.releases), None], 0)
    known = frozenset(r.id for r in roadmap.releases)
    for trace in plan.classification.traces:
        if trace.key in changes:
            home = trace.planned_release or trace.scheduled_release
            changed[home if home in known else None] += 1
    # Open counts, as the report shows them: a done orphan carries no flag and needs no one.
    table = Table(title="Open backlog by release (done items counted apart)", show_lines=False)
    for column in (
        "release",
        "when",
        "goal",
        "aligned",
        "out of scope",
        "orphan",
        "done",
        "changes",
    ):
        table.add_column(column, justify="left" if column in ("release", "goal") else "right")
    for release_id in [r.id for r in roadmap.releases] + [None]:
        bucket = numbers.bucket(release_id)
        open_counts = bucket.open_verdicts
        release = roadmap.release(release_id) if release_id else None
        table.add_row(
            f"{release_id} {release.name}" if release else "(no release)",
            release.when if release else "",
            release.goal if release else "",
            f"[green]{open_counts[Verdict.ALIGNED]}[/green]",
            f"[yellow]{open_counts[Verdict.OUT_OF_SCOPE]}[/yellow]",
            f"[red]{open_counts[Verdict.ORPHAN]}[/red]",
            f"{bucket.tally.done_items}/{bucket.tally.items}",
            str(changed[release_id]),
        )
    console.print(table)
    _render_flagged(plan, console, changes)
    for finding in plan.classification.findings:
        console.print(f"[magenta]{finding.kind.value}[/magenta] {finding.message}")
    console.print(
        f"[bold]{plan.labels.issues}[/bold] issues would change: "
        f"+{plan.labels.labels_added} labels, -{plan.labels.labels_removed} labels"
    )


def _render_flagged(plan: SyncPlan, console: Console, changes: dict[str, LabelChange]) -> None:
    flagged = [t for t in plan.classification.traces if t.flagged]
    if not flagged:
        return
    table = Table(title=f"Flagged open items ({len(flagged)})")
    for column in ("key", "verdict", "why", "labels"):
        table.add_column(column)
    for trace in flagged[:FLAGGED_SHOWN]:
        change = changes.get(trace.key)
        delta = ""
        if change:
            delta = " ".join([*(f"+{a}" for a in change.add), *(f"-{r}" for r in change.remove)])
        style = VERDICT_STYLE[trace.verdict]
        table.add_row(
            trace.key, f"[{style}]{trace.verdict.value}[/{style}]", "; ".join(trace.reasons), delta
        )
    console.print(table)
    if len(flagged) > FLAGGED_SHOWN:
        console.print(f"... and {len(flagged) - FLAGGED_SHOWN} more (plan --format json lists all)")


def render_apply(report: ApplyReport, console: Console) -> None:
    """What an apply did, for people."""
    if not report.applied:
        console.print(f"[red]Refused:[/red] {report.guard.message}")
        return
    done = len(report.outcomes) - len(report.failed)
    console.print(f"[green]{done}[/green] issues updated in {report.seconds:.1f}s")
    for outcome in report.failed[:FLAGGED_SHOWN]:
        console.print(f"[red]failed[/red] {outcome.change.key}: {outcome.error}")
