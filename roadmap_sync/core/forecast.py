"""Release forecasts by Monte Carlo simulation: when will each release's open work be done?

Pure and deterministic for a given seed. The inputs are counts, not items:

- **throughput**: story-level items (stories, tasks, bugs; not epics or sub-tasks) resolved in
  each of the last N weeks, from their ``resolutiondate``;
- per release, in roadmap order: its open story-level items, its open epics that have no
  stories yet (each assumed to hold between ``epic_stories`` min and max stories), and its
  scope growth in items per week, measured from the recorded history.

Each of ``futures`` simulated futures draws every coming week's throughput from the observed
weeks (bootstrap), and spends it on the releases in roadmap order: earlier releases consume
capacity first, and a release's scope keeps growing at its measured rate until it is done. The
week (with its fraction) each release completes gives, over all futures, P50 / P85 / P95
completion dates and the probability of finishing by the release date. The cut line lists the
release's features, in roadmap order, that fit into the capacity left for it by its date in
85% of futures.

What it cannot know: work nobody filed yet beyond the measured growth, a team that changes
size, and work outside the releases competing for the same people (unplanned items resolved by
the team count as throughput; the releases get all of it).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "MAX_WEEKS",
    "Basis",
    "FeatureWork",
    "Forecast",
    "ForecastOptions",
    "NoForecast",
    "ReleaseWork",
    "simulate",
    "weekly_throughput",
]

MAX_WEEKS = 156  # futures that have not finished after three years count as "not in sight"
DRAW_BLOCK = 8  # weeks drawn at a time when a future needs more than its release dates
CUT_LINE_QUANTILE = 0.85


@dataclass(frozen=True, slots=True)
class FeatureWork:
    """One feature's open work: story-level items and epics without stories yet."""

    name: str
    open_items: int
    empty_epics: int = 0


@dataclass(frozen=True, slots=True)
class ReleaseWork:
    """What remains of one release, as the simulation sees it."""

    release_id: str
    end_date: dt.date
    open_items: int  # open story-level items in the release's bucket (features and others)
    empty_epics: int = 0  # open epics in the bucket with no story-level items yet
    growth_per_week: float = 0.0  # measured scope growth, items per week
    features: tuple[FeatureWork, ...] = ()

    @property
    def done(self) -> bool:
        """Nothing open and nothing estimated: no forecast needed."""
        return self.open_items == 0 and self.empty_epics == 0


@dataclass(frozen=True, slots=True)
class ForecastOptions:
    """Simulation settings (the roadmap's ``forecast:`` section)."""

    futures: int = 10_000
    seed: int = 0
    epic_stories: tuple[int, int] = (3, 8)


@dataclass(frozen=True, slots=True)
class Basis:
    """What a forecast rests on: weeks of history, mean throughput, scope growth per week."""

    weeks: int
    throughput_per_week: float
    scope_growth: float


@dataclass(frozen=True, slots=True)
class Forecast:
    """When a release's open work will probably be done; None dates: not within MAX_WEEKS."""

    release_id: str
    p50: dt.date | None
    p85: dt.date | None
    p95: dt.date | None
    probability_on_time: float
    cut_line: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class NoForecast:
    """Why a release has no forecast."""

    release_id: str
    reason: str


