"""Trace every backlog item to a release goal, and find what the roadmap itself lacks.

Pure: items and a roadmap in, a `Classification` out. An item's *planned* release comes from
the nearest level of its ancestry (item, parent, grandparent, ...) that a roadmap feature
claims; its *scheduled* release comes from its fixVersions. Comparing the two gives the verdict.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from roadmap_sync.core.claims import Claim, Claims, Target, Tracer
from roadmap_sync.core.gc_pause import gc_paused
from roadmap_sync.core.model import (
    BacklogItem,
    Classification,
    Finding,
    FindingKind,
    ItemTrace,
    TraceWarning,
    Verdict,
    WarningKind,
)
from roadmap_sync.core.roadmap import Release, Roadmap

__all__ = ["TraceStream", "affected_keys", "classify", "trace_day"]


@dataclass(frozen=True, slots=True)
class _Schedule:
    release: Release | None
    reason: str
    unmapped: tuple[str, ...] = ()


def _schedule_of(
    fix_versions: tuple[str, ...], by_version: Mapping[str, tuple[int, Release]]
) -> _Schedule:
    mapped = [(by_version[v], v) for v in fix_versions if v in by_version]
    if mapped:
        (_rank, release), version = min(mapped, key=lambda hit: hit[0][0])
        return _Schedule(release, f"scheduled into {release.id} by fixVersion {version}")
    if fix_versions:
        versions = ", ".join(fix_versions)
        return _Schedule(None, f"fixVersion {versions} belongs to no release", fix_versions)
    return _Schedule(None, "no fixVersion")


def _verdict(planned: Claim | None, scheduled: Release | None) -> tuple[Verdict, str]:
    if planned is None:
        if scheduled is None:
            return Verdict.ORPHAN, "orphan: serves no release goal and is scheduled nowhere"
        return Verdict.OUT_OF_SCOPE, (
            f"out of scope: scheduled into {scheduled.id} but traces to no roadmap feature"
        )
    release = planned.target.release
    if scheduled is None or scheduled.id == release.id:
        return Verdict.ALIGNED, f"aligned with release {release.id}: {release.goal}"
    return Verdict.OUT_OF_SCOPE, (
        f"out of scope: scheduled into {scheduled.id} but planned for {release.id} "
        f"(feature '{planned.target.feature.name}')"
    )


class _Classifier:
    """Per-run look-up tables and caches; `trace` is called once per item."""

    def __init__(self, roadmap: Roadmap, today: dt.date) -> None:
        self.roadmap = roadmap
        self.tracer = Tracer((), Claims(roadmap))
        self.by_version = {
            version: (rank, release)
            for rank, release in enumerate(roadmap.releases)
            for version in release.fix_versions
        }
        upcoming = roadmap.upcoming_releases(today)
        self.beyond_horizon = {
            release.id: TraceWarning(
                WarningKind.BEYOND_HORIZON,
                f"story-level item planned for {release.id} ({release.when}), beyond the "
                f"horizon of {roadmap.horizon} upcoming release(s)",
            )
            for release in upcoming[roadmap.horizon :]
        }
        self.story_level: dict[tuple[str, int], bool] = {}
        self.done_statuses = frozenset(roadmap.tracker.done_statuses)
        self.opt_out = roadmap.labels.opt_out
        # Backlogs repeat a handful of fixVersion sets and claim/schedule pairs: compute each once.
        self.schedules: dict[tuple[str, ...], _Schedule] = {}
        self.verdicts: dict[tuple[Target | None, str | None], tuple[Verdict, str]] = {}
        self.not_flagged: dict[str, str] = {}

    def _schedule_for(self, fix_versions: tuple[str, ...]) -> _Schedule:
        schedule = self.schedules.get(fix_versions)
        if schedule is None:
            schedule = self.schedules[fix_versions] = _schedule_of(fix_versions, self.by_version)
        return schedule

    def _verdict(self, claim: Claim | None, scheduled: Release | None) -> tuple[Verdict, str]:
        key = (claim.target if claim else None, scheduled.id if scheduled else None)
        found = self.verdicts.get(key)
        if found is None:
            found = self.verdicts[key] = _verdict(claim, scheduled)
        return found

    def _planned_reason(self, item: BacklogItem, claim: Claim | None, chain: str) -> str:
        if claim is not None:
            return chain + claim.suffix
        if item.key in self.tracer.cycles:
            return f"{chain}: parent links loop at {self.tracer.cycles[item.key]}; no feature"
        if item.parent_key is None:
            return f"{chain} has no parent and no feature claims it"
        return f"{chain}: no level is claimed by a roadmap feature"

    def _schedule(self, item: BacklogItem) -> _Schedule:
        own = self._schedule_for(item.fix_versions)
        parent = self.tracer.index.get(item.parent_key) if item.parent_key else None
        if item.fix_versions or item.hierarchy_level >= 0 or parent is None:
            return own
        # Jira sub-tasks rarely carry fixVersions; they ship with their parent.
        inherited = self._schedule_for(parent.fix_versions)
        if inherited.release is None:
            return own
        return _Schedule(inherited.release, f"{inherited.reason} of parent {parent.key}")

    def _not_flagged(self, state: str) -> str:
        found = self.not_flagged.get(state)
        if found is None:
            found = self.not_flagged[state] = f"not flagged: status {state} is done"
        return found

    def _story_level(self, item: BacklogItem) -> bool:
        kind = (item.issue_type, item.hierarchy_level)
        found = self.story_level.get(kind)
        if found is None:
            found = self.story_level[kind] = self.roadmap.tracker.is_story_level(*kind)
        return found

    def _warnings(
        self,
        item: BacklogItem,
        claim: Claim | None,
        depth: int,
        schedule: _Schedule,
        done: bool,
    ) -> tuple[TraceWarning, ...]:
        # Warn only at the level that is ambiguous (depth 1), not at every descendant.
        ambiguous = claim is not None and claim.rivals and depth == 1
        if not ambiguous and (done or (not schedule.unmapped and claim is None)):
            return ()  # the usual case, decided without building anything
        warnings: list[TraceWarning] = []
        if claim is not None and ambiguous:
            release = claim.target.release.id
            warnings.append(
                TraceWarning(
                    WarningKind.AMBIGUOUS_CLAIM,
                    f"{item.key} is matched by features of releases {release} and "
                    f"{', '.join(claim.rivals)}; taking the earliest, {release}",
                )
            )
        if done:  # nobody needs to act on finished work
            return tuple(warnings)
        if schedule.unmapped:
            warnings.append(TraceWarning(WarningKind.UNMAPPED_FIX_VERSION, schedule.reason))
        if claim is not None and self._story_level(item):
            beyond = self.beyond_horizon.get(claim.target.release.id)
            if beyond is not None:
                warnings.append(beyond)
        return tuple(warnings)

    def trace(self, item: BacklogItem) -> tuple[ItemTrace, Claim | None]:
        """One item's trace, and the claim it falls under (for coverage findings)."""
        claim, chain, depth, _top = self.tracer.resolve(item.key)
        schedule = self._schedule(item)
        done = item.status_category == "done" or item.status in self.done_statuses
        if self.opt_out in item.labels:
            verdict = Verdict.IGNORED
            why = f"ignored: carries the opt-out label {self.opt_out}"
            warnings: tuple[TraceWarning, ...] = ()
        else:
            verdict, why = self._verdict(claim, schedule.release)
            warnings = self._warnings(item, claim, depth, schedule, done)
        reasons: tuple[str, ...] = (self._planned_reason(item, claim, chain), schedule.reason, why)
        flagged = False
        if verdict is Verdict.ORPHAN or verdict is Verdict.OUT_OF_SCOPE:
            flagged = not done
            if done:
                reasons = (*reasons, self._not_flagged(item.status or item.status_category))
        trace = ItemTrace(
            item.key,
            verdict,
            claim.target.release.id if claim else None,
            schedule.release.id if schedule.release else None,
            claim.target.feature.name if claim else None,
            done,
            flagged,
            reasons,
            warnings,
        )
        return trace, claim


