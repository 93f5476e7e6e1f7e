"""Renderings of a sync plan: the versioned JSON document and the table for people."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from roadmap_sync.core.model import ItemTrace, LabelChange, Verdict
from roadmap_sync.engine.sync import ApplyReport, SyncPlan

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
        # Labels with the bot's prefix that it did not write: left alone (issue 10).
        "foreign_labels": [{"key": key, "label": label} for key, label in plan.labels.foreign],
        "summary": {
            "items": len(plan.items),
            "by_verdict": {verdict.value: counts.get(verdict, 0) for verdict in Verdict},
            "changes": {
                "issues": plan.labels.issues,
                "labels_added": plan.labels.labels_added,
                "labels_removed": plan.labels.labels_removed,
            },
        },
    }


def _release_rows(plan: SyncPlan) -> dict[str | None, list[ItemTrace]]:
    by_release: dict[str | None, list[ItemTrace]] = defaultdict(list)
    for trace in plan.classification.traces:
        by_release[trace.planned_release or trace.scheduled_release].append(trace)
    return by_release


def render_table(plan: SyncPlan, console: Console) -> None:
    """The plan for people: one table per roadmap, flagged items, findings, the change count."""
    roadmap = plan.roadmap
    console.print(
        f"[bold]{roadmap.product}[/bold]: {len(plan.items)} items read from "
        f"{plan.site.base_url} ({plan.site.flavor}) in {plan.read_seconds:.1f}s"
    )
    by_release = _release_rows(plan)
    changes: dict[str, LabelChange] = {c.key: c for c in plan.labels.changes}
    table = Table(title="Backlog by release", show_lines=False)
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
        traces = by_release.get(release_id, [])
        counts = Counter(t.verdict for t in traces)
        release = roadmap.release(release_id) if release_id else None
        table.add_row(
            f"{release_id} {release.name}" if release else "(no release)",
            release.when if release else "",
            release.goal if release else "",
            f"[green]{counts[Verdict.ALIGNED]}[/green]",
            f"[yellow]{counts[Verdict.OUT_OF_SCOPE]}[/yellow]",
            f"[red]{counts[Verdict.ORPHAN]}[/red]",
            f"{sum(t.done for t in traces)}/{len(traces)}",
            str(sum(1 for t in traces if t.key in changes)),
        )
    console.print(table)
    _render_flagged(plan, console, changes)
    for finding in plan.classification.findings:
        console.print(f"[magenta]{finding.kind.value}[/magenta] {finding.message}")
    _render_foreign(plan, console)
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


def _render_foreign(plan: SyncPlan, console: Console) -> None:
    """Labels that carry the bot's prefix but are people's: the bot leaves them alone."""
    foreign = plan.labels.foreign
    if not foreign:
        return
    shown = ", ".join(f"{key} {label}" for key, label in foreign[:FLAGGED_SHOWN])
    more = f" and {len(foreign) - FLAGGED_SHOWN} more" if len(foreign) > FLAGGED_SHOWN else ""
    console.print(
        f"[yellow]foreign_label[/yellow] {len(foreign)} labels start with "
        f"{plan.roadmap.labels.prefix!r} but are not the bot's, so it leaves them alone "
        f"(rename them to avoid confusion): {shown}{more}"
    )


def render_apply(report: ApplyReport, console: Console) -> None:
    """What an apply did, for people."""
    if not report.applied:
        console.print(f"[red]Refused:[/red] {report.guard.message}")
        return
    done = len(report.outcomes) - len(report.failed)
    console.print(f"[green]{done}[/green] issues updated in {report.seconds:.1f}s")
    for outcome in report.failed[:FLAGGED_SHOWN]:
        console.print(f"[red]failed[/red] {outcome.change.key}: {outcome.error}")
    if report.stop_reason:
        console.print(
            f"[red]Writes stopped:[/red] {report.stop_reason}. The changes not sent are left "
            "for the next run, which re-reads the backlog and converges."
        )
