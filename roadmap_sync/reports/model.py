"""The one report model that the Markdown, HTML and JSON renderings share.

Pure: `build_report` turns a `Drift` into frozen values that carry every number, sentence and
link a rendering shows, so renderers only lay them out. Item lists are capped at `LIST_CAP`
entries; a list's `search` link opens all of it in Jira.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

from roadmap_sync.core.drift import (
    Change,
    Drift,
    Entry,
    FlagChange,
    Move,
    ReleaseDrift,
    TrendPoint,
    VerdictCounts,
)
from roadmap_sync.core.model import Verdict
from roadmap_sync.core.numbers import DEFINITIONS, Headline, Tally, headline
from roadmap_sync.core.records import ItemSnapshot
from roadmap_sync.core.roadmap import Release, Roadmap
from roadmap_sync.reports.outlook_view import (
    FeatureStatus,
    OutlookInput,
    ReleaseOutlook,
    release_outlook,
)

__all__ = [
    "LIST_CAP",
    "Alignment",
    "Attention",
    "FlagLine",
    "ItemLine",
    "ItemList",
    "Link",
    "ReleaseSection",
    "Report",
    "VerdictLine",
    "build_report",
    "jql_value",
]

LIST_CAP = 25
# `key in (...)` links beyond this many keys would outgrow the URL length proxies accept.
MAX_KEYS_PER_SEARCH = 150
UNPLANNED_TITLE = "Unplanned"
VERDICT_TITLES = {
    Verdict.ALIGNED: "Aligned",
    Verdict.OUT_OF_SCOPE: "Out of scope",
    Verdict.ORPHAN: "Orphan",
    Verdict.IGNORED: "Ignored",
}
_BARE_JQL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_LETTERS = re.compile(r"[A-Za-z]")
_OTHER = re.compile(r"[^A-Za-z]")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Link:
    """A link with its text."""

    text: str
    url: str


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One backlog item as a report lists it; `note` says why it is listed."""

    key: str
    url: str
    summary: str
    issue_type: str
    status: str
    done: bool
    verdict: Verdict
    points: float | None
    note: str


@dataclass(frozen=True, slots=True)
class ItemList:
    """A capped list of items; `search` opens the whole list in Jira when it can be searched."""

    kind: str  # stable name: entered, left, newly_flagged, cleared, moved
    title: str
    items: tuple[ItemLine, ...]
    total: int
    search: Link | None

    @property
    def more(self) -> int:
        """Items beyond the cap."""
        return self.total - len(self.items)


@dataclass(frozen=True, slots=True)
class FlagLine:
    """Open items carrying one flag label, with the search that lists them in Jira."""

    flag: Verdict
    label: str
    title: str
    count: int
    before: int | None
    search: Link

    @property
    def delta(self) -> int | None:
        """Change since the previous run."""
        return None if self.before is None else self.count - self.before


@dataclass(frozen=True, slots=True)
class VerdictLine:
    """How many items have one verdict, now and at the previous run."""

    verdict: Verdict
    title: str
    count: int
    before: int | None


@dataclass(frozen=True, slots=True)
class Attention:
    """Something that needs the product owner this week, with where to act on it."""

    kind: str  # stable: date_at_risk, overdue, newly_flagged, uncovered
    text: str
    link: Link | None


@dataclass(frozen=True, slots=True)
class Alignment:
    """The share of open, non-ignored items that trace to a release goal, and its history."""

    score: float | None
    previous: float | None
    delta: float | None
    trend: tuple[TrendPoint, ...]