def _feature_findings(
    claims: Claims, covered: set[Target], index: Mapping[str, BacklogItem]
) -> Iterator[Finding]:
    for target in claims.targets:
        release, feature = target.release, target.feature
        if target not in covered:
            yield Finding(
                FindingKind.UNCOVERED_FEATURE,
                release.id,
                feature.name,
                f"no backlog item delivers feature '{feature.name}' of release {release.id}",
            )
        for key in feature.epics:
            if key not in index:
                yield Finding(
                    FindingKind.UNKNOWN_EPIC,
                    release.id,
                    key,
                    f"epic {key} of feature '{feature.name}' is not among the backlog items "
                    "(deleted, moved, or outside tracker.projects / jql?)",
                )


def _release_findings(
    roadmap: Roadmap, today: dt.date, known: Collection[str], open_counts: Mapping[str, int]
) -> Iterator[Finding]:
    for release in roadmap.releases:
        for version in release.fix_versions:
            if version not in known:
                yield Finding(
                    FindingKind.UNKNOWN_VERSION,
                    release.id,
                    version,
                    f"fixVersion {version!r} of release {release.id} does not exist in Jira",
                )
        remaining = open_counts[release.id]
        if release.end_date < today and remaining:
            yield Finding(
                FindingKind.OVERDUE_RELEASE,
                release.id,
                release.id,
                f"release {release.id} '{release.name}' was due {release.end_date.isoformat()} "
                f"and {remaining} open item(s) remain in it "
                "(planned for it, else scheduled into it)",
            )


