"""When a sync keeps the last forecast instead of simulating again (engine/outlook.py).

A forecast is kept while the open work it was computed from has moved by at most half a day of
the team's mean throughput, and nothing else it rests on changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import requests

from roadmap_sync.core.forecast import FeatureWork, ForecastOptions, ReleaseWork
from roadmap_sync.engine import outlook
from roadmap_sync.engine.outlook import _basis, _still_current, _work_json
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.engine.runner import sync_and_record
from roadmap_sync.sandbox.clock import SiteClock
from roadmap_sync.sandbox.generate import GENERATED_NOW
from roadmap_sync.sandbox.server import SandboxServer
from roadmap_sync.state.outlook import OutlookStore
from roadmap_sync.state.store import StateStore
from tests.conftest import REPO, site_data
from tests.test_outlook import connect

TODAY = dt.date(2026, 11, 25)
THROUGHPUT = (140,) * 12  # 140 items a week: half a day is 10 items
OPTIONS = ForecastOptions(futures=1000, seed=0, epic_stories=(3, 7))  # an empty epic: 5 items


def releases(r1_open: int = 300, r2_open: int = 500, **changes: Any) -> list[ReleaseWork]:
    """Two releases; r2 has two features."""
    features = (
        FeatureWork("Search", changes.get("search", 100)),
        FeatureWork("Wishlist", changes.get("wishlist", 50), changes.get("wishlist_epics", 0)),
    )
    return [
        ReleaseWork("r1", TODAY + dt.timedelta(weeks=4), r1_open,
                    growth_per_week=changes.get("growth", 0.0)),
        ReleaseWork("r2", TODAY + dt.timedelta(weeks=12), r2_open, features=features),
    ]  # fmt: skip


def stored(works: list[ReleaseWork], today: dt.date = TODAY) -> dict[str, Any]:
    """The outlooks a sync that simulated `works` recorded."""
    basis = _basis(works, THROUGHPUT, OPTIONS, today)
    return {w.release_id: {"inputs": basis, "work": _work_json(w)} for w in works}


def kept(previous: dict[str, Any], works: list[ReleaseWork], today: dt.date = TODAY) -> bool:
    """Whether a sync seeing `works` keeps the forecasts in `previous`."""
    basis = _basis(works, THROUGHPUT, OPTIONS, today)
    return _still_current(previous, basis, works, THROUGHPUT, OPTIONS, today)


def test_unchanged_work_keeps_the_forecast() -> None:
    """Nothing moved: kept, as before any tolerance."""
    assert kept(stored(releases()), releases())


def test_half_a_day_of_work_in_all_keeps_it_and_more_does_not() -> None:
    """10 items at 140 a week is half a day: within it, kept; one item more, simulated again."""
    before = stored(releases())
    assert kept(before, releases(r1_open=304, r2_open=494))
    assert not kept(before, releases(r1_open=304, r2_open=493))
    assert kept(before, releases(r1_open=290))
    assert not kept(before, releases(r1_open=289))


def test_empty_epics_and_growth_count_at_their_size() -> None:
    """An empty epic counts as its mean estimate (5 here); growth over the weeks to the date."""
    before = stored(releases())
    assert kept(before, releases(wishlist_epics=2))  # 10 items of feature work
    assert not kept(before, releases(wishlist_epics=3))
    assert kept(before, releases(growth=2.5))  # 2.5 a week for r1's 4 weeks
    assert not kept(before, releases(growth=3.0))


def test_work_moved_between_features_recomputes_the_cut_line() -> None:
    """The release's total is the same, but 15 items moved from one feature to the other."""
    before = stored(releases())
    assert not kept(before, releases(search=85, wishlist=65))


def test_what_the_forecast_rests_on_always_recomputes_it() -> None:
    """Another day, a release becoming done, another history or a stored outlook without
    its work (an older version's): simulated again, whatever the amounts."""
    before = stored(releases())
    assert not kept(before, releases(), today=TODAY + dt.timedelta(days=1))
    done = stored(releases(r1_open=3))
    assert not kept(done, releases(r1_open=0))
    older = {rid: {"inputs": data["inputs"]} for rid, data in before.items()}
    assert not kept(older, releases())
    other = {rid: {**data, "inputs": "another history"} for rid, data in before.items()}
    assert not kept(other, releases())


def test_a_kept_forecast_is_stored_with_the_work_it_was_computed_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the engine: a sync that keeps the forecast records it with the work it was
    computed from, so small moves add up until they are worth a new simulation."""
    roadmap = load_roadmap(REPO / "config" / "roadmap.example.yaml")
    clock = SiteClock(GENERATED_NOW)
    with (
        SandboxServer(site_data(400, seed=1), clock=clock, bulk_delay=0.01) as site,
        StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store,
    ):
        tracker = connect(site)

        def sync() -> tuple[dict[str, Any], str]:
            """A recorded sync: r1's stored outlook, and an open story of r1."""
            done = sync_and_record(roadmap, tracker, store, kind="run", force=True, clock=clock.now)
            plan = done.plan
            story = next(
                item.key
                for item, trace in zip(plan.items, plan.classification.traces, strict=True)
                if trace.planned_release == "r1" and not trace.done and item.hierarchy_level == 0
            )
            return OutlookStore(store).outlooks(roadmap.product, done.run.run_id)["r1"], story

        def close(key: str) -> None:
            url = f"{site.url}/_sandbox/issues/{key}/transition"
            requests.post(url, json={"status": "Done"}, timeout=10).raise_for_status()

        monkeypatch.setattr(outlook, "KEEP_WITHIN_WEEK_SHARE", 100.0)  # any move is small
        computed, story = sync()
        assert computed["work"]["open"] == computed["scope"]["open_items"]
        close(story)
        kept, story = sync()
        assert kept["scope"]["open_items"] == computed["scope"]["open_items"] - 1
        assert kept["work"] == computed["work"]  # the work it was computed from
        assert kept["forecast"] == computed["forecast"]
        monkeypatch.setattr(outlook, "KEEP_WITHIN_WEEK_SHARE", 0.0)  # exact inputs only
        close(story)
        simulated, _ = sync()
        assert simulated["work"]["open"] == simulated["scope"]["open_items"]
        assert simulated["work"]["open"] == computed["work"]["open"] - 2