@dataclass(frozen=True, slots=True)
class ReleaseSection:
    """One release of the roadmap, or the unplanned items (`release_id` None)."""

    release_id: str | None
    anchor: str  # a fragment id: release-<id>, or unplanned
    title: str
    goal: str | None
    metrics: tuple[str, ...]
    when: str | None
    end_date: dt.date | None
    overdue: bool
    search: Link | None
    tally: Tally  # items and points in the bucket now, and how many are done
    tally_before: Tally | None  # at the compared run; None on the first report
    verdicts: VerdictCounts  # every item in the bucket, open and done
    open_verdicts: VerdictCounts  # open items only
    flags: tuple[FlagLine, ...]
    uncovered_features: tuple[str, ...]
    entered: ItemList
    left: ItemList
    newly_flagged: ItemList
    cleared: ItemList
    outlook: ReleaseOutlook | None = None  # None for the unplanned bucket
    features: tuple[FeatureStatus, ...] = ()

    @property
    def lists(self) -> tuple[ItemList, ...]:
        """The section's item lists, in reading order."""
        return (self.entered, self.left, self.newly_flagged, self.cleared)

    @property
    def items(self) -> int:
        """Items in the bucket, open and done."""
        return self.tally.items

    @property
    def items_before(self) -> int | None:
        """Items at the compared run (None on the first report)."""
        return None if self.tally_before is None else self.tally_before.items

    @property
    def points(self) -> float:
        """Story points in the bucket, open and done."""
        return self.tally.points

    @property
    def points_before(self) -> float | None:
        """Story points at the compared run (None on the first report)."""
        return None if self.tally_before is None else self.tally_before.points

    @property
    def done_items(self) -> int:
        """Items done."""
        return self.tally.done_items

    @property
    def done_points(self) -> float:
        """Story points done."""
        return self.tally.done_points

    @property
    def done_share(self) -> float | None:
        """Done items over all items; None for an empty release (``Tally.done_share``)."""
        return self.tally.done_share

    @property
    def open_items(self) -> int:
        """Items not done (``Tally.open_items``)."""
        return self.tally.open_items


@dataclass(frozen=True, slots=True)
class Report:
    """The weekly drift report of one roadmap."""

    product: str
    roadmap: str
    site_url: str
    run_id: int
    generated_at: dt.datetime
    since: dt.datetime | None
    today: dt.date
    first: bool
    highlights: tuple[str, ...]
    alignment: Alignment
    verdicts: tuple[VerdictLine, ...]
    flags: tuple[FlagLine, ...]
    releases: tuple[ReleaseSection, ...]
    moves: ItemList
    numbers: tuple[Headline, ...] = ()  # the headline numbers, in order (core/numbers.py)
    legend: tuple[tuple[str, str], ...] = ()  # (number, definition) for every number shown
    attention: tuple[Attention, ...] = ()  # what needs the product owner, most urgent first

    def number(self, name: str) -> Headline:
        """A headline number by its stable name (KeyError if the report has none)."""
        for number in self.numbers:
            if number.name == name:
                return number
        raise KeyError(name)

    @property
    def title(self) -> str:
        """A one-line title, for a mail subject or a chat message header."""
        return f"{self.product}: roadmap drift {self.generated_at.date().isoformat()}"


