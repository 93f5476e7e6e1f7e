"""Tests for the roadmap file: the models, the loader and its located error messages."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from roadmap_sync.core.roadmap import (
    GuardSettings,
    Roadmap,
    RoadmapError,
    RoadmapSource,
    parse_roadmap,
    timeframe_end,
)
from roadmap_sync.core.roadmap.errors import ConfigProblem
from roadmap_sync.engine.roadmap_files import load_roadmap, load_roadmaps
from roadmap_sync.trackers.jira.keys import JIRA_KEYS

CONFIG = Path(__file__).resolve().parent.parent / "config"

# A valid roadmap; error cases below edit single lines of it, so every line number is fixed.
BASE = """\
product: Acme Web Shop
tracker:
  projects: [ACME]
labels:
  prefix: roadmap-
  orphan: roadmap-orphan
  out_of_scope: roadmap-out-of-scope
  opt_out: roadmap-ignore
horizon: 1
guard: {max_issues: 500, max_share: 0.25}
releases:
  - id: r1
    name: Checkout that converts
    date: 2026-11-15
    goal: Grow checkout conversion
    fix_versions: ["2026.11"]
    features:
      - name: Guest checkout
        epics: [ACME-1]
  - id: r2
    name: Customers come back
    date: 2026-12-15
    goal: Increase repeat purchases
    fix_versions: ["2026.12"]
    label: roadmap-r2
    features:
      - name: Order tracking
        epics: [ACME-3]
      - name: Accessibility
        match: {labels: [a11y]}
"""


def edited(edits: dict[int, str]) -> str:
    """BASE with the given 1-based lines replaced (a replacement may span several lines)."""
    lines = BASE.splitlines()
    for number, text in edits.items():
        lines[number - 1] = text
    return "\n".join(lines) + "\n"


def plain(*releases: dict[str, Any]) -> dict[str, Any]:
    """A roadmap as plain data (no file) with the given releases, or one small release."""
    release = {
        "id": "r1",
        "name": "N",
        "date": "2026-11-15",
        "goal": "G",
        "features": [{"name": "F", "epics": ["ACME-1"]}],
    }
    return {
        "product": "P",
        "tracker": {"projects": ["ACME"]},
        "releases": list(releases) or [release],
    }


def write(tmp_path: Path, text: str, name: str = "roadmap.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(*paths: Path) -> list[ConfigProblem]:
    with pytest.raises(RoadmapError) as caught:
        load_roadmaps(paths)
    return caught.value.problems


def test_example_files_load() -> None:
    """Both shipped example roadmaps load, and the reference one matches the sandbox backlog."""
    example = load_roadmap(CONFIG / "roadmap.example.yaml")
    minimal = load_roadmap(CONFIG / "roadmap.minimal.yaml")
    assert example.product == minimal.product == "Acme Web Shop"
    assert [release.id for release in example.releases] == ["r1", "r2", "r3", "r4"]
    assert example.release("r4").end_date == dt.date(2027, 6, 30)
    # Goal metrics as code beside plain sentences, and committed scopes.
    checkout = example.release("r1")
    assert [m.name for m in checkout.structured_metrics] == [
        "Checkout conversion",
        "Cart abandonment",
    ]
    assert "Fewer support tickets about payment" in checkout.metric_names
    assert all(release.committed is not None for release in example.releases)
    epics = {key for r in example.releases for f in r.features for key in f.epics}
    assert epics == {f"ACME-{n}" for n in range(1, 11)}
    assert len(minimal.releases) == 1


def test_base_roadmap_loads(tmp_path: Path) -> None:
    """The table's base document is valid, so each error case isolates one problem."""
    assert load_roadmap(write(tmp_path, BASE)).release_label("r1") == "roadmap-r1"


def test_roadmap_exposes_source_and_hash(tmp_path: Path) -> None:
    """A loaded roadmap knows its file and the sha256 of the file's bytes."""
    path = write(tmp_path, BASE)
    roadmap = load_roadmap(path)
    assert roadmap.source_path == path
    assert roadmap.config_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_config_hash_is_stable_without_a_file() -> None:
    """A roadmap built in code still has a hash, equal for equal content."""
    first, second = Roadmap.model_validate(plain()), Roadmap.model_validate(plain())
    assert first.source_path is None
    assert first.config_hash == second.config_hash
    assert len(first.config_hash) == 64