def weekly_throughput(resolved: Iterable[dt.date], today: dt.date, weeks: int) -> tuple[int, ...]:
    """Items resolved in each of the `weeks` whole weeks before `today`, oldest first.

    Week ``weeks - 1`` is the seven days ending yesterday; resolutions today or in the future
    (clock skew) and older than the window are not counted.
    """
    counts = [0] * weeks
    for day in resolved:
        back = (today - day).days - 1  # yesterday is 0 days back into the last week
        if 0 <= back < weeks * 7:
            counts[weeks - 1 - back // 7] += 1
    return tuple(counts)


def _percentile(sorted_weeks: Sequence[float], quantile: float) -> float:
    index = max(0, math.ceil(quantile * len(sorted_weeks)) - 1)
    return sorted_weeks[index]


def _date(today: dt.date, weeks: float) -> dt.date | None:
    if math.isinf(weeks):
        return None
    return today + dt.timedelta(days=math.ceil(weeks * 7))


class _Future:
    """One simulated future: weekly capacity drawn from history, spent in roadmap order.

    Weeks are drawn in blocks (``random.choices`` and ``itertools.accumulate`` run in C) and
    the week a demand is covered is found by bisection over the cumulative capacity: a
    forecast simulates about a million weeks, and this is its inner loop.
    """

    __slots__ = ("choices", "cum", "history")

    def __init__(self, rng: random.Random, history: Sequence[int], weeks: int) -> None:
        self.choices = rng.choices
        self.history = history
        self.cum: list[float] = [0.0]  # cumulative capacity at the end of week t
        self._draw(weeks)

    def _draw(self, weeks: int) -> None:
        """Draw ``weeks`` more weeks of capacity."""
        drawn: list[float] = self.choices(self.history, k=weeks)
        drawn[0] += self.cum[-1]
        self.cum += accumulate(drawn)

    def capacity_at(self, due: float) -> float:
        """Cumulative capacity after `due` (fractional) weeks, drawing weeks as needed."""
        whole = math.floor(due)
        cum = self.cum
        if len(cum) <= whole + 1:
            self._draw(whole + 2 - len(cum))
        return cum[whole] + (cum[whole + 1] - cum[whole]) * (due - whole)

    def covered(self, needed: float, week: int) -> int | None:
        """The first week from `week` on whose cumulative capacity reaches `needed` (None:
        not within MAX_WEEKS). Capacity never falls, so bisection finds it."""
        cum = self.cum
        while cum[-1] < needed and len(cum) <= MAX_WEEKS:
            self._draw(min(DRAW_BLOCK, MAX_WEEKS + 1 - len(cum)))
        if len(cum) <= week:
            self._draw(week + 1 - len(cum))
        found = bisect_left(cum, needed, week)
        return found if found < len(cum) and found <= MAX_WEEKS else None

    def finish(self, prior: float, demand: float, growth: float, start: float) -> float:
        """The (fractional) week when cumulative capacity covers prior + demand + growth * t."""
        if math.isinf(start):
            return math.inf  # an earlier release holds the capacity for ever: so is this one
        week = math.floor(start)
        while True:
            # The first week covering the demand as it is at `week` comes no earlier than the
            # answer, and no week before it can be the answer: repeat from there until the
            # week covers the demand as it has grown by then (at once without growth).
            needed = prior + demand + growth * week
            found = self.covered(needed, week)
            if found is None:
                return math.inf
            if found == week or growth == 0.0:
                return self._within(found, needed, start)
            week = found

    def _within(self, week: int, needed: float, start: float) -> float:
        """The fraction of `week` at which capacity reached `needed`, as a week number."""
        if week == 0:
            return 0.0
        before, reached = self.cum[week - 1], self.cum[week]
        spent = reached - before
        fraction = (needed - before) / spent if spent > 0 else 1.0
        return max(start, week - 1 + min(1.0, max(0.0, fraction)))


def _demand(release: ReleaseWork, rng: random.Random, options: ForecastOptions) -> float:
    if not release.empty_epics:
        return float(release.open_items)
    low, high = options.epic_stories
    draw, span = rng.random, high - low + 1
    estimated = sum(low + int(draw() * span) for _ in range(release.empty_epics))
    return float(release.open_items + estimated)


def _cut_line(release: ReleaseWork, available: float, options: ForecastOptions) -> tuple[str, ...]:
    """Features, in roadmap order, that fit into `available` items of capacity."""
    low, high = options.epic_stories
    fits: list[str] = []
    used = 0.0
    for feature in release.features:
        work = feature.open_items + feature.empty_epics * (low + high) / 2
        if work == 0:
            fits.append(feature.name)  # already delivered
            continue
        used += work
        if used <= available:
            fits.append(feature.name)
        else:
            used = math.inf  # the cut: later features wait for this one
    return tuple(fits)


def simulate(
    releases: Sequence[ReleaseWork],
    throughput: Sequence[int],
    *,
    today: dt.date,
    options: ForecastOptions = ForecastOptions(),
) -> Mapping[str, Forecast | NoForecast]:
    """Forecast every release (roadmap order); done releases and no throughput give reasons."""
    results: dict[str, Forecast | NoForecast] = {}
    active = [release for release in releases if not release.done]
    for release in releases:
        if release.done:
            results[release.release_id] = NoForecast(release.release_id, "done: no open work")
    if not active:
        return results
    weeks = len(throughput)
    if sum(throughput) == 0:
        reason = (
            f"no forecast: no story-level item was resolved in the last {weeks} weeks, "
            "so there is no throughput to project"
        )
        for release in active:
            results[release.release_id] = NoForecast(release.release_id, reason)
        return results
    rng = random.Random(options.seed)
    history = list(throughput)
    finished: list[list[float]] = [[] for _ in active]
    left_by_date: list[list[float]] = [[] for _ in active]
    due_weeks = [(release.end_date - today).days / 7 for release in active]
    # Every future needs its weeks up to the last release date (the capacity by each date).
    first_draw = max(1, math.floor(max(0.0, *due_weeks)) + 2)
    for _ in range(options.futures):
        future = _Future(rng, history, first_draw)
        prior, done_at = 0.0, 0.0
        for index, release in enumerate(active):
            demand = _demand(release, rng, options)
            growth = release.growth_per_week
            done_at = future.finish(prior, demand, growth, done_at)
            finished[index].append(done_at)
            due = max(0.0, due_weeks[index])
            at_due = future.capacity_at(due)
            left_by_date[index].append(at_due - prior - growth * due)
            prior += demand + growth * (done_at if not math.isinf(done_at) else MAX_WEEKS)
    mean = sum(history) / weeks
    for index, release in enumerate(active):
        times = sorted(finished[index])
        on_time = sum(1 for t in times if t <= due_weeks[index]) / len(times)
        capacity = sorted(left_by_date[index])
        available = _percentile(capacity, 1 - CUT_LINE_QUANTILE)
        results[release.release_id] = Forecast(
            release_id=release.release_id,
            p50=_date(today, _percentile(times, 0.50)),
            p85=_date(today, _percentile(times, 0.85)),
            p95=_date(today, _percentile(times, 0.95)),
            probability_on_time=on_time if due_weeks[index] >= 0 else 0.0,
            cut_line=_cut_line(release, available, options),
            basis=Basis(weeks, round(mean, 2), round(release.growth_per_week, 2)),
        )
    return {release.release_id: results[release.release_id] for release in releases}
