"""Release forecasts by Monte Carlo: table tests with known throughput and known answers."""

from __future__ import annotations

import datetime as dt

import pytest

from roadmap_sync.core.forecast import (
    MAX_WEEKS,
    FeatureWork,
    Forecast,
    ForecastOptions,
    NoForecast,
    ReleaseWork,
    simulate,
    weekly_throughput,
)

TODAY = dt.date(2026, 11, 23)  # a Monday
FAST = ForecastOptions(futures=2000, seed=3)


def days(n: int) -> dt.date:
    """`n` days after TODAY."""
    return TODAY + dt.timedelta(days=n)


def forecast(*releases: ReleaseWork, throughput: tuple[int, ...] = (10,) * 12) -> dict[str, object]:
    """Simulate with the fast options."""
    return dict(simulate(releases, throughput, today=TODAY, options=FAST))


@pytest.mark.parametrize(
    ("open_items", "throughput", "p50", "p95"),
    [
        pytest.param(50, (10,) * 12, 35, 35, id="steady-10-a-week-50-items-5-weeks"),
        pytest.param(25, (10,) * 12, 18, 18, id="half-weeks-round-up-to-a-day"),
        # 80 items need four weeks of 20, each week one with probability 3/4: done by week 4
        # in 32% of futures, by week 5 in 63% (P50), by week 7 in 93%, by week 8 in 97% (P95).
        # (Percentiles exactly on a boundary, such as a 1/2 chance by some week, would make
        # the test depend on the random draws.)
        pytest.param(80, (0, 20, 20, 20) * 3, 35, 56, id="three-weeks-in-four-of-20"),
    ],
)
def test_known_throughput_gives_known_percentiles(
    open_items: int, throughput: tuple[int, ...], p50: int, p95: int
) -> None:
    """Constant throughput finishes on a known day; variable throughput spreads P50..P95."""
    (result,) = forecast(ReleaseWork("r1", days(60), open_items), throughput=throughput).values()
    assert isinstance(result, Forecast)
    assert result.p50 is not None and result.p95 is not None
    assert abs((result.p50 - TODAY).days - p50) <= 2
    assert abs((result.p95 - TODAY).days - p95) <= 3
    assert result.p50 <= result.p85 <= result.p95  # type: ignore[operator]
    assert result.basis.weeks == 12
    assert result.basis.throughput_per_week == pytest.approx(sum(throughput) / 12)


def test_probability_of_finishing_by_the_date() -> None:
    """With 0 or 20 a week at even odds, 40 items are done within 2 weeks about 1 time in 4."""
    (result,) = forecast(ReleaseWork("r1", days(14), 40), throughput=(0, 20) * 6).values()
    assert isinstance(result, Forecast)
    assert result.probability_on_time == pytest.approx(0.25, abs=0.04)


def test_zero_throughput_gives_no_forecast_with_the_reason() -> None:
    """Nothing resolved in the window: no forecast, and the reason says so."""
    (result,) = forecast(ReleaseWork("r1", days(30), 10), throughput=(0,) * 12).values()
    assert isinstance(result, NoForecast)
    assert "no story-level item was resolved in the last 12 weeks" in result.reason


def test_done_release_gets_no_forecast() -> None:
    """A release with no open work is done: no forecast."""
    results = forecast(ReleaseWork("r1", days(30), 0), ReleaseWork("r2", days(60), 20))
    assert isinstance(results["r1"], NoForecast) and results["r1"].reason.startswith("done")
    assert isinstance(results["r2"], Forecast)


def test_earlier_releases_consume_capacity_first() -> None:
    """r2 starts only when r1 is done: 30 + 20 items at 10 a week finish r2 in week 5."""
    results = forecast(ReleaseWork("r1", days(21), 30), ReleaseWork("r2", days(35), 20))
    r1, r2 = results["r1"], results["r2"]
    assert isinstance(r1, Forecast) and isinstance(r2, Forecast)
    assert r1.p50 == days(21) and r2.p50 == days(35)
    assert r1.probability_on_time == 1.0 and r2.probability_on_time == 1.0


