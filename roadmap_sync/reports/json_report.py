"""The report as JSON for tools and dashboards, schema ``roadmap-sync/report@1``.

Version 1 of the schema; a field is only ever added within a version, and removing or
changing one bumps the version. Times are ISO 8601 with their offset, days are ``YYYY-MM-DD``,
shares are fractions from 0 to 1, story points are numbers. A ``previous`` or ``delta`` is
null on the first report (nothing to compare with); ``search`` fields are Jira issue-search
URLs, ``url`` fields are Jira issue URLs.

Top level:

- ``schema``: ``"roadmap-sync/report@1"``.
- ``product``: the roadmap's product name. ``roadmap``: the roadmap's name in the state store.
- ``site_url``: the Jira site. ``run_id``: the run the report describes.
- ``generated_at``: when the report was made. ``since``: the run compared with (null first).
- ``today``: the day overdue releases were judged on. ``first``: true for the first report.
- ``highlights``: a few plain-text sentences summarising the week.
- ``alignment``: ``score``, ``previous``, ``delta`` (shares of open, non-ignored items that trace
  to a release goal; ``score`` is null with no such items) and ``trend``, a list of
  ``{"at", "score"}`` oldest first, ending with this run.
- ``verdicts``: object keyed by verdict (``aligned``, ``out_of_scope``, ``orphan``,
  ``ignored``), each ``{"count", "previous"}`` over every item, open and done.
- ``flags``: list of flag objects (below) for the whole roadmap.
- ``releases``: list of release objects (below) in roadmap order, the unplanned bucket last.
- ``moves``: an item list (below) of items that changed release.

Release object: ``id`` (null for the unplanned bucket), ``anchor`` (fragment id in the HTML
report), ``title``, ``goal``, ``metrics`` (list of strings), ``when`` (date or timeframe as
written), ``end_date``, ``overdue`` (bool), ``search`` (Jira search for the release label, null
for unplanned), ``items`` and ``points`` (each ``{"now", "previous", "delta"}``, open and done
together), ``done`` (``{"items", "points", "share"}``), ``verdicts`` (object verdict -> count),
``flags`` (list of flag objects), ``uncovered_features`` (feature names no item delivers),
``lists`` (object with the item lists ``entered``, ``left``, ``newly_flagged``, ``cleared``).

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

from roadmap_sync.reports.model import FlagLine, ItemList, Link, ReleaseSection, Report

__all__ = ["SCHEMA", "render_json", "report_document"]

SCHEMA = "roadmap-sync/report@1"

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


def _release(section: ReleaseSection) -> Json:
    verdicts = section.verdicts
    return {
        "id": section.release_id,
        "anchor": section.anchor,
        "title": section.title,
        "goal": section.goal,
        "metrics": list(section.metrics),
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
        "verdicts": {
            "aligned": verdicts.aligned,
            "out_of_scope": verdicts.out_of_scope,
            "orphan": verdicts.orphan,
            "ignored": verdicts.ignored,
        },
        "flags": [_flag(flag) for flag in section.flags],
        "uncovered_features": list(section.uncovered_features),
        "lists": {items.kind: _list(items) for items in section.lists},
    }


def report_document(report: Report) -> Json:
    """The report as a JSON-ready dict (schema roadmap-sync/report@1)."""
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
