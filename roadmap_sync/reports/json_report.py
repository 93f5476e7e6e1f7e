"""The report as JSON for tools and dashboards, schema ``roadmap-sync/report@2``.

A field is only ever added within a version; removing or changing one bumps the version.
Times are ISO 8601 with their offset, days are ``YYYY-MM-DD``, shares are fractions from 0 to
1, story points are numbers. A ``previous`` or ``delta`` is null on the first report (nothing to
compare with); ``search`` fields are Jira issue-search URLs, ``url`` fields are Jira issue URLs.
Every count is defined once (``core/numbers.py``); ``numbers`` carries each headline number
with its definition.

**What changed from @1** (for readers of ``roadmap-sync/report@1``):

- ``releases[].metrics`` is a list of metric objects (below), no longer a list of strings: a
  plain-text metric of the roadmap is ``{"name": <the text>, "target": null, "latest": null,
  "status": "no_data", "trend": null}``.
- New: top-level ``numbers`` and ``attention``; per release ``forecast``,
  ``forecast_reason``, ``baseline``, ``baseline_reason``, ``scope_changes``, ``goal_met``,
  ``features``, ``burnup``, ``open_verdicts``. Everything else keeps its @1 meaning.

Top level:

- ``schema``: ``"roadmap-sync/report@2"``.
- ``product``: the roadmap's product name. ``roadmap``: the roadmap's name in the state store.
- ``site_url``: the Jira site. ``run_id``: the run the report describes.
- ``generated_at``: when the report was made. ``since``: the run compared with (null first).
- ``today``: the day overdue releases were judged on. ``first``: true for the first report.
- ``highlights``: a few plain-text sentences summarising the week.
- ``numbers``: object keyed by number name (``alignment``, ``orphans``, ``out_of_scope``,
  ``overdue_releases``, ``at_risk_releases`` when forecasts exist, ``uncovered_features``), each
  ``{"title", "value", "definition"}``: the values every rendering and the chat message show.
- ``attention``: what needs the product owner, most urgent first: ``{"kind", "text", "link"}``
  with kind ``date_at_risk``, ``overdue``, ``newly_flagged`` or ``uncovered``.
- ``alignment``: ``score``, ``previous``, ``delta`` (shares of open, non-ignored items that trace
  to a release goal; ``score`` is null with no such items) and ``trend``, a list of
  ``{"at", "score"}`` oldest first, ending with this run.
- ``verdicts``: object keyed by verdict (``aligned``, ``out_of_scope``, ``orphan``,
  ``ignored``), each ``{"count", "previous"}`` over every item, open and done.
- ``flags``: list of flag objects (below) for the whole roadmap.
- ``releases``: list of release objects (below) in roadmap order, the unplanned bucket last.
- ``moves``: an item list (below) of items that changed release.

Release object: ``id`` (null for the unplanned bucket), ``anchor`` (fragment id in the HTML
report), ``title``, ``goal``, ``metrics`` (list of metric objects), ``when`` (date or
timeframe as written), ``end_date``, ``overdue`` (bool), ``search`` (Jira search for the
release label, null for unplanned), ``items`` and ``points`` (each ``{"now", "previous",
"delta"}``, open and done together), ``done`` (``{"items", "points", "share"}``), ``verdicts``
(object verdict -> count, every item), ``open_verdicts`` (the same over open items), ``flags``
(list of flag objects), ``uncovered_features`` (feature names no item delivers), ``lists``
(object with the item lists ``entered``, ``left``, ``newly_flagged``, ``cleared``), and the
outlook (null for the unplanned bucket and when nothing was recorded, with a reason):

- ``forecast``: ``{"p50", "p85", "p95", "probability_on_time", "previous_probability",
  "cut_line", "basis": {"weeks", "throughput_per_week", "scope_growth"}}``: completion days
  (null beyond three years), the share of simulated futures done by ``end_date``, that share
  at the compared run (null when unknown), the features (roadmap order) that fit by the date in
  85% of futures, and what the simulation rests on (weeks of throughput history, mean scope
  items resolved per week, scope items added per week). ``forecast_reason`` says why it is
  null ("done: no open work", "no forecast: no story-level item was resolved ...").
- ``baseline``: ``{"at", "items", "points", "added", "removed", "moved_in", "moved_out",
  "growth"}``: when the scope was baselined, its scope items and points then, four
  ``{"items", "points"}`` of what changed since, and ``growth`` (net change in scope items over
  the baseline's, a share; null for an empty baseline). ``baseline_reason`` says why it is
  null. ``scope_changes``: ``{"items_now", "points_now", "redated": {"from", "to"} | null,
  "unplanned_share", "frozen", "changes": [{"key", "kind", "points", "at", "who"}]}``.
- metric object: ``{"name", "target", "latest", "status", "trend"}``: ``target``
  ``{"value", "unit", "direction": "up" | "down"}``, ``latest`` ``{"value", "at"}``, ``status``
  one of ``pending`` (before the release date), ``no_data``, ``met``, ``on_track``, ``missed``;
  ``trend`` ``up``, ``down``, ``flat`` or null. ``goal_met``: after every review date, whether
  all structured metrics met their targets (else null).
- ``features``: ``[{"name", "items", "done", "flagged", "uncovered"}]`` in roadmap order
  (counts null when not recorded). ``burnup``: ``[{"at", "scope", "done"}]`` scope items since
  the baseline, one point per change.

Flag object: ``flag`` (``orphan`` or ``out_of_scope``), ``label`` (the Jira label), ``title``,
``count`` (open items carrying it), ``previous``, ``delta``, ``search``.

Item list: ``title``, ``total`` (all items), ``more`` (items beyond those listed: lists are
capped at 25), ``search`` (a search listing all of them that still exist, or null), ``items``:
list of ``{"key", "url", "summary", "type", "status", "done", "verdict", "points", "note"}``
where ``note`` says why the item is listed ("new", "from Loyalty", "was orphan, now aligned").
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from roadmap_sync.core.numbers import VerdictCounts
from roadmap_sync.reports.model import FlagLine, ItemList, Link, ReleaseSection, Report
from roadmap_sync.reports.outlook_view import BaselineView, ForecastView

__all__ = ["SCHEMA", "render_json", "report_document"]

SCHEMA = "roadmap-sync/report@2"

Json = dict[str, Any]


def _url(link: Link | None) -> str | None:
    return None if link is None else link.url


def _iso(moment: dt.date | dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _change(now: float, previous: float | None) -> Json:
    delta = None if previous is None else now - previous
    return {"now": now, "previous": previous, "delta": delta}


def _flag(flag: FlagLine) -> Json:
    return {
        "flag": flag.flag.value,
        "label": flag.label,
        "title": flag.title,
        "count": flag.count,
        "previous": flag.before,
        "delta": flag.delta,
        "search": flag.search.url,
    }


def _list(items: ItemList) -> Json:
    return {
        "title": items.title,
        "total": items.total,
        "more": items.more,
        "search": _url(items.search),
        "items": [
            {
                "key": line.key,
                "url": line.url,
                "summary": line.summary,
                "type": line.issue_type,
                "status": line.status,
                "done": line.done,
                "verdict": line.verdict.value,
                "points": line.points,
                "note": line.note,
            }
            for line in items.items
        ],
    }


def _verdicts(verdicts: VerdictCounts) -> Json:
    return {
        "aligned": verdicts.aligned,
        "out_of_scope": verdicts.out_of_scope,
        "orphan": verdicts.orphan,
        "ignored": verdicts.ignored,
    }


def _forecast(view: ForecastView | None) -> Json | None:
    if view is None:
        return None
    return {
        "p50": _iso(view.p50),
        "p85": _iso(view.p85),
        "p95": _iso(view.p95),
        "probability_on_time": view.probability,
        "previous_probability": view.previous_probability,
        "cut_line": list(view.cut_line),
        "basis": {
            "weeks": view.weeks,
            "throughput_per_week": view.throughput,
            "scope_growth": view.growth,
        },
    }


def _baseline(view: BaselineView | None) -> tuple[Json | None, Json | None]:
    if view is None:
        return None, None

    def pair(value: tuple[int, float]) -> Json:
        return {"items": value[0], "points": value[1]}

    baseline = {
        "at": _iso(view.at),
        "items": view.items,
        "points": view.points,
        "added": pair(view.added),
        "removed": pair(view.removed),
        "moved_in": pair(view.moved_in),
        "moved_out": pair(view.moved_out),
        "growth": view.growth,
    }
    changes = {
        "items_now": view.items_now,
        "points_now": view.points_now,
        "redated": None
        if view.redated is None
        else {"from": _iso(view.redated[0]), "to": _iso(view.redated[1])},
        "unplanned_share": view.unplanned_share,
        "frozen": view.frozen,
        "changes": [
            {"key": c.key, "kind": c.kind, "points": c.points, "at": _iso(c.at), "who": c.who}
            for c in view.changes
        ],
    }
    return baseline, changes


def _outlook(section: ReleaseSection) -> Json:
    outlook = section.outlook
    if outlook is None:
        metrics = [
            {"name": name, "target": None, "latest": None, "status": "no_data", "trend": None}
            for name in section.metrics
        ]
        return {
            "metrics": metrics, "forecast": None, "forecast_reason": None, "baseline": None,
            "baseline_reason": None, "scope_changes": None, "goal_met": None, "features": [],
            "burnup": [],
        }  # fmt: skip
    baseline, changes = _baseline(outlook.baseline)
    return {
        "metrics": [
            {
                "name": m.name,
                "target": None if m.target is None else dict(m.target),
                "latest": None if m.latest is None else dict(m.latest),
                "status": m.status,
                "trend": m.trend,
            }
            for m in outlook.metrics
        ],
        "forecast": _forecast(outlook.forecast),
        "forecast_reason": outlook.forecast_reason,
        "baseline": baseline,
        "baseline_reason": outlook.baseline_reason,
        "scope_changes": changes,
        "goal_met": outlook.goal_met,
        "features": [
            {
                "name": f.name,
                "items": f.items,
                "done": f.done,
                "flagged": f.flagged,
                "uncovered": f.uncovered,
            }
            for f in section.features
        ],
        "burnup": [{"at": _iso(p.at), "scope": p.scope, "done": p.done} for p in outlook.burnup],
    }


def _release(section: ReleaseSection) -> Json:
    return {
        "id": section.release_id,
        "anchor": section.anchor,
        "title": section.title,
        "goal": section.goal,
        "when": section.when,
        "end_date": _iso(section.end_date),
        "overdue": section.overdue,
        "search": _url(section.search),
        "items": _change(section.items, section.items_before),
        "points": _change(section.points, section.points_before),
        "done": {
            "items": section.done_items,
            "points": section.done_points,
            "share": section.done_share,
        },
        "verdicts": _verdicts(section.verdicts),
        "open_verdicts": _verdicts(section.open_verdicts),
        "flags": [_flag(flag) for flag in section.flags],
        "uncovered_features": list(section.uncovered_features),
        "lists": {items.kind: _list(items) for items in section.lists},
        **_outlook(section),
    }


def report_document(report: Report) -> Json:
    """The report as a JSON-ready dict (schema roadmap-sync/report@2)."""
    alignment = report.alignment
    return {
        "schema": SCHEMA,
        "product": report.product,
        "roadmap": report.roadmap,
        "site_url": report.site_url,
        "run_id": report.run_id,
        "generated_at": _iso(report.generated_at),
        "since": _iso(report.since),
        "today": _iso(report.today),
        "first": report.first,
        "highlights": list(report.highlights),
        "alignment": {
            "score": alignment.score,
            "previous": alignment.previous,
            "delta": alignment.delta,
            "trend": [{"at": _iso(point.at), "score": point.score} for point in alignment.trend],
        },
        "verdicts": {
            line.verdict.value: {"count": line.count, "previous": line.before}
            for line in report.verdicts
        },
        "flags": [_flag(flag) for flag in report.flags],
        "numbers": {
            number.name: {
                "title": number.title,
                "value": number.value,
                "definition": number.definition,
            }
            for number in report.numbers
        },
        "attention": [
            {"kind": line.kind, "text": line.text, "link": _url(line.link)}
            for line in report.attention
        ],
        "releases": [_release(section) for section in report.releases],
        "moves": _list(report.moves),
    }


def render_json(report: Report) -> str:
    """The report as indented JSON text, ending with a newline."""
    return json.dumps(report_document(report), indent=2, ensure_ascii=False) + "\n"