def test_releases_ordered_by_date(tmp_path: Path) -> None:
    """Releases are ordered by date or timeframe end, whatever the file order."""
    text = edited({14: "    timeframe: 2027-Q1", 22: "    date: 2026-12-31"})
    roadmap = load_roadmap(write(tmp_path, text))
    assert [release.id for release in roadmap.releases] == ["r2", "r1"]
    assert [release.when for release in roadmap.releases] == ["2026-12-31", "2027-Q1"]
    assert roadmap.upcoming_releases(dt.date(2027, 1, 1))[0].id == "r1"


@pytest.mark.parametrize(
    ("timeframe", "end"),
    [
        ("2026-Q1", dt.date(2026, 3, 31)),
        ("2026-Q4", dt.date(2026, 12, 31)),
        ("2026-H1", dt.date(2026, 6, 30)),
        ("2026-H2", dt.date(2026, 12, 31)),
        ("2026-11", dt.date(2026, 11, 30)),
        ("2028-02", dt.date(2028, 2, 29)),
    ],
)
def test_timeframe_end(timeframe: str, end: dt.date) -> None:
    """A timeframe resolves to its last day."""
    assert timeframe_end(timeframe) == end


@pytest.mark.parametrize("timeframe", ["2026-Q5", "2026-H3", "2026-13", "2026", "Q4 2026", "26-Q4"])
def test_bad_timeframe(timeframe: str) -> None:
    """Anything but YYYY-Qn, YYYY-Hn or YYYY-MM is refused."""
    with pytest.raises(ValueError, match="is not a timeframe"):
        timeframe_end(timeframe)


@pytest.mark.parametrize(
    ("label", "owned"),
    [
        ("roadmap-r1", True),
        ("roadmap-orphan", True),
        # A label with the prefix that this roadmap does not write is not the bot's (unless
        # the store says it wrote it: see tests/test_plan.py).
        ("roadmap-r0", False),
        ("roadmap-notes", False),
        ("roadmap-ignore", False),  # the opt-out belongs to people
        ("roadmap", False),
        ("Roadmap-r1", False),
        ("a11y", False),
        ("my-roadmap-r1", False),
    ],
)
def test_owns_label(tmp_path: Path, label: str, owned: bool) -> None:
    """The bot owns the labels it writes (release and flag labels), not everything prefixed."""
    assert load_roadmap(write(tmp_path, BASE)).owns_label(label) is owned


def test_release_label_default_and_explicit(tmp_path: Path) -> None:
    """A release's label is explicit when given, else prefix + id."""
    roadmap = load_roadmap(write(tmp_path, edited({25: "    label: roadmap-returning"})))
    assert roadmap.release_label("r1") == "roadmap-r1"
    assert roadmap.release_label(roadmap.release("r2")) == "roadmap-returning"
    with pytest.raises(KeyError):
        roadmap.release("r9")


def test_flag_labels_follow_a_changed_prefix(tmp_path: Path) -> None:
    """Changing only the prefix moves the default flag and opt-out labels with it."""
    text = edited({5: "  prefix: rm-", 6: "", 7: "", 8: "", 25: ""})
    roadmap = load_roadmap(write(tmp_path, text))
    labels = roadmap.labels
    assert (labels.orphan, labels.out_of_scope, labels.opt_out) == (
        "rm-orphan",
        "rm-out-of-scope",
        "rm-ignore",
    )
    assert roadmap.release_label("r2") == "rm-r2"


def test_defaults(tmp_path: Path) -> None:
    """Omitted optional keys take the documented defaults."""
    roadmap = load_roadmap(CONFIG / "roadmap.minimal.yaml")
    assert roadmap.horizon == 1
    assert roadmap.guard == GuardSettings(max_issues=500, max_share=0.25)
    assert roadmap.labels.prefix == "roadmap-"
    assert roadmap.labels.opt_out == "roadmap-ignore"
    assert roadmap.tracker.epic_types is None
    assert roadmap.tracker.done_statuses == ()