def jql_value(value: str) -> str:
    """A JQL operand: bare when safe, else double-quoted with backslash escapes."""
    # Bare only with letters and something else: Jira reserves ~180 plain words (and, empty,
    # order, ...) and reads a bare number as a version or project id, so those get quotes. Keys
    # (ACME-12) and prefixed labels (roadmap-r1) stay bare and readable.
    if _BARE_JQL.fullmatch(value) and _LETTERS.search(value) and _OTHER.search(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _in(field: str, values: Iterable[str]) -> str:
    listed = [jql_value(value) for value in values]
    if len(listed) == 1:
        return f"{field} = {listed[0]}"
    return f"{field} in ({', '.join(listed)})"


class _Context:
    """What every part of the report needs: the roadmap, the site and the release titles."""

    def __init__(self, roadmap: Roadmap, site_url: str) -> None:
        self.roadmap = roadmap
        self.site_url = site_url.rstrip("/")
        self.scope = _in("project", roadmap.tracker.projects)
        self.titles = {release.id: release.name for release in roadmap.releases}

    def browse(self, key: str) -> str:
        return f"{self.site_url}/browse/{quote(key, safe='')}"

    def search(self, text: str, jql: str) -> Link:
        return Link(text, f"{self.site_url}/issues/?jql={quote(jql, safe='')}")

    def title(self, bucket: str | None) -> str:
        if bucket is None:
            return UNPLANNED_TITLE
        return self.titles.get(bucket, bucket)

    def flag_label(self, flag: Verdict) -> str:
        labels = self.roadmap.labels
        return labels.orphan if flag is Verdict.ORPHAN else labels.out_of_scope

    def line(self, item: ItemSnapshot, note: str) -> ItemLine:
        return ItemLine(
            key=item.key,
            url=self.browse(item.key),
            summary=item.summary,
            issue_type=item.issue_type,
            status=item.status,
            done=item.done,
            verdict=item.verdict,
            points=item.story_points,
            note=note,
        )

    def item_list(
        self,
        kind: str,
        title: str,
        rows: Sequence[T],
        line: Callable[[T], ItemLine],
        searchable: Callable[[T], str | None],
    ) -> ItemList:
        """The first LIST_CAP rows as lines; the search lists the `searchable` keys.

        Built from the capped head only: a first report lists every item as entered, and
        making a line (and a browse URL) for each of 100,000 items was most of its cost.
        """
        keys: list[str] = []
        for row in rows:
            key = searchable(row)
            if key is not None:
                keys.append(key)
                if len(keys) > MAX_KEYS_PER_SEARCH:
                    break
        search = None
        if keys and len(keys) <= MAX_KEYS_PER_SEARCH:
            some = "all" if len(keys) == len(rows) else "the"
            text = f"Open {some} {len(keys)} in Jira"
            if len(keys) < len(rows):
                text += " (the rest left the backlog)"
            search = self.search(text, _in("key", keys))
        lines = tuple(line(row) for row in rows[:LIST_CAP])
        return ItemList(kind, title, lines, len(rows), search)


def _entry_note(entry: Entry, ctx: _Context, entering: bool) -> str:
    if entry.change is Change.NEW:
        return "new"
    if entry.change is Change.REMOVED:
        return "left the backlog"
    return f"{'from' if entering else 'to'} {ctx.title(entry.other)}"


def _state(item: ItemSnapshot) -> str:
    return "done" if item.done else VERDICT_TITLES[item.verdict].lower()


def _entries(kind: str, title: str, entries: Sequence[Entry], ctx: _Context) -> ItemList:
    entering = kind == "entered"
    return ctx.item_list(
        kind,
        title,
        entries,
        lambda entry: ctx.line(entry.item, _entry_note(entry, ctx, entering)),
        # A removed item may no longer exist, and Jira rejects a search naming an unknown key.
        lambda entry: None if entry.change is Change.REMOVED else entry.item.key,
    )


def _flag_changes(
    kind: str, title: str, changes: Sequence[FlagChange], ctx: _Context, raised: bool
) -> ItemList:
    def note(change: FlagChange) -> str:
        flag = VERDICT_TITLES[change.flag].lower()
        return flag if raised else f"was {flag}, now {_state(change.item)}"

    return ctx.item_list(
        kind,
        title,
        changes,
        lambda change: ctx.line(change.item, note(change)),
        lambda change: change.item.key,
    )


def _moves(moves: Sequence[Move], ctx: _Context) -> ItemList:
    return ctx.item_list(
        "moved",
        "Moved between releases",
        moves,
        lambda move: ctx.line(move.item, f"{ctx.title(move.source)} → {ctx.title(move.target)}"),
        lambda move: move.key,
    )


def _release_flags(drift: ReleaseDrift, release: Release | None, ctx: _Context) -> list[FlagLine]:
    """Flag lines of one section, each with a search for its items as Jira labels them now."""
    flags = []
    for flag in (Verdict.ORPHAN, Verdict.OUT_OF_SCOPE):
        count, label = drift.flags[flag], ctx.flag_label(flag)
        before = None if drift.flags_before is None else drift.flags_before[flag]
        if not (count or before) and (flag is Verdict.ORPHAN) is (release is not None):
            # Orphans have no release and out-of-scope items have one: skip the impossible zero.
            continue
        if release is None:
            jql = f"{ctx.scope} AND labels = {jql_value(label)}"
        else:
            jql = _release_flag_jql(release, label, ctx)
        title = VERDICT_TITLES[flag] if flag is Verdict.OUT_OF_SCOPE else "Orphans"
        flags.append(FlagLine(flag, label, title, count, before, ctx.search(title, jql)))
    return flags


def _release_flag_jql(release: Release, label: str, ctx: _Context) -> str:
    # Out-of-scope work scheduled into a release carries the flag and a fixVersion, but not the
    # release label (that marks planned work), so search both ways.
    release_label = jql_value(ctx.roadmap.release_label(release))
    within = f"labels = {release_label}"
    if release.fix_versions:
        within = f"({within} OR {_in('fixVersion', release.fix_versions)})"
    return f"{ctx.scope} AND labels = {jql_value(label)} AND {within}"


def _features(
    release: Release, outlook: ReleaseOutlook, uncovered: Sequence[str]
) -> tuple[FeatureStatus, ...]:
    statuses = []
    for feature in release.features:
        counts = outlook.feature_counts.get(feature.name)
        items, done, flagged = counts if counts is not None else (None, None, None)
        statuses.append(
            FeatureStatus(feature.name, items, done, flagged, feature.name in uncovered)
        )
    return tuple(statuses)


def _section(
    drift: ReleaseDrift, ctx: _Context, outlook: OutlookInput | None, today: dt.date
) -> ReleaseSection:
    release = None if drift.release_id is None else ctx.roadmap.release(drift.release_id)
    view = None
    if release is not None:
        view = release_outlook(release.id, release.metric_names, release.end_date, today, outlook)
    title = ctx.title(drift.release_id)
    search = None
    if release is not None:
        label = jql_value(ctx.roadmap.release_label(release))
        search = ctx.search(f"{title} in Jira", f"{ctx.scope} AND labels = {label}")
    return ReleaseSection(
        release_id=drift.release_id,
        anchor="unplanned" if release is None else f"release-{release.id}",
        title=title,
        goal=None if release is None else release.goal,
        metrics=() if release is None else release.metric_names,
        when=None if release is None else release.when,
        end_date=None if release is None else release.end_date,
        overdue=drift.overdue,
        search=search,
        tally=drift.now,
        tally_before=drift.before,
        verdicts=drift.verdicts,
        open_verdicts=drift.open_verdicts,
        flags=tuple(_release_flags(drift, release, ctx)),
        uncovered_features=drift.uncovered_features,
        entered=_entries("entered", "Entered", drift.entered, ctx),
        left=_entries("left", "Left", drift.left, ctx),
        newly_flagged=_flag_changes(
            "newly_flagged", "Newly flagged", drift.newly_flagged, ctx, True
        ),
        cleared=_flag_changes("cleared", "Flags cleared", drift.cleared, ctx, False),
        outlook=view,
        features=()
        if release is None or view is None
        else _features(release, view, drift.uncovered_features),
    )


def _roadmap_flags(drift: Drift, ctx: _Context) -> tuple[FlagLine, ...]:
    flags = []
    for flag, title in ((Verdict.ORPHAN, "Orphans"), (Verdict.OUT_OF_SCOPE, "Out of scope")):
        label = ctx.flag_label(flag)
        before = None if drift.previous_flags is None else drift.previous_flags[flag]
        search = ctx.search(title, f"{ctx.scope} AND labels = {jql_value(label)}")
        flags.append(FlagLine(flag, label, title, drift.flags[flag], before, search))
    return tuple(flags)


def _verdicts(drift: Drift) -> tuple[VerdictLine, ...]:
    previous = drift.previous_verdicts
    return tuple(
        VerdictLine(
            verdict, title, drift.verdicts[verdict], None if previous is None else previous[verdict]
        )
        for verdict, title in VERDICT_TITLES.items()
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _highlights(drift: Drift, sections: Sequence[ReleaseSection]) -> tuple[str, ...]:
    """A few plain sentences for the top of the report, most telling first."""
    entries = [entry for release in drift.releases for entry in release.entered]
    new = sum(1 for entry in entries if entry.change is Change.NEW)
    removed = sum(1 for r in drift.releases for entry in r.left if entry.change is Change.REMOVED)
    raised = sum(len(release.newly_flagged) for release in drift.releases)
    cleared = sum(len(release.cleared) for release in drift.releases)
    lines = []
    if drift.first:
        lines.append(f"First report: {_plural(len(entries), 'item')} traced to the roadmap.")
    else:
        lines.append(
            f"{_plural(new, 'new item')}, {removed} left the backlog, "
            f"{_plural(len(drift.moves), 'item')} moved between releases."
        )
    lines.append(f"{_plural(raised, 'item')} newly flagged, {cleared} cleared.")
    for section in sections:
        if section.overdue and section.end_date is not None:
            lines.append(
                f"{section.title} is overdue: due {section.end_date.isoformat()}, "
                f"{_plural(section.open_items, 'open item')}."
            )
    uncovered = sum(len(section.uncovered_features) for section in sections)
    if uncovered:
        lines.append(f"{_plural(uncovered, 'roadmap feature')} without any backlog item.")
    return tuple(lines)


def build_report(
    drift: Drift,
    roadmap: Roadmap,
    *,
    site_url: str,
    generated_at: dt.datetime,
    since: dt.datetime | None,
    outlook: OutlookInput | None = None,
) -> Report:
    """The report of one drift; `since` defaults to the previous run's time.

    `outlook` is what the store recorded about the releases' forecasts, baselines and
    metrics (None: reported without them, as for runs recorded before they existed).
    """
    ctx = _Context(roadmap, site_url)
    sections = tuple(_section(release, ctx, outlook, drift.today) for release in drift.releases)
    counts = drift.counts
    uncovered = sum(len(section.uncovered_features) for section in sections)
    at_risk = None
    if outlook is not None and outlook.current:
        at_risk = sum(
            1 for s in sections if s.outlook and s.outlook.forecast and s.outlook.forecast.at_risk
        )
    numbers = headline(counts, uncovered=uncovered, at_risk=at_risk)
    return Report(
        product=roadmap.product,
        roadmap=drift.roadmap,
        site_url=ctx.site_url,
        run_id=drift.run_id,
        generated_at=generated_at,
        since=since if since is not None else drift.previous_taken_at,
        today=drift.today,
        first=drift.first,
        highlights=_highlights(drift, sections),
        alignment=Alignment(
            drift.alignment, drift.previous_alignment, drift.alignment_delta, drift.trend
        ),
        verdicts=_verdicts(drift),
        flags=_roadmap_flags(drift, ctx),
        releases=sections,
        moves=_moves(drift.moves, ctx),
        numbers=numbers,
        legend=tuple((name, DEFINITIONS[name]) for name in LEGEND),
        attention=_attention(sections, ctx),
    )


# The numbers a report shows, in the order its legend explains them.
LEGEND = (
    "alignment", "orphans", "out_of_scope", "items", "open_items", "done_items", "points",
    "overdue_releases", "at_risk_releases", "uncovered_features", "scope_items", "throughput",
    "probability_on_time", "unplanned_share",
)  # fmt: skip


def _attention(sections: Sequence[ReleaseSection], ctx: _Context) -> tuple[Attention, ...]:
    """What needs the product owner: overdue releases, newly flagged items, uncovered features."""
    lines: list[Attention] = []
    for section in sections:
        forecast = section.outlook.forecast if section.outlook else None
        if forecast is not None and forecast.at_risk and section.end_date is not None:
            likely = forecast.p85.isoformat() if forecast.p85 else "not within three years"
            text = (
                f"{section.title} is at risk: {round(forecast.probability * 100)}% chance of "
                f"finishing by {section.end_date.isoformat()}; 85% likely by {likely}."
            )
            lines.append(Attention("date_at_risk", text, section.search))
    for section in sections:
        if section.overdue and section.end_date is not None:
            text = (
                f"{section.title} is overdue: due {section.end_date.isoformat()}, "
                f"{_plural(section.open_items, 'open item')}."
            )
            lines.append(Attention("overdue", text, section.search))
    for section in sections:
        flagged = section.newly_flagged
        if flagged.total:
            where = "unplanned" if section.release_id is None else f"in {section.title}"
            text = f"{_plural(flagged.total, 'item')} newly flagged {where}."
            lines.append(Attention("newly_flagged", text, flagged.search))
    for section in sections:
        for name in section.uncovered_features:
            text = f"No backlog item delivers '{name}' ({section.title})."
            lines.append(Attention("uncovered", text, None))
    return tuple(lines)
