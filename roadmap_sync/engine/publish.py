"""Building, storing and delivering the drift report (``report`` command, weekly job, demo).

The report compares the newest stored snapshot of a roadmap with an older one: by default the
newest one taken at least a week earlier (``--since DATE`` picks another cut-off, ``--last``
the run just before). It is always saved in the state store before any delivery, so a failed
delivery never loses it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog
from pydantic import ValidationError

from roadmap_sync.core.drift import compute_drift
from roadmap_sync.core.records import RunRecord
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.engine.suggestions import latest_suggestions
from roadmap_sync.reports import message
from roadmap_sync.reports.delivery.base import DeliveryResult, RenderedReport
from roadmap_sync.reports.delivery.dispatch import deliver
from roadmap_sync.reports.delivery.settings import load_delivery
from roadmap_sync.reports.html import render_html, render_roadmap_html
from roadmap_sync.reports.json_report import render_json
from roadmap_sync.reports.markdown import render_markdown, render_roadmap_markdown
from roadmap_sync.reports.model import Report, build_report
from roadmap_sync.reports.outlook_view import OutlookInput
from roadmap_sync.reports.suggestions import suggestion_highlights
from roadmap_sync.runtime.settings import Settings
from roadmap_sync.state.outlook import OutlookStore
from roadmap_sync.state.store import StateStore

log = structlog.get_logger(__name__)
WEEK = dt.timedelta(days=7)
TREND_WINDOW = dt.timedelta(weeks=26)
# A weekly report already sent within this window is not sent again (restarts, replicas).
RESEND_GUARD = dt.timedelta(days=6)
RENDERERS: dict[str, Callable[[Report], str]] = {
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
}
# `report --view roadmap`: the GO roadmap alone (JSON carries it in every report already).
ROADMAP_RENDERERS: dict[str, Callable[[Report], str]] = {
    "markdown": render_roadmap_markdown,
    "html": render_roadmap_html,
    "json": render_json,
}


# The stored format name of `report --view roadmap --format html`.
ROADMAP_VIEW = "roadmap-html"


class ReportError(Exception):
    """No report can be built (nothing recorded yet)."""


def build_report_for(
    store: StateStore,
    roadmap: Roadmap,
    site_url: str,
    now: dt.datetime,
    *,
    since: dt.datetime | None = None,
    last: bool = False,
) -> Report:
    """The drift report of a roadmap from its stored snapshots."""
    current = store.latest_snapshot(roadmap.product, labels=False)
    if current is None:
        raise ReportError(
            f"no sync of {roadmap.product!r} is recorded yet: run 'roadmap-sync run --once' first"
        )
    if last:
        previous = store.latest_snapshot(roadmap.product, exclude_run=current.run_id, labels=False)
    else:
        cutoff = since or current.taken_at - WEEK
        previous = store.latest_snapshot(
            roadmap.product, before=cutoff, exclude_run=current.run_id, labels=False
        )
    history = store.alignment_history(roadmap.product, since=current.taken_at - TREND_WINDOW)
    drift = compute_drift(previous, current, roadmap, alignment_history=history, today=now.date())
    report = build_report(
        drift,
        roadmap,
        site_url=site_url,
        generated_at=now,
        since=previous.taken_at if previous else None,
        outlook=_outlook(store, roadmap, current.run_id, previous.run_id if previous else None),
    )
    report = _announce_first_sync(report, store.run(current.run_id))
    suggestions = latest_suggestions(store, roadmap.product)
    if suggestions:
        extra = tuple(suggestion_highlights(suggestions))
        report = dataclasses.replace(report, highlights=(*report.highlights, *extra))
    return report


def _outlook(
    store: StateStore, roadmap: Roadmap, run_id: int, previous_run: int | None
) -> OutlookInput:
    """The forecasts, baselines and metrics recorded with the run, and what the report compares."""
    outlooks = OutlookStore(store)
    current = outlooks.outlooks(roadmap.product, run_id)
    taken = [
        dt.datetime.fromisoformat(d["baseline"]["at"])
        for d in current.values()
        if d.get("baseline")
    ]
    since = min(taken, default=None)
    history = {}
    if since is not None:
        history = {r.id: outlooks.history(roadmap.product, r.id, since) for r in roadmap.releases}
    return OutlookInput(
        current=current,
        previous={} if previous_run is None else outlooks.outlooks(roadmap.product, previous_run),
        history=history,
        threshold=roadmap.forecast.threshold,
    )


def _announce_first_sync(report: Report, run: RunRecord) -> Report:
    """The report of a roadmap's first sync says that the guard let it label the backlog."""
    if not run.counts.get("first_sync"):
        return report
    note = (
        f"Run {run.run_id} was this roadmap's first sync: it labelled "
        f"{run.counts.get('changes_applied', 0)} issues (guard.first_sync: allow); "
        f"'roadmap-sync revert {run.run_id}' undoes it."
    )
    return dataclasses.replace(report, highlights=(note, *report.highlights))


def rendered(report: Report, url: str | None = None) -> RenderedReport:
    """The report as delivery channels take it: attention first, numbers, links."""
    week = report.generated_at.isocalendar().week
    return RenderedReport(
        title=message.subject(report, f"{report.product}: roadmap drift, week {week}"),
        markdown=render_markdown(report),
        html=render_html(report),
        summary=message.summary(report),
        url=url,
        links=message.message_links(report),
    )


@dataclass(frozen=True)
class Published:
    """Where a report went: its id in the store and each delivery's result."""

    report_id: int
    deliveries: tuple[DeliveryResult, ...]


def publish(
    store: StateStore,
    settings: Settings,
    report: Report,
    now: dt.datetime,
    *,
    send: bool,
) -> Published:
    """Save the report (HTML, Markdown, JSON) in the store, then deliver it if asked."""
    product = report.product
    config = None
    if send:
        try:
            config = load_delivery()
        except ValidationError as error:
            raise ReportError(f"invalid delivery settings: {error}") from None
    ready = rendered(report, config.report_url if config is not None else None)
    report_id = store.save_report(report.run_id, product, "html", ready.html, now)
    store.save_report(report.run_id, product, "markdown", ready.markdown, now)
    store.save_report(report.run_id, product, "json", render_json(report), now)
    # The GO roadmap alone, for stakeholders: the worker serves it at /reports/roadmap.
    store.save_report(report.run_id, product, ROADMAP_VIEW, render_roadmap_html(report), now)
    results: list[DeliveryResult] = []
    if config is not None:
        out_dir = config.report_dir or Path(settings.data_dir) / "reports"
        results = deliver(ready, config, out_dir=out_dir, now=now)
        for result in results:
            store.record_delivery(report_id, result.channel, result.ok, result.detail, now)
            log.info("report_delivered", channel=result.channel, ok=result.ok)
    return Published(report_id, tuple(results))


def weekly_report(
    settings: Settings, store: StateStore, roadmap: Roadmap, now: dt.datetime
) -> bool:
    """The scheduled weekly report; False when it was already sent this week."""
    sent_at = store.latest_report_at(roadmap.product, "html")
    if sent_at is not None and now - sent_at < RESEND_GUARD:
        log.info("weekly_report_already_sent", roadmap=roadmap.product, at=sent_at.isoformat())
        return False
    report = build_report_for(store, roadmap, settings.jira_url or "", now)
    published = publish(store, settings, report, now, send=True)
    failed = [r.channel for r in published.deliveries if not r.ok]
    log.info("weekly_report_sent", report_id=published.report_id, failed_channels=failed)
    return True
