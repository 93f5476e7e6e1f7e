"""The release outlook of one recorded sync: forecasts, scope baselines and goal metrics.

Runs after a full sync's reads and writes, from what the sync read (no second pass over Jira
except for the changelogs of the few items that changed a release's scope since its baseline,
and the metric sources). Everything it computes is stored per run and release
(``state/outlook.py``), so a report shows a run as it was. It never fails the sync: a broken
metric source is a ``metric_unavailable`` finding, a changelog that cannot be read leaves "who
and when" blank, and anything else is logged and skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from roadmap_sync.core.baseline import (
    Baseline,
    FieldChange,
    Growth,
    ScopeItem,
    baseline_due,
    growth_since,
)
from roadmap_sync.core.forecast import (
    FeatureWork,
    Forecast,
    ForecastOptions,
    NoForecast,
    ReleaseWork,
    simulate,
    weekly_throughput,
)
from roadmap_sync.core.metric_status import MetricState, Reading, goal_met, metric_state
from roadmap_sync.core.model import Finding, FindingKind
from roadmap_sync.core.roadmap import Release, Roadmap
from roadmap_sync.engine.sync import SyncPlan
from roadmap_sync.metric_sources import (
    ManualReadings,
    MetricSourceError,
    load_manual,
    manual_path,
    read_source,
)
from roadmap_sync.state.outlook import OutlookStore
from roadmap_sync.state.store import StateStore
from roadmap_sync.trackers.base import Tracker, TrackerError

__all__ = ["refresh_outlook"]

log = structlog.get_logger(__name__)
Json = dict[str, Any]
CHANGELOG_KEYS = 200  # scope changes whose author and time are looked up per sync


def _day(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@dataclass
class _Scope:
    """What the sync read, per release bucket, in the forecast's and baseline's units."""

    items: dict[str, dict[str, ScopeItem]]  # release -> scope item key -> item
    open: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    empty_epics: Counter[str] = field(default_factory=Counter)
    feature_open: Counter[tuple[str, str]] = field(default_factory=Counter)
    feature_epics: Counter[tuple[str, str]] = field(default_factory=Counter)
    resolved: list[dt.date] = field(default_factory=list)


class _Days(dict[str, dt.date | None]):
    """Calendar days by their text, parsed once: a backlog shares a few hundred days."""

    def __missing__(self, text: str) -> dt.date | None:
        found = self[text] = _day(text)
        return found


def _scope(plan: SyncPlan) -> _Scope:
    """Scope items (stories, tasks, bugs: not epics, not sub-tasks) per release, in one pass.

    Runs on every sync over every item (100,000 in bench/steady_state.py): look-ups are
    hoisted and days parsed once."""
    roadmap = plan.roadmap
    config = roadmap.tracker
    known = {release.id for release in roadmap.releases}
    scope = _Scope({release.id: {} for release in roadmap.releases})
    has_stories: set[str] = set()
    epics = []
    days = _Days()
    epic_level: dict[tuple[str, int], bool] = {}
    resolved, members = scope.resolved, scope.items
    open_items, done_items, feature_open = scope.open, scope.done, scope.feature_open
    for item, trace in zip(plan.items, plan.classification.traces, strict=True):
        release = trace.planned_release or trace.scheduled_release
        bucket = release if release in known else None
        kind = (item.issue_type, item.hierarchy_level)
        is_epic = epic_level.get(kind)
        if is_epic is None:
            is_epic = epic_level[kind] = config.is_epic_level(*kind)
        if is_epic:
            if bucket is not None and not trace.done:
                epics.append((item.key, bucket, trace.feature, trace.planned_release))
            continue
        if item.hierarchy_level < 0:
            continue  # sub-tasks are part of their story
        if item.parent_key:
            has_stories.add(item.parent_key)
        if trace.done and (resolved_on := days[item.resolved]) is not None:
            resolved.append(resolved_on)
        if bucket is None:
            continue
        members[bucket][item.key] = ScopeItem(
            item.key, item.story_points or 0.0, days[item.created]
        )
        if trace.done:
            done_items[bucket] += 1
            continue
        open_items[bucket] += 1
        if trace.feature is not None and trace.planned_release == bucket:
            feature_open[(bucket, trace.feature)] += 1
    _count_empty_epics(scope, epics, has_stories)
    return scope


def _count_empty_epics(
    scope: _Scope, epics: Sequence[tuple[str, str, str | None, str | None]], has_stories: set[str]
) -> None:
    """Open epics without any story yet: the forecast estimates their size."""
    for key, bucket, feature, planned in epics:
        if key not in has_stories:
            scope.empty_epics[bucket] += 1
            if feature is not None and planned == bucket:
                scope.feature_epics[(bucket, feature)] += 1


def _feature_counts(plan: SyncPlan) -> dict[tuple[str, str], list[int]]:
    """(release, feature) -> [items, done, flagged] of the items the feature claims."""
    counts: dict[tuple[str, str], list[int]] = {}
    for trace in plan.classification.traces:
        if trace.feature is None or trace.planned_release is None:
            continue
        entry = counts.setdefault((trace.planned_release, trace.feature), [0, 0, 0])
        entry[0] += 1
        entry[1] += trace.done
        entry[2] += trace.flagged
    return counts


def _growth_rate(
    history: Sequence[tuple[dt.datetime, Json]], items: int, now: dt.datetime
) -> float:
    """Scope items added per week over the recorded history (net, never negative)."""
    if not history:
        return 0.0
    first_at, first = history[0]
    days = (now - first_at).total_seconds() / 86400
    if days < 6:  # less than a week says nothing about a weekly rate
        return 0.0
    before = int(first.get("scope", {}).get("items", items))
    return max(0.0, (items - before) / (days / 7))


# A forecast is kept while the open work it was computed from has moved by at most this share
# of a week's mean throughput, in all: its dates are whole days, so half a day of work moves
# them by a day at most. A 10,000-future simulation every 15 minutes, for 50 edits, was most of
# an incremental sync's own time. The day, the throughput history, the roadmap's releases and
# features, and a release becoming done always recompute it.
KEEP_WITHIN_WEEK_SHARE = 1 / 14


def _basis(
    works: Sequence[ReleaseWork],
    throughput: Sequence[int],
    options: ForecastOptions,
    today: dt.date,
) -> str:
    """A digest of what a forecast rests on besides the amounts of open work."""
    releases = [
        [w.release_id, w.end_date.isoformat(), w.done, [f.name for f in w.features]] for w in works
    ]
    text = json.dumps([releases, list(throughput), repr(options), today.isoformat()])
    return hashlib.sha256(text.encode()).hexdigest()


def _work_json(work: ReleaseWork) -> Json:
    """The amounts of open work a release's forecast is computed from, as stored."""
    return {
        "open": work.open_items,
        "empty_epics": work.empty_epics,
        "growth": work.growth_per_week,
        "features": [[f.open_items, f.empty_epics] for f in work.features],
    }


