"""Renderings of a sync plan: the versioned JSON document, and the plan for people.

For people, a plan lists every change, grouped (flags raised, flags cleared, release labels
added or moved, stale labels removed), after an overview per release. ``table`` draws the
overview as a table that stays readable at 80 columns; ``plain`` (the default off a terminal)
prints one record per line with aligned columns, never truncated or wrapped.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

import orjson
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from roadmap_sync.commands.changes import group_changes
from roadmap_sync.commands.text import aligned, change_counts, label_delta
from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import Verdict
from roadmap_sync.core.numbers import Counts, headline
from roadmap_sync.engine.sync import ApplyReport, SyncPlan, plan_numbers

PLAN_SCHEMA = "roadmap-sync/plan@1"
FAILURES_SHOWN = 15


def plan_document(plan: SyncPlan) -> dict[str, Any]:
    """The ``plan --format json`` document (schema ``roadmap-sync/plan@1``) as one value
    (tuples stand for JSON arrays)."""
    return {**_plan_head(plan), "items": list(_plan_items(plan)), **_plan_tail(plan)}


def write_plan_json(plans: Sequence[SyncPlan], out: TextIO) -> None:
    """Write the plan document(s) as JSON, a thousand items at a time, with orjson.

    The same document as ``plan_document`` (a list when several roadmaps are given), one line
    per thousand items: never the whole document in memory, and no ``indent`` (which falls back
    to the pure-Python encoder, a third of the command's time at 100,000 items). orjson writes
    UTF-8 as is; an output that cannot take it gets the standard library's ASCII escapes.
    """
    with gc_paused():  # 100,000 short-lived dicts among a plan's long-lived records
        _write_plans(plans, out, _encoder_for(out))


def _encoder_for(out: TextIO) -> Callable[[Any], str]:
    encoding = getattr(out, "encoding", None)
    if encoding and codecs.lookup(encoding).name == "utf-8":  # every alias: UTF8, utf_8, ...
        return lambda value: orjson.dumps(value).decode()
    return json.JSONEncoder(separators=(",", ":")).encode


def _write_plans(plans: Sequence[SyncPlan], out: TextIO, encode: Callable[[Any], str]) -> None:
    if len(plans) != 1:
        out.write("[")
    for number, plan in enumerate(plans):
        if number:
            out.write(",\n")
        out.write(encode(_plan_head(plan))[:-1] + ',"items":[')
        chunk: list[dict[str, Any]] = []
        separator = "\n"
        for item in _plan_items(plan):
            chunk.append(item)
            if len(chunk) == _ITEMS_PER_WRITE:
                # One encoder call per chunk: each call sets the C encoder up anew.
                out.write(separator + encode(chunk)[1:-1])
                chunk.clear()
                separator = ",\n"
        if chunk:
            out.write(separator + encode(chunk)[1:-1])
        out.write("\n]," + encode(_plan_tail(plan))[1:])
    out.write("]\n" if len(plans) != 1 else "\n")


_ITEMS_PER_WRITE = 1_000


def _plan_head(plan: SyncPlan) -> dict[str, Any]:
    return {
        "schema": PLAN_SCHEMA,
        "product": plan.roadmap.product,
        "generated_at": plan.generated_at.isoformat(),
    }


def _plan_items(plan: SyncPlan) -> Iterator[dict[str, Any]]:
    changes = {change.key: change for change in plan.labels.changes}
    for item, trace in zip(plan.items, plan.classification.traces, strict=True):
        change = changes.get(item.key)
        yield {
            "key": item.key,
            "type": item.issue_type,
            "status": item.status,
            "done": trace.done,
            "parent": item.parent_key,
            "planned_release": trace.planned_release,
            "scheduled_release": trace.scheduled_release,
            "verdict": trace.verdict.value,
            # Tuples encode as JSON arrays: no list copies.
            "warnings": sorted(w.kind.value for w in trace.warnings) if trace.warnings else (),
            "reasons": trace.reasons,
            "labels_add": change.add if change else (),
            "labels_remove": change.remove if change else (),
        }


def _plan_tail(plan: SyncPlan) -> dict[str, Any]:
    counts = plan.classification.verdict_counts()
    numbers = plan_numbers(plan)
    return {
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


OVERVIEW_HEADER = ("release", "when", "aligned", "out of scope", "orphan", "done", "changes")
# The verdict columns count open items, as the report does; a done orphan needs no one.
OVERVIEW_CAPTION = "Open items by release; done = done/all items; changes = issues changing."


def overview_rows(plan: SyncPlan) -> list[tuple[str, ...]]:
    """Per release (and "(none)" for items in no release): open items by verdict, as the
    report counts them (core/numbers.py), done of all items, and how many issues change."""
    roadmap = plan.roadmap
    numbers = plan_numbers(plan)
    changed_keys = set(plan.labels.keys())
    changed: dict[str | None, int] = dict.fromkeys([*(r.id for r in roadmap.releases), None], 0)
    known = frozenset(r.id for r in roadmap.releases)
    for trace in plan.classification.traces:
        if trace.key in changed_keys:
            home = trace.planned_release or trace.scheduled_release
            changed[home if home in known else None] += 1
    rows: list[tuple[str, ...]] = []
    for release_id in [r.id for r in roadmap.releases] + [None]:
        bucket = numbers.bucket(release_id)
        open_counts = bucket.open_verdicts
        release = roadmap.release(release_id) if release_id else None
        rows.append(
            (
                release_id or "(none)",
                release.when if release else "",
                str(open_counts[Verdict.ALIGNED]),
                str(open_counts[Verdict.OUT_OF_SCOPE]),
                str(open_counts[Verdict.ORPHAN]),
                f"{bucket.tally.done_items}/{bucket.tally.items}",
                str(changed[release_id]),
            )
        )
    return rows


def _headline(plan: SyncPlan) -> str:
    return (
        f"{plan.roadmap.product}: {len(plan.items)} items read from {plan.site.base_url} "
        f"({plan.site.flavor}) in {plan.read_seconds:.1f}s"
    )


def _footer(plan: SyncPlan) -> str:
    labels = plan.labels
    if not labels.changes:
        return "No changes: every label is as the roadmap says."
    counts = change_counts(labels.issues, labels.labels_added, labels.labels_removed)
    return f"Changes: {counts}."


def render_plain(plan: SyncPlan, console: Console, *, summary: bool = False) -> None:
    """The plan as plain lines: aligned columns, nothing truncated or wrapped."""

    def say(text: str = "") -> None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)

    say(_headline(plan))
    for release in plan.roadmap.releases:
        say(f"{release.id}  {release.name}: {release.goal}")
    say()
    say(OVERVIEW_CAPTION)
    for line in aligned([OVERVIEW_HEADER, *overview_rows(plan)]):
        say(line)
    groups = group_changes(plan.labels.changes, plan.classification, plan.roadmap)
    if summary and groups:
        say()
        counts = [
            (f"{g.title}:", f"{len(g.lines)} issue" + ("" if len(g.lines) == 1 else "s"))
            for g in groups
        ]
        for text in aligned(counts):
            say(text)
    for group in [] if summary else groups:
        say()
        say(f"{group.title} ({len(group.lines)}):")
        rows = [
            ("  " + ln.change.key, label_delta(ln.change.add, ln.change.remove), ln.reason)
            for ln in group.lines
        ]
        for text in aligned(rows):
            say(text)
    findings = plan.classification.findings
    if findings:
        say()
        for text in aligned([(f.kind.value, f.message) for f in findings]):
            say(text)
    foreign = foreign_note(plan)
    if foreign:
        say(foreign)
    say()
    say(_footer(plan))


def render_table(plan: SyncPlan, console: Console, *, summary: bool = False) -> None:
    """The plan for a terminal: an overview table that fits 80 columns, then every change."""
    product = plan.roadmap.product
    console.print(f"[bold]{escape(product)}[/bold]{escape(_headline(plan)[len(product) :])}")
    for release in plan.roadmap.releases:
        console.print(
            f"[bold]{release.id}[/bold] {escape(release.name)} ({release.when}): "
            f"{escape(release.goal)}"
        )
    # fold, never "…": a narrow terminal breaks a cell over lines instead of hiding text.
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, caption=OVERVIEW_CAPTION)
    for column in OVERVIEW_HEADER:
        text = column in ("release", "when")
        table.add_column(column, justify="left" if text else "right", overflow="fold")
    styles = ("", "", "green", "yellow", "red", "", "")
    for row in overview_rows(plan):
        table.add_row(*(f"[{s}]{c}[/{s}]" if s else c for s, c in zip(styles, row, strict=True)))
    console.print(table)
    for group in group_changes(plan.labels.changes, plan.classification, plan.roadmap):
        console.print(f"[bold]{group.title.capitalize()}[/bold] ({len(group.lines)})")
        if summary:
            continue
        lines = Table(box=None, show_header=False, pad_edge=False, padding=(0, 0, 0, 2))
        lines.add_column("key", style="cyan", no_wrap=True)
        lines.add_column("change", overflow="fold")
        lines.add_column("why", style="dim", overflow="fold", ratio=1)
        for line in group.lines:
            delta = label_delta(line.change.add, line.change.remove)
            lines.add_row(line.change.key, escape(delta), escape(line.reason))
        console.print(lines)
    for finding in plan.classification.findings:
        console.print(f"[magenta]{finding.kind.value}[/magenta] {escape(finding.message)}")
    foreign = foreign_note(plan)
    if foreign:
        console.print(f"[yellow]{escape(foreign)}[/yellow]")
    console.print(f"[bold]{escape(_footer(plan))}[/bold]")


PLAN_FORMATS = ("table", "plain", "json")


def render_plan(plan: SyncPlan, console: Console, fmt: str, *, summary: bool = False) -> None:
    """The plan for people in `fmt` (``table`` or ``plain``)."""
    if fmt == "plain":
        render_plain(plan, console, summary=summary)
    else:
        render_table(plan, console, summary=summary)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def foreign_note(plan: SyncPlan) -> str | None:
    """Labels that carry the bot's prefix but are people's: the bot leaves them alone."""
    foreign = plan.labels.foreign
    if not foreign:
        return None
    shown = ", ".join(f"{key} {label}" for key, label in foreign[:FAILURES_SHOWN])
    more = f" and {len(foreign) - FAILURES_SHOWN} more" if len(foreign) > FAILURES_SHOWN else ""
    return (
        f"foreign_label  {len(foreign)} labels start with {plan.roadmap.labels.prefix!r} but are "
        f"not the bot's, so it leaves them alone (rename them to avoid confusion): {shown}{more}"
    )


def render_apply(report: ApplyReport, console: Console) -> None:
    """What an apply did, for people."""
    if not report.applied:
        console.print(f"[red]Refused:[/red] {escape(report.guard.message)}")
        return
    if report.guard.first_sync or report.guard.forced:
        console.print(escape(_sentence(report.guard.message)))
    done = [o.applied for o in report.outcomes if o.ok]
    counts = change_counts(
        len(done), sum(len(c.add) for c in done), sum(len(c.remove) for c in done)
    )
    console.print(f"[green]Applied[/green] {counts} in {report.seconds:.1f}s")
    failed = report.failed
    if failed:
        console.print(f"[red]{len(failed)} issues failed[/red]")
    for outcome in failed[:FAILURES_SHOWN]:
        console.print(f"[red]failed[/red] {outcome.change.key}: {escape(outcome.error or '')}")
    if len(failed) > FAILURES_SHOWN:
        console.print(f"... and {len(failed) - FAILURES_SHOWN} more failures")
    if report.stop_reason:
        console.print(
            f"[red]Writes stopped:[/red] {escape(report.stop_reason)}. The changes not sent are "
            "left for the next run, which re-reads the backlog and converges."
        )