LONG = "roadmap-" + "x" * 250

ERRORS = [
    # (id, edits to BASE, line, column, location, message fragment)
    ("unknown-top-key", {9: "horizn: 1"}, 9, 1, "horizn",
     "unknown key 'horizn' (did you mean 'horizon'?)"),
    ("unknown-nested-key", {16: "    fixversions: ['2026.11']"}, 16, 5,
     "releases[0].fixversions", "did you mean 'fix_versions'?"),
    ("unknown-key-lists-allowed", {10: "guard: {max_issues: 5, zzz: 1}"}, 10, 24, "guard.zzz",
     "allowed keys: max_issues, max_share"),
    ("duplicate-release-id", {20: "  - id: r1"}, 20, 9, "releases[1].id",
     "duplicate release id 'r1' (also releases[0])"),
    ("release-label-equals-flag", {25: "    label: roadmap-orphan"}, 25, 12, "releases[1].label",
     "release label 'roadmap-orphan' is also used by labels.orphan"),
    ("default-label-equals-flag", {12: "  - id: orphan"}, 12, 9, "releases[0].id",
     "release label 'roadmap-orphan' (prefix + id) is also used by labels.orphan"),
    ("two-releases-one-label", {25: "    label: roadmap-r1"}, 25, 12, "releases[1].label",
     "'roadmap-r1' is also used by release r1"),
    ("flag-labels-equal", {7: "  out_of_scope: roadmap-orphan"}, 7, 17, "labels.out_of_scope",
     "'roadmap-orphan' is also the orphan label"),
    ("opt-out-equals-flag", {8: "  opt_out: roadmap-orphan"}, 8, 12, "labels.opt_out",
     "'roadmap-orphan' is also a flag label the bot writes"),
    ("opt-out-equals-release-label", {8: "  opt_out: roadmap-r2"}, 25, 12, "releases[1].label",
     "'roadmap-r2' is also used by labels.opt_out"),
    ("epic-in-two-releases", {28: "        epics: [ACME-1]"}, 28, 17,
     "releases[1].features[0].epics[0]",
     "epic ACME-1 is already claimed by feature 'Guest checkout' of release r1 "
     "(releases[0].features[0].epics[0])"),
    ("epic-twice-in-feature", {19: "        epics: [ACME-1, ACME-1]"}, 19, 25,
     "releases[0].features[0].epics[1]", "epic ACME-1 is already claimed"),
    ("label-with-space", {25: "    label: roadmap r2"}, 25, 12, "releases[1].label",
     "label 'roadmap r2' contains whitespace"),
    ("label-too-long", {25: f"    label: {LONG}"}, 25, 12, "releases[1].label",
     "has 258 characters; Jira allows 255"),
    ("match-label-with-space", {30: "        match: {labels: ['a 11y']}"}, 30, 26,
     "releases[1].features[1].match.labels[0]", "contains whitespace"),
    ("release-label-without-prefix", {25: "    label: r2"}, 25, 12, "releases[1].label",
     "release label 'r2' lacks the prefix 'roadmap-', so the bot could not own it"),
    ("flag-label-without-prefix", {6: "  orphan: orphan"}, 6, 11, "labels.orphan",
     "'orphan' lacks the prefix 'roadmap-', so the bot could not own it"),
    ("match-label-owned-by-bot", {30: "        match: {labels: [roadmap-a11y]}"}, 30, 26,
     "releases[1].features[1].match.labels[0]",
     "match label 'roadmap-a11y' starts with the bot's prefix 'roadmap-'; the bot writes such "
     "labels itself"),
    ("impossible-date", {14: "    date: 2026-02-30"}, 14, 11, "releases[0].date",
     "'2026-02-30' is not a valid date (day is out of range for month)"),
    ("date-not-iso", {14: "    date: next week"}, 14, 11, "releases[0].date",
     "'next week' is not a date (expected YYYY-MM-DD"),
    ("date-and-timeframe", {14: "    date: 2026-11-15\n    timeframe: 2026-Q4"}, 15, 16,
     "releases[0].timeframe", "give either date or timeframe, not both"),
    ("neither-date-nor-timeframe", {14: ""}, 12, 5, "releases[0]",
     "release 'r1' needs a date (2026-11-15) or a timeframe"),
    ("bad-timeframe", {14: "    timeframe: 2026-Q5"}, 14, 16, "releases[0].timeframe",
     "'2026-Q5' is not a timeframe"),
    ("bad-issue-key", {19: "        epics: [acme-1]"}, 19, 17, "releases[0].features[0].epics[0]",
     "'acme-1' is not a Jira issue key (expected like ACME-12)"),
    ("issue-key-zero", {19: "        epics: [ACME-0]"}, 19, 17, "releases[0].features[0].epics[0]",
     "'ACME-0' is not a Jira issue key"),
    ("bad-project-key", {3: "  projects: [ACME, ops]"}, 3, 20, "tracker.projects[1]",
     "'ops' is not a Jira project key"),
    ("no-projects", {3: "  projects: []"}, 3, 13, "tracker.projects", "must not be empty"),
    ("feature-claims-nothing", {19: ""}, 18, 9, "releases[0].features[0]",
     "feature 'Guest checkout' has neither epics nor a match"),
    ("feature-empty-match", {30: "        match: {labels: [], components: []}"}, 29, 9,
     "releases[1].features[1]", "feature 'Accessibility' has neither epics nor a match"),
    ("empty-releases", {n: "" for n in range(12, 31)} | {11: "releases: []"}, 11, 11, "releases",
     "must not be empty"),
    ("release-without-features", {17: "    features: []", 18: "", 19: ""}, 17, 15,
     "releases[0].features", "must not be empty"),
    ("negative-horizon", {9: "horizon: -1"}, 9, 10, "horizon",
     "must be >= 0 (got -1)"),
    ("share-above-one", {10: "guard: {max_issues: 500, max_share: 1.5}"}, 10, 37,
     "guard.max_share", "must be <= 1 (got 1.5)"),
    ("missing-goal", {15: ""}, 12, 5, "releases[0].goal", "missing required key 'goal'"),
    ("missing-tracker", {2: "", 3: ""}, 1, 1, "tracker", "missing required key 'tracker'"),
    ("unquoted-version", {16: "    fix_versions: [2026.10]"}, 16, 20, "releases[0].fix_versions[0]",
     "YAML reads 2026.10 as float; quote it: '2026.10'"),
    ("empty-goal", {15: "    goal:"}, 15, 10, "releases[0].goal",
     "expected text, but the value is empty"),
    ("blank-name", {13: "    name: '   '"}, 13, 11, "releases[0].name", "must not be empty"),
    ("yes-is-a-bool", {13: "    name: yes"}, 13, 11, "releases[0].name",
     "expected text, but YAML reads yes as bool; quote it: 'yes'"),
    ("version-in-two-releases", {24: "    fix_versions: ['2026.11']"}, 24, 20,
     "releases[1].fix_versions[0]", "fixVersion '2026.11' already belongs to release r1"),
    ("bad-slug", {12: "  - id: R1"}, 12, 9, "releases[0].id", "'R1' is not a release id"),
    ("features-not-a-list", {17: "    features: Guest checkout", 18: "", 19: ""}, 17, 15,
     "releases[0].features", "expected a list"),
    ("release-not-a-mapping", {n: "" for n in range(13, 20)} | {12: "  - r1"}, 12, 5,
     "releases[0]", "expected a mapping"),
    ("duplicate-mapping-key", {16: "    goal: Sell more"}, 16, 5, "releases[0].goal",
     "duplicate key 'goal' (first at line 15)"),
    ("yaml-syntax", {13: "    name: [unclosed"}, 14, 9, "",
     "YAML syntax: expected ',' or ']', but got ':' (while parsing a flow sequence at line 13)"),
    ("yaml-tab", {13: "\tname: x"}, 13, 1, "", "YAML syntax"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edits", "line", "column", "location", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in ERRORS],
)
def test_config_error_is_located(
    tmp_path: Path, edits: dict[int, str], line: int, column: int, location: str, message: str
) -> None:
    """Each invalid roadmap is refused with the file, line, column, location and problem."""
    path = write(tmp_path, edited(edits))
    problems = problems_of(path)
    expected_prefix = f"{path}:{line}:{column}: " + (f"{location}: " if location else "")
    matching = [str(p) for p in problems if str(p).startswith(expected_prefix)]
    assert matching, f"no problem starts with {expected_prefix!r}: {[str(p) for p in problems]}"
    assert any(message in text for text in matching), matching


def test_example_error_format(tmp_path: Path) -> None:
    """The message format is exactly file:line:col: location: problem."""
    path = write(tmp_path, edited({19: "        epics: [acme-1]"}))
    problems = problems_of(path)
    assert [str(p) for p in problems] == [
        f"{path}:19:17: releases[0].features[0].epics[0]: "
        "'acme-1' is not a Jira issue key (expected like ACME-12)"
    ]
    assert problems[0] == ConfigProblem(
        str(path),
        19,
        17,
        "releases[0].features[0].epics[0]",
        "'acme-1' is not a Jira issue key (expected like ACME-12)",
    )


def test_all_problems_reported_one_per_line(tmp_path: Path) -> None:
    """Several problems in one file are all reported, in file order, one per line."""
    text = edited({3: "  projects: [acme]", 9: "horizon: -2", 19: "        epics: [x-1]"})
    path = write(tmp_path, text)
    with pytest.raises(RoadmapError) as caught:
        load_roadmaps([path])
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["3", "9", "19"]
    assert len(caught.value.problems) == 3


def test_problems_from_several_files_are_collected(tmp_path: Path) -> None:
    """Every bad file is reported, not only the first."""
    one = write(tmp_path, edited({9: "horizon: -1"}), "one.yaml")
    two = write(tmp_path, edited({14: "    date: soon"}), "two.yaml")
    assert {p.path for p in problems_of(one, two)} == {str(one), str(two)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "got an empty file", id="empty"),
        pytest.param("# only a comment\n", "got an empty file", id="comment-only"),
        pytest.param("- a\n- b\n", "got list", id="list"),
        pytest.param("just text\n", "got str", id="scalar"),
    ],
)
def test_file_that_is_not_a_mapping(tmp_path: Path, text: str, message: str) -> None:
    """A file whose top level is not a mapping is refused at line 1."""
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert str(problem).startswith(f"{path}:1:1: expected a mapping")
    assert message in problem.message