def test_scope_growth_delays_the_release() -> None:
    """Growing 5 items a week while 10 are done halves the speed: 50 items take 10 weeks."""
    (result,) = forecast(ReleaseWork("r1", days(60), 50, growth_per_week=5.0)).values()
    assert isinstance(result, Forecast) and result.p50 == days(70)
    assert result.probability_on_time == 0.0
    assert result.basis.scope_growth == 5.0


def test_epics_without_stories_count_as_estimated_stories() -> None:
    """Two empty epics of exactly 5 stories add 10 items."""
    options = ForecastOptions(futures=500, seed=1, epic_stories=(5, 5))
    release = ReleaseWork("r1", days(60), 10, empty_epics=2)
    (result,) = simulate([release], (10,) * 12, today=TODAY, options=options).values()
    assert isinstance(result, Forecast) and result.p50 == days(14)


def test_unreachable_release_has_no_dates() -> None:
    """Scope growing faster than throughput never finishes: dates are None, probability 0."""
    (result,) = forecast(ReleaseWork("r1", days(60), 10, growth_per_week=20.0)).values()
    assert isinstance(result, Forecast)
    assert (result.p50, result.p95, result.probability_on_time) == (None, None, 0.0)
    assert MAX_WEEKS > 100


def test_releases_after_an_unreachable_one_have_no_dates_either() -> None:
    """A release that does not finish within MAX_WEEKS holds the capacity of every later one:
    their dates are None too (the simulation once crashed on the infinite start week)."""
    found = forecast(
        ReleaseWork("r1", days(60), 10, growth_per_week=20.0),
        ReleaseWork("r2", days(120), 5),
    )
    assert [
        (r.p50, r.p95, r.probability_on_time) for r in found.values() if isinstance(r, Forecast)
    ] == [(None, None, 0.0), (None, None, 0.0)]


def test_cut_line_lists_features_that_fit_in_roadmap_order() -> None:
    """By the date 30 items fit: A (10) and B (15) do, C (10) does not; done D always fits."""
    features = (
        FeatureWork("A", 10), FeatureWork("B", 15), FeatureWork("C", 10), FeatureWork("D", 0),
    )  # fmt: skip
    (result,) = forecast(ReleaseWork("r1", days(21), 35, features=features)).values()
    assert isinstance(result, Forecast)
    assert result.cut_line == ("A", "B", "D")


def test_same_seed_same_forecast() -> None:
    """Deterministic given a seed; another seed samples other futures."""
    work = [ReleaseWork("r1", days(30), 60), ReleaseWork("r2", days(90), 80)]
    history = (3, 14, 9, 22, 5, 11, 17, 8, 12, 6, 19, 10)
    once = simulate(work, history, today=TODAY, options=FAST)
    again = simulate(work, history, today=TODAY, options=FAST)
    other = simulate(work, history, today=TODAY, options=ForecastOptions(futures=2000, seed=4))
    assert once == again
    assert once != other


def test_past_release_date_has_probability_zero() -> None:
    """An overdue release still gets completion dates, with no chance of being on time."""
    (result,) = forecast(ReleaseWork("r1", days(-8), 20)).values()
    assert isinstance(result, Forecast)
    assert result.probability_on_time == 0.0 and result.p50 == days(14)


@pytest.mark.parametrize(
    ("resolved", "expected"),
    [
        pytest.param([days(-1), days(-7)], (0, 0, 2), id="last-seven-days-are-the-last-week"),
        pytest.param([days(-8), days(-14)], (0, 2, 0), id="the-week-before"),
        pytest.param([days(0), days(-22), days(3)], (0, 0, 0), id="today-future-and-too-old"),
    ],
)
def test_weekly_throughput_buckets(resolved: list[dt.date], expected: tuple[int, ...]) -> None:
    """Resolutions are counted per whole week before today, oldest first."""
    assert weekly_throughput(resolved, TODAY, 3) == expected