def classify(
    items: Sequence[BacklogItem],
    roadmap: Roadmap,
    *,
    today: dt.date,
    known_versions: Collection[str],
    previous: Classification | None = None,
    retrace: Collection[str] = (),
) -> Classification:
    """Trace every item to the roadmap and list the roadmap's own findings.

    With ``previous`` (an earlier classification under the same roadmap and day), only the
    items in ``retrace`` and those ``previous`` lacks are traced anew; the caller vouches that
    no other item or ancestor changed (``affected_keys`` gives that set), and the result is
    what tracing every item would give.
    """
    stream = TraceStream(roadmap, today=today, previous=previous, retrace=retrace)
    stream.add(items, last=True)
    return stream.finish(known_versions)


class TraceStream:
    """A classification fed a batch of items at a time, as a read returns them.

    Each item is traced as soon as every level of its ancestry that its trace can depend on
    has arrived (up to the first claimed level or the top; a sub-task without fixVersions also
    needs its parent, whose schedule it inherits); the others wait for ``finish``. An item's
    trace depends on nothing else, so the result is the one ``classify`` gives for all the
    items at once. Tracing while the next page is in flight hides most of the tracing behind
    Jira's time to answer (bench/steady_state.py, make_plan / bare loop).
    """

    def __init__(
        self,
        roadmap: Roadmap,
        *,
        today: dt.date,
        previous: Classification | None = None,
        retrace: Collection[str] = (),
    ) -> None:
        self._roadmap = roadmap
        self._today = today
        self._previous = previous
        self._retrace = retrace
        self._classifier = _Classifier(roadmap, today)
        self._reused = _Reuse.of(previous, self._classifier.tracer.claims)
        self._items: list[BacklogItem] = []
        self._traces: list[ItemTrace | None] = []
        self._waiting: list[int] = []  # positions of items traced at the end
        self._covered: set[Target] = set()
        self._open_counts = dict.fromkeys((release.id for release in roadmap.releases), 0)
        # A key read again in a later batch (Jira returning an issue on two pages) is traced
        # as its last reading, as the whole read would be: start over at the end then.
        self._repeated = False

    def add(self, items: Iterable[BacklogItem], *, last: bool = False) -> None:
        """Items as read; ``last``: no more follow, so every one of them can be traced now."""
        index = self._classifier.tracer.index
        start = len(self._items)
        self._items.extend(items)
        batch = {item.key: item for item in self._items[start:]}  # a repeat within: its last
        if not self._repeated and not index.keys().isdisjoint(batch):
            self._repeated = True
        index.update(batch)
        if self._repeated:
            return
        ready = self._ready
        with gc_paused():
            for position in range(start, len(self._items)):
                item = self._items[position]
                if last or ready(item):
                    self._traces.append(self._trace(item))
                else:
                    self._traces.append(None)
                    self._waiting.append(position)

    @property
    def items(self) -> tuple[BacklogItem, ...]:
        """Every item added so far, in the order added (until ``finish``)."""
        return tuple(self._items)

    @property
    def waiting(self) -> int:
        """Items added whose trace waits for ``finish`` (an ancestor had not arrived)."""
        return len(self._waiting)

    def finish(self, known_versions: Collection[str]) -> Classification:
        """The classification of every item added, in the order they were added (once: the
        stream lets go of its tables)."""
        if self._repeated:
            again = TraceStream(
                self._roadmap, today=self._today, previous=self._previous, retrace=self._retrace
            )
            again.add(self._items, last=True)
            return again.finish(known_versions)
        with gc_paused():
            for position in self._waiting:
                self._traces[position] = self._trace(self._items[position])
        self._waiting.clear()
        traces = cast(list[ItemTrace], self._traces)
        tracer = self._classifier.tracer
        findings = [
            *_release_findings(
                self._roadmap, self._today, frozenset(known_versions), self._open_counts
            ),
            *_feature_findings(tracer.claims, self._covered, tracer.index),
        ]
        classification = Classification(tuple(traces), tuple(findings))
        # The stream ends here: its tables (two dicts and two lists per item, ~20 MB at
        # 200,000 items) would otherwise live on through the caller's label planning.
        tracer.index.clear()
        tracer.memo.clear()
        self._items, self._traces = [], []
        return classification

    def _ready(self, item: BacklogItem) -> bool:
        """Whether every level ``item``'s trace depends on has been read."""
        tracer = self._classifier.tracer
        index, memo, at_level = tracer.index, tracer.memo, tracer.claims.at_level
        parent = item.parent_key
        inherits = item.hierarchy_level < 0 and not item.fix_versions  # its parent's schedule
        if inherits and parent is not None and parent not in index:
            return False
        # The walk starts from the key's indexed reading, as ``Tracer.resolve`` does.
        current, seen = index[item.key], None
        while True:
            parent = current.parent_key
            # A traced parent was traced whole; a claimed level ends the walk up.
            if parent is None or parent in memo or at_level(current.key, current) is not None:
                return True
            above = index.get(parent)
            if above is None:
                return False
            if seen is None:
                seen = {item.key}
            if parent in seen:  # parent links loop, and every member has been read
                return True
            seen.add(parent)
            current = above

    def _trace(self, item: BacklogItem) -> ItemTrace:
        trace = None
        reused = self._reused
        if reused is not None and item.key not in self._retrace:
            trace = reused.get(item.key)
            if trace is not None and trace.feature is not None:
                self._covered.add(reused.targets[(trace.planned_release, trace.feature)])
        if trace is None:
            trace, claim = self._classifier.trace(item)
            if claim is not None:
                self._covered.add(claim.target)
        # The release's bucket, as every report counts it (core/numbers.py): planned, else
        # scheduled; an item counts once.
        bucket = trace.planned_release or trace.scheduled_release
        if not trace.done and bucket is not None:
            self._open_counts[bucket] += 1
        return trace