def test_missing_file(tmp_path: Path) -> None:
    """A file that cannot be read is reported by name."""
    path = tmp_path / "absent.yaml"
    (problem,) = problems_of(path)
    assert str(problem) == f"{path}: cannot read: No such file or directory"


def test_non_utf8_file(tmp_path: Path) -> None:
    """A file that is not UTF-8 is reported instead of crashing."""
    path = tmp_path / "latin1.yaml"
    path.write_bytes("product: Caf\xe9\n".encode("latin-1"))
    (problem,) = problems_of(path)
    assert "not UTF-8" in problem.message


def test_alias_and_merge_keys_are_located(tmp_path: Path) -> None:
    """YAML anchors and merge keys work; errors inside them point into the file."""
    text = edited({20: "  - <<: *first", 21: "    id: r2", 24: ""}).replace(
        "  - id: r1\n", "  - &first\n    id: r1\n"
    )
    # r2 inherits r1's fix_versions through the merge: a version in two releases, reported
    # where it is written (line 17 once the anchor line is inserted).
    path = write(tmp_path, text)
    (problem,) = problems_of(path)
    assert str(problem) == (
        f"{path}:17:20: releases[1].fix_versions[0]: "
        "fixVersion '2026.11' already belongs to release r1"
    )


@pytest.mark.parametrize(
    ("first_prefix", "second_prefix", "second_projects", "clash"),
    [
        pytest.param("roadmap-", "roadmap-", "[ACME]", True, id="same-project-same-prefix"),
        pytest.param("roadmap-", "roadmap-web-", "[ACME]", True, id="nested-prefix"),
        pytest.param("roadmap-", "roadmap-", "[OPS, ACME]", True, id="shared-project"),
        pytest.param("roadmap-", "web-", "[ACME]", False, id="distinct-prefix"),
        pytest.param("roadmap-", "roadmap-", "[OPS]", False, id="distinct-project"),
    ],
)
def test_two_roadmaps_on_one_project(
    tmp_path: Path, first_prefix: str, second_prefix: str, second_projects: str, clash: bool
) -> None:
    """Two roadmaps may share a project only with prefixes that cannot own each other's labels."""

    def text(product: str, prefix: str, projects: str) -> str:
        return edited(
            {
                1: f"product: {product}",
                3: f"  projects: {projects}",
                5: f"  prefix: {prefix}",
                **{line: "" for line in (6, 7, 8, 25)},
            }
        )

    first = write(tmp_path, text("Web", first_prefix, "[ACME]"), "first.yaml")
    second = write(tmp_path, text("Mobile", second_prefix, second_projects), "second.yaml")
    if not clash:
        assert len(load_roadmaps([first, second])) == 2
        return
    (problem,) = problems_of(first, second)
    column = len("  projects: ") + 1 + second_projects.index("ACME")
    assert str(problem).startswith(f"{second}:3:{column}: tracker.projects[")
    assert f"is also scoped by {first}:3" in problem.message
    assert "would remove each other's labels" in problem.message