def _still_current(
    previous: Mapping[str, Json],
    basis: str,
    works: Sequence[ReleaseWork],
    throughput: Sequence[int],
    options: ForecastOptions,
    today: dt.date,
) -> bool:
    """Whether the last stored forecasts still answer for this work (KEEP_WITHIN_WEEK_SHARE).

    Open work moved counts in items: open story-level items, empty epics at their mean
    estimated size, and the change in scope growth over the weeks to the release's date. Work
    moved between a release's features moves its cut line, so features are counted apart.
    """
    epic = sum(options.epic_stories) / 2
    moved = moved_features = 0.0
    for release in works:
        stored = previous.get(release.release_id) or {}
        before = stored.get("work")
        if stored.get("inputs") != basis or not isinstance(before, dict):
            return False
        now = _work_json(release)
        weeks = max(1.0, (release.end_date - today).days / 7)
        try:
            moved += (
                abs(now["open"] - before["open"])
                + abs(now["empty_epics"] - before["empty_epics"]) * epic
                + abs(now["growth"] - before["growth"]) * weeks
            )
            moved_features += sum(
                abs(a - c) + abs(b - d) * epic
                for (a, b), (c, d) in zip(now["features"], before["features"], strict=True)
            )
        except (KeyError, TypeError, ValueError):
            return False  # stored by another version
    allowed = sum(throughput) / max(1, len(throughput)) * KEEP_WITHIN_WEEK_SHARE
    return max(moved, moved_features) <= allowed


