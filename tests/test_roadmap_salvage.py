"""Roadmap validation reports every problem in one pass: a broken value hides nothing else."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap_sync.core.roadmap import RoadmapError, RoadmapSource, parse_roadmap
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.trackers.registry import adapter

BROKEN = """\
product: Ops
tracker:
  projects: [OPS]
releases:
  - id: q4
    name: Stable platform
    date: 2026-12-31
    timeframe: 2026-Q4
    goal: Fewer incidents
    features:
      - name: Autoscaling
        epics: OPS-1
  - id: q4
    name: Faster CI
    goal: Faster builds
    features:
      - name: Cache
        epics: [OPS-2]
  - id: q1
    name: Cheaper
    date: 2027-03-31
    goal: Lower cost
    label: ops-q1
    features:
      - name: Cleanup
        epics: [OPS-2]
"""


def problems(data: dict[str, Any] | str) -> list[str]:
    """Every problem of a roadmap file, as printed (without the file name)."""
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    source = RoadmapSource(Path("r.yaml"), text.encode())
    try:
        parse_roadmap(source, adapter().key_syntax)
    except RoadmapError as error:
        return [str(problem).removeprefix("r.yaml:") for problem in error.problems]
    return []


def test_a_list_written_as_a_string_hides_nothing() -> None:
    """``epics: OPS-1`` is reported together with the release and cross-release problems."""
    assert problems(BROKEN) == [
        "8:16: releases[0].timeframe: give either date or timeframe, not both",
        "12:16: releases[0].features[0].epics: expected a list, e.g. [A, B]",
        "13:5: releases[1]: release 'q4' needs a date (2026-11-15) or a timeframe "
        "(2026-Q4, 2026-H2, 2026-11)",
        "13:9: releases[1].id: duplicate release id 'q4' (also releases[0])",
        "13:9: releases[1].id: release label 'roadmap-q4' (prefix + id) is also used by release q4",
        "23:12: releases[2].label: release label 'ops-q1' lacks the prefix 'roadmap-', so the "
        "bot could not own it",
        "26:17: releases[2].features[0].epics[0]: epic OPS-2 is already claimed by feature "
        "'Cache' of release q4 (releases[1].features[0].epics[0])",
    ]


def base_data() -> dict[str, Any]:
    """A roadmap whose only problems are cross-release ones (duplicate epic, label, version)."""
    data = yaml.safe_load(
        (Path(__file__).parent.parent / "config" / "roadmap.example.yaml").read_text()
    )
    releases = data["releases"]
    releases[1]["features"][0]["epics"] = ["ACME-1"]  # already claimed by r1
    releases[2]["label"] = "r3-label"  # lacks the prefix
    releases[3]["fix_versions"] = ["2026.12"]  # already r2's
    return data


# Breakages that make a release invalid without touching what the rules look at.
BREAKAGES = {
    "goal missing": lambda r: r.pop("goal", None),
    "metrics not a list of text": lambda r: r.update(metrics=[{"a": 1}]),
    "name empty": lambda r: r.update(name=""),
    "a feature's epics a string": lambda r: r["features"].append(
        {"name": "Extra", "epics": "ACME-99"}
    ),
    "date and timeframe": lambda r: r.update(timeframe="2027-Q4"),
}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(sorted(BREAKAGES))),
        min_size=1,
        max_size=4,
    )
)
def test_breaking_releases_never_hides_cross_release_problems(
    breakages: list[tuple[int, str]],
) -> None:
    """Whatever else is broken in the releases, the duplicate epic, the unowned label and the
    doubly used fix version are still reported in the same pass."""
    data = base_data()
    expected = problems(data)
    assert len(expected) == 3
    broken = copy.deepcopy(data)
    for index, name in breakages:
        BREAKAGES[name](broken["releases"][index])
    found = problems(broken)
    for problem in expected:
        location = problem.split(": ", 1)[1]
        assert location in [p.split(": ", 1)[1] for p in found], (breakages, found)


def test_example_still_loads() -> None:
    """The documented example roadmap stays valid."""
    assert load_roadmap(Path(__file__).parent.parent / "config" / "roadmap.example.yaml")
