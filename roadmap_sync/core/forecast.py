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
from collections.abc import Callable, Iterable, Mapping, Sequence
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
_Choices = Callable[..., list[int]]  # random.Random.choices


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
    """One simulated future's cumulative capacity, drawn from history as weeks are needed.

    ``cum[t]`` is the capacity spent by the end of week ``t`` (``cum[0]`` is 0). Weeks are
    drawn in blocks (``random.choices`` and ``itertools.accumulate`` run in C) and the week a
    demand is covered is found by bisection: a forecast simulates about a million weeks, and
    this is its inner loop, so the methods are few and do a whole step each.
    """

    __slots__ = ("choices", "cum", "history")

    def __init__(self, choices: _Choices, history: Sequence[int], weeks: int) -> None:
        self.choices = choices
        self.history = history
        self.cum: list[float] = list(accumulate(choices(history, k=weeks), initial=0.0))

    def _draw(self, weeks: int) -> None:
        """Draw ``weeks`` more weeks of capacity."""
        cum = self.cum
        cum += accumulate(self.choices(self.history, k=weeks), initial=cum.pop())

    def finish(self, needed: float, growth: float, start: float) -> float:
        """The (fractional) week, from `start` on, when cumulative capacity covers
        ``needed + growth * t`` (infinite: not within MAX_WEEKS)."""
        if start == math.inf:
            return math.inf  # an earlier release holds the capacity for ever: so is this one
        cum = self.cum
        week = math.floor(start)  # an earlier finish: a week already drawn
        while True:
            # The first week covering the demand as it is at `week` comes no earlier than the
            # answer, and no week before it can be the answer: repeat from there until the
            # week covers the demand as it has grown by then (at once without growth).
            demand = needed + growth * week
            while cum[-1] < demand and len(cum) <= MAX_WEEKS:
                self._draw(min(DRAW_BLOCK, MAX_WEEKS + 1 - len(cum)))
            found = bisect_left(cum, demand, week)
            if found >= len(cum) or found > MAX_WEEKS:
                return math.inf
            if found != week and growth != 0.0:
                week = found
                continue
            return _reached(cum, found, demand, start)


def _reached(cum: Sequence[float], found: int, demand: float, start: float) -> float:
    """The (fractional) week, no earlier than `start`, at which capacity reached `demand`,
    `found` being the first week whose cumulative capacity covers it (infinite: beyond
    MAX_WEEKS, drawn that far only for a late release date)."""
    if found > MAX_WEEKS:
        return math.inf
    if found == 0:
        return 0.0
    before = cum[found - 1]
    spent = cum[found] - before
    fraction = (demand - before) / spent if spent > 0 else 1.0
    return max(start, found - 1 + min(1.0, max(0.0, fraction)))


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


def _futures(
    active: Sequence[ReleaseWork],
    due_weeks: Sequence[float],
    history: Sequence[int],
    options: ForecastOptions,
) -> tuple[list[list[float]], list[list[float]]]:
    """Per release: the week each future finishes it, and the capacity left for it by its date."""
    rng = random.Random(options.seed)
    finished: list[list[float]] = [[] for _ in active]
    left_by_date: list[list[float]] = [[] for _ in active]
    # Every future needs its weeks up to the last release date (the capacity by each date).
    first_draw = max(1, math.floor(max(0.0, *due_weeks)) + 2)
    # What each release's loop needs, looked up once: its fixed demand (None: it has epics to
    # estimate), growth, the whole weeks and the fraction to its date (0 when past), and where
    # its finishes and its capacity by the date go. The date is within the first draw.
    steps = []
    for index, release in enumerate(active):
        due = max(0.0, due_weeks[index])
        whole = math.floor(due)
        steps.append((
            None if release.empty_epics else float(release.open_items),
            release.growth_per_week,
            due, whole, due - whole,
            finished[index].append,
            left_by_date[index].append,
            release,
        ))  # fmt: skip
    choices, inf = rng.choices, math.inf
    for _ in range(options.futures):
        future = _Future(choices, history, first_draw)
        cum = future.cum
        prior, done_at = 0.0, 0.0
        for fixed, growth, due, whole, part, finish_at, left_at_due, release in steps:
            demand = _demand(release, rng, options) if fixed is None else fixed
            needed = prior + demand
            if growth == 0.0 and done_at != inf and needed <= cum[-1]:
                # The usual case, without `finish`'s loop and draws (about half the
                # simulation's time went to calls): no growth, covered by the weeks drawn.
                found = bisect_left(cum, needed, math.floor(done_at))
                done_at = _reached(cum, found, needed, done_at)
            else:
                done_at = future.finish(needed, growth, done_at)  # grows `cum` as needed
            finish_at(done_at)
            at_due = cum[whole] + (cum[whole + 1] - cum[whole]) * part
            left_at_due(at_due - prior - growth * due)
            prior = needed + growth * (done_at if done_at != inf else MAX_WEEKS)
    return finished, left_by_date


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
    history = list(throughput)
    due_weeks = [(release.end_date - today).days / 7 for release in active]
    finished, left_by_date = _futures(active, due_weeks, history, options)
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