def _forecast_json(result: Forecast | NoForecast | None) -> tuple[Json | None, str | None]:
    if result is None:
        return None, "no forecast computed"
    if isinstance(result, NoForecast):
        return None, result.reason

    def iso(day: dt.date | None) -> str | None:
        return None if day is None else day.isoformat()

    return {
        "p50": iso(result.p50),
        "p85": iso(result.p85),
        "p95": iso(result.p95),
        "probability_on_time": round(result.probability_on_time, 4),
        "cut_line": list(result.cut_line),
        "basis": {
            "weeks": result.basis.weeks,
            "throughput_per_week": result.basis.throughput_per_week,
            "scope_growth": result.basis.scope_growth,
        },
    }, None


def _growth_json(growth: Growth) -> tuple[Json, Json]:
    def tally(items: int, points: float) -> Json:
        return {"items": items, "points": points}

    baseline = {
        "at": growth.baseline.at.isoformat(),
        "items": growth.baseline.items,
        "points": growth.baseline.points,
        "added": tally(growth.added.items, growth.added.points),
        "removed": tally(growth.removed.items, growth.removed.points),
        "moved_in": tally(growth.moved_in.items, growth.moved_in.points),
        "moved_out": tally(growth.moved_out.items, growth.moved_out.points),
        "growth": None if growth.growth is None else round(growth.growth, 4),
    }
    redated = growth.redated
    changes = {
        "items_now": growth.items,
        "points_now": growth.points,
        "redated": None
        if redated is None
        else {"from": redated[0].isoformat(), "to": redated[1].isoformat()},
        "unplanned_share": None
        if growth.unplanned_share is None
        else round(growth.unplanned_share, 4),
        "changes": [
            {
                "key": change.key,
                "kind": change.kind.value,
                "points": change.points,
                "at": None if change.at is None else change.at.isoformat(),
                "who": change.who,
            }
            for change in growth.changes
        ],
    }
    return baseline, changes


def _metric_json(
    release: Release, states: Sequence[MetricState], sources: Mapping[str, str]
) -> list[Json]:
    by_name = {metric.name: metric for metric in release.structured_metrics}
    found = []
    for state in states:
        metric = by_name[state.name]
        found.append(
            {
                "name": state.name,
                "target": {
                    "value": metric.target.value,
                    "unit": metric.target.unit,
                    "direction": metric.target.direction,
                },
                "baseline": metric.baseline,
                "review": None if metric.review is None else metric.review.isoformat(),
                "latest": None
                if state.latest is None
                else {"value": state.latest.value, "at": state.latest.at.isoformat()},
                "status": state.status.value,
                "trend": state.trend,
                "source": sources.get(state.name, metric.source.type),
            }
        )
    return found