def test_model_validation_without_a_file() -> None:
    """Built from plain data, the model still enforces cross-release rules (no file needed)."""
    release = plain()["releases"][0]
    data = plain(release, {**release, "date": None, "timeframe": "2027-H1"})
    with pytest.raises(ValidationError, match=r"\[1\]\.id: duplicate release id 'r1'"):
        Roadmap.model_validate(data)


def test_tracker_levels() -> None:
    """Epic and story level come from configured types, else from hierarchyLevel."""
    default = Roadmap.model_validate(plain()).tracker
    configured = default.model_copy(
        update={"epic_types": ("Epic", "Feature"), "story_types": ("Story",)}
    )
    assert default.is_epic_level("Initiative", 2)
    assert default.is_story_level("Sub-task", -1)
    assert not default.is_story_level("Epic", 1)
    assert configured.is_epic_level("Feature", 0)
    assert not configured.is_story_level("Feature", 0)
    assert configured.is_story_level("Sub-task", -1)
    assert not configured.is_story_level("Spike", 0)


def test_two_roadmaps_with_one_product_name(tmp_path: Path) -> None:
    """Two files naming the same product are refused: the name keys history and reports."""
    first = write(tmp_path, edited({}), "first.yaml")
    second = write(
        tmp_path,
        edited({3: "  projects: [OPS]", 5: "  prefix: ops-", 6: "", 7: "", 8: "", 25: ""}),
        "second.yaml",
    )
    (problem,) = problems_of(first, second)
    assert str(problem).startswith(f"{second}:1:")
    assert f"is also the product of {first}" in problem.message


def test_key_syntax_is_the_trackers() -> None:
    """The core checks keys only with the tracker's syntax: without one, a key is any word."""
    text = BASE.replace("projects: [ACME]", "projects: [acme]").replace("ACME-1]", "acme-1]")
    roadmap = parse_roadmap(RoadmapSource(Path("neutral.yaml"), text.encode()))
    assert roadmap.tracker.projects == ("acme",)
    with pytest.raises(RoadmapError) as raised:
        parse_roadmap(RoadmapSource(Path("jira.yaml"), text.encode()), JIRA_KEYS)
    assert [str(p) for p in raised.value.problems] == [
        "jira.yaml:3:14: tracker.projects[0]: 'acme' is not a Jira project key (expected like "
        "ACME)",
        "jira.yaml:19:17: releases[0].features[0].epics[0]: 'acme-1' is not a Jira issue key "
        "(expected like ACME-12)",
    ]
    with pytest.raises(RoadmapError, match="is not an item key"):
        parse_roadmap(RoadmapSource(Path("x.yaml"), BASE.replace("ACME-1]", "'ACME 1']").encode()))