@dataclass(frozen=True, slots=True)
class _Reuse:
    """Traces to keep from an earlier classification, and the feature each one names."""

    get: Callable[[str], ItemTrace | None]
    targets: Mapping[tuple[str | None, str], Target]

    @classmethod
    def of(cls, previous: Classification | None, claims: Claims) -> _Reuse | None:
        if previous is None:
            return None
        targets: dict[tuple[str | None, str], Target] = {
            (t.release.id, t.feature.name): t for t in claims.targets
        }
        if len(targets) < len(claims.targets):
            return None  # two features of a release share a name: trace everything
        return cls(previous.get, targets)


def trace_day(roadmap: Roadmap, today: dt.date) -> tuple[str, ...]:
    """What of ``today`` the traces depend on: the releases beyond the horizon.

    Two days with the same answer trace every item alike (only the findings, recomputed on
    every classification, look at the date itself), so an incremental sync on the next day
    need not re-trace the whole backlog.
    """
    return tuple(release.id for release in roadmap.upcoming_releases(today)[roadmap.horizon :])


def affected_keys(items: Iterable[BacklogItem], changed: Collection[str]) -> set[str]:
    """The changed keys and every item beneath them: what re-tracing must cover.

    An item's trace depends on itself and its ancestors only (claims, the chain of levels, a
    sub-task's inherited schedule), so the descendants of a changed item are the only other
    items whose trace may change.
    """
    children: dict[str, list[str]] = {}
    for item in items:
        if item.parent_key is not None:
            children.setdefault(item.parent_key, []).append(item.key)
    affected = set(changed)
    frontier = list(affected)
    while frontier:
        below = children.get(frontier.pop())
        if below:
            for child in below:
                if child not in affected:
                    affected.add(child)
                    frontier.append(child)
    return affected