class _Outlook:
    """One refresh: the inputs read once, then each part in turn."""

    def __init__(
        self, plan: SyncPlan, tracker: Tracker, store: StateStore, now: dt.datetime, today: dt.date
    ) -> None:
        self.plan = plan
        self.roadmap: Roadmap = plan.roadmap
        self.tracker = tracker
        self.outlooks = OutlookStore(store)
        self.now = now
        self.today = today
        self.scope = _scope(plan)
        self.findings: list[Finding] = []
        # What the forecasts stored with this run were computed from (kept ones: theirs).
        self.inputs = ""
        self.work: dict[str, Json] = {}

    # -- forecast ---------------------------------------------------------------------------
    def forecasts(self, previous: Mapping[str, Json]) -> dict[str, tuple[Json | None, str | None]]:
        settings = self.roadmap.forecast
        throughput = weekly_throughput(self.scope.resolved, self.today, settings.weeks)
        since = self.now - dt.timedelta(weeks=settings.weeks)
        works = []
        for release in self.roadmap.releases:
            history = self.outlooks.history(self.roadmap.product, release.id, since)
            rate = _growth_rate(history, len(self.scope.items[release.id]), self.now)
            features = tuple(
                FeatureWork(
                    feature.name,
                    self.scope.feature_open[(release.id, feature.name)],
                    self.scope.feature_epics[(release.id, feature.name)],
                )
                for feature in release.features
            )
            works.append(
                ReleaseWork(
                    release.id, release.end_date, self.scope.open[release.id],
                    self.scope.empty_epics[release.id], round(rate, 2), features,
                )
            )  # fmt: skip
        options = ForecastOptions(settings.futures, settings.seed, settings.epic_stories)
        self.inputs = _basis(works, throughput, options, self.today)
        if _still_current(previous, self.inputs, works, throughput, options, self.today):
            # Kept, with the work it was computed from: small moves add up (_still_current).
            self.work = {rid: previous[rid]["work"] for rid in (w.release_id for w in works)}
            return {rid: (previous[rid].get("forecast"), previous[rid].get("forecast_reason"))
                    for rid in self.work}  # fmt: skip
        results = simulate(works, throughput, today=self.today, options=options)
        self.work = {release.release_id: _work_json(release) for release in works}
        return {
            rid: _forecast_json(results.get(rid)) for rid in (r.id for r in self.roadmap.releases)
        }

    def at_risk(self, release: Release, forecast: Json | None) -> None:
        threshold = self.roadmap.forecast.threshold
        if forecast is None or release.end_date < self.today:
            return  # an overdue release already has its finding
        chance = forecast["probability_on_time"]
        if chance >= threshold:
            return
        likely = forecast["p85"] or "not within three years"
        self.findings.append(
            Finding(
                FindingKind.DATE_AT_RISK,
                release.id,
                release.id,
                f"release {release.id} '{release.name}' has a {round(chance * 100)}% chance of "
                f"finishing by {release.end_date.isoformat()} (85% likely by {likely})",
            )
        )

    # -- baselines ------------------------------------------------------------------------------
    def baselines(self, run_id: int) -> dict[str, tuple[Json | None, Json | None, str | None]]:
        product = self.roadmap.product
        stored = self.outlooks.baselines(product)
        upcoming = self.roadmap.upcoming_releases(self.today)
        next_release = upcoming[0].id if upcoming else None
        for release in self.roadmap.releases:
            due = baseline_due(release.id, release.committed, next_release, self.today)
            if release.id not in stored and due:
                members = {key: item.points for key, item in self.scope.items[release.id].items()}
                baseline = Baseline(release.id, self.now, release.end_date, members)
                self.outlooks.save_baseline(product, baseline, run_id)
                stored[release.id] = (baseline, None)
        backlog = frozenset(item.key for item in self.plan.items)
        changelog = self._changelog(stored, backlog)
        found: dict[str, tuple[Json | None, Json | None, str | None]] = {}
        for release in self.roadmap.releases:
            if release.id not in stored:
                why = "not baselined yet: a release is baselined when it becomes the next one"
                if release.committed is not None:
                    why += f" or on its committed date ({release.committed.isoformat()})"
                found[release.id] = (None, None, why)
                continue
            baseline, final = stored[release.id]
            if final is not None:  # shipped: frozen
                found[release.id] = (final["baseline"], {**final["changes"], "frozen": True}, None)
                continue
            growth = growth_since(
                baseline, self.scope.items[release.id], backlog, release.end_date, changelog
            )
            summary, changes = _growth_json(growth)
            shipped = release.end_date < self.today and self.scope.open[release.id] == 0
            if shipped:
                self.outlooks.freeze(product, release.id, {"baseline": summary, "changes": changes})
            found[release.id] = (summary, {**changes, "frozen": shipped}, None)
        return found

    def _changelog(
        self, stored: Mapping[str, tuple[Baseline, Json | None]], backlog: frozenset[str]
    ) -> dict[str, list[FieldChange]]:
        """Who moved the items that changed a release's scope, for the first CHANGELOG_KEYS."""
        keys: list[str] = []
        for release_id, (baseline, final) in stored.items():
            if final is not None or release_id not in self.scope.items:
                continue
            now = self.scope.items[release_id]
            keys += [key for key in now if key not in baseline.members]
            keys += [key for key in baseline.members if key not in now and key in backlog]
        wanted = sorted(set(keys))[:CHANGELOG_KEYS]
        if not wanted:
            return {}
        try:
            return self.tracker.changelogs(wanted)
        except TrackerError as error:
            log.warning("changelog_unavailable", error=str(error)[:200])
            return {}

    # -- metrics ----------------------------------------------------------------------------------
    def metrics(self) -> dict[str, tuple[list[Json], bool | None]]:
        manual: ManualReadings | None = None
        manual_error: str | None = None
        metrics_file = manual_path(self.roadmap.source_path)
        if metrics_file is not None:
            try:
                manual = load_manual(metrics_file)
            except MetricSourceError as error:
                manual_error = str(error)
        product = self.roadmap.product
        found: dict[str, tuple[list[Json], bool | None]] = {}
        for release in self.roadmap.releases:
            metrics = release.structured_metrics
            stored = self.outlooks.readings(product, release.id, [m.name for m in metrics])
            states, sources = [], {}
            for metric in metrics:
                readings: list[Reading] = stored.get(metric.name, [])
                try:
                    if metric.source.type == "manual" and manual_error is not None:
                        raise MetricSourceError(manual_error)
                    kind, fresh = read_source(metric, release.id, today=self.today, manual=manual)
                    sources[metric.name] = kind
                    if kind == "manual":
                        readings = fresh
                    else:
                        for reading in fresh:
                            self.outlooks.record_reading(
                                product, release.id, metric.name, reading, kind
                            )
                        readings = [*(r for r in readings if r.at != self.today), *fresh]
                except MetricSourceError as error:
                    self.findings.append(
                        Finding(
                            FindingKind.METRIC_UNAVAILABLE,
                            release.id,
                            metric.name,
                            f"metric '{metric.name}' of release {release.id}: {error}",
                        )
                    )
                states.append(
                    metric_state(metric, readings, today=self.today, release_date=release.end_date)
                )
            found[release.id] = (
                _metric_json(release, states, sources),
                goal_met(states, self.today),
            )
        return found

    # -- all of it ----------------------------------------------------------------------------
    def run(self, run_id: int) -> tuple[Finding, ...]:
        previous = self._latest()
        forecasts = self.forecasts(previous)
        baselines = self.baselines(run_id)
        metrics = self.metrics()
        outlooks: dict[str, Json] = {}
        features = _feature_counts(self.plan)
        for release in self.roadmap.releases:
            forecast, forecast_reason = forecasts[release.id]
            self.at_risk(release, forecast)
            baseline, changes, baseline_reason = baselines[release.id]
            metric_list, met = metrics[release.id]
            scope = self.scope
            outlooks[release.id] = {
                "inputs": self.inputs,
                "work": self.work[release.id],
                "scope": {
                    "items": len(scope.items[release.id]),
                    "open_items": scope.open[release.id],
                    "done_items": scope.done[release.id],
                    "points": float(sum(i.points for i in scope.items[release.id].values())),
                },
                "forecast": forecast,
                "forecast_reason": forecast_reason,
                "baseline": baseline,
                "baseline_reason": baseline_reason,
                "scope_changes": changes,
                "metrics": metric_list,
                "goal_met": met,
                "features": [
                    dict(zip(("name", "items", "done", "flagged"), (f.name, *counts), strict=True))
                    for f in release.features
                    for counts in [features.get((release.id, f.name), [0, 0, 0])]
                ],
            }
        self.outlooks.record_outlooks(run_id, self.roadmap.product, self.now, outlooks)
        return tuple(self.findings)

    def _latest(self) -> dict[str, Json]:
        """The newest recorded outlook of each release (to reuse an unchanged forecast)."""
        return self.outlooks.outlooks(self.roadmap.product, None)


def refresh_outlook(
    plan: SyncPlan,
    tracker: Tracker,
    store: StateStore,
    *,
    run_id: int,
    now: dt.datetime,
    today: dt.date,
) -> tuple[Finding, ...]:
    """Compute and store the outlook of a recorded sync; its findings (never raises)."""
    try:
        findings = _Outlook(plan, tracker, store, now, today).run(run_id)
    except Exception as error:  # the outlook is an addition: it must never fail the sync
        log.warning("outlook_failed", error=type(error).__name__, detail=str(error)[:300])
        return ()
    log.info("outlook_recorded", findings=len(findings))
    return findings
