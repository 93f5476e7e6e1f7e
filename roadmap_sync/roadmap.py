"""The goal-oriented (GO) roadmap file: pydantic models and a loader with located errors.

A roadmap lists releases (date or timeframe, goal, metrics, key features). Features claim
backlog items by epic key or by label/component match. The loader reports every problem as
``file:line:column: location: message``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from roadmap_sync.roadmap_errors import (
    ConfigProblem,
    Loc,
    LocatedError,
    RoadmapError,
    YamlDocument,
    parse_yaml,
    problem_at,
    problems_from_validation,
)
from roadmap_sync.roadmap_rules import release_problems
from roadmap_sync.roadmap_types import (
    IsoDate,
    IssueKey,
    Label,
    ProjectKey,
    Slug,
    Text,
    Timeframe,
    timeframe_end,
)

__all__ = [
    "ConfigProblem",
    "Feature",
    "FeatureMatch",
    "GuardSettings",
    "LabelsConfig",
    "Release",
    "Roadmap",
    "RoadmapError",
    "TrackerConfig",
    "load_roadmap",
    "load_roadmaps",
    "timeframe_end",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrackerConfig(_Model):
    """Which Jira issues the roadmap covers and how to read their types and statuses."""

    projects: tuple[ProjectKey, ...] = Field(min_length=1)
    jql: str | None = None
    epic_types: tuple[Text, ...] | None = None
    story_types: tuple[Text, ...] | None = None
    done_statuses: tuple[Text, ...] = ()

    def is_epic_level(self, issue_type: str, hierarchy_level: int) -> bool:
        """True for items at epic level or above (configured types, else hierarchyLevel >= 1)."""
        if self.epic_types is not None:
            return issue_type in self.epic_types
        return hierarchy_level >= 1

    def is_story_level(self, issue_type: str, hierarchy_level: int) -> bool:
        """True for story-level detail: configured story types or sub-tasks, else level <= 0."""
        if self.is_epic_level(issue_type, hierarchy_level):
            return False
        if self.story_types is not None:
            return issue_type in self.story_types or hierarchy_level < 0
        return hierarchy_level <= 0


class LabelsConfig(_Model):
    """The labels the bot writes; flag and opt-out labels default to prefix + a fixed word."""

    prefix: Label = "roadmap-"
    orphan: Label = "roadmap-orphan"
    out_of_scope: Label = "roadmap-out-of-scope"
    opt_out: Label = "roadmap-ignore"

    @model_validator(mode="before")
    @classmethod
    def _defaults_follow_prefix(cls, data: Any) -> Any:
        # A team that changes only the prefix should not have to restate every flag label.
        if isinstance(data, dict) and isinstance(data.get("prefix"), str):
            prefix = data["prefix"]
            defaults = {"orphan": "orphan", "out_of_scope": "out-of-scope", "opt_out": "ignore"}
            data = {**{k: prefix + word for k, word in defaults.items()}, **data}
        return data

    @model_validator(mode="after")
    def _check_ownership(self) -> LabelsConfig:
        problems: list[tuple[Loc, str]] = []
        for name in ("orphan", "out_of_scope"):
            label = getattr(self, name)
            if not label.startswith(self.prefix):
                message = f"{label!r} lacks the prefix {self.prefix!r}, so the bot could not own it"
                problems.append(((name,), message))
        if self.orphan == self.out_of_scope:
            problems.append((("out_of_scope",), f"{self.orphan!r} is also the orphan label"))
        if self.opt_out in (self.orphan, self.out_of_scope):
            problems.append((("opt_out",), f"{self.opt_out!r} is also a flag label the bot writes"))
        if problems:
            raise LocatedError(problems)
        return self

    def owns(self, label: str) -> bool:
        """True for labels the bot may add and remove: the prefix, minus the opt-out label."""
        return label.startswith(self.prefix) and label != self.opt_out


class GuardSettings(_Model):
    """Blast-radius guard: refuse a run that would change more issues than this."""

    max_issues: int = Field(default=500, ge=0)
    max_share: float = Field(default=0.25, gt=0, le=1)


class FeatureMatch(_Model):
    """Claim items carrying any of these labels or components."""

    labels: tuple[Label, ...] = ()
    components: tuple[Text, ...] = ()


class Feature(_Model):
    """A key feature of a release; claims epics by key or items by label/component."""

    name: Text
    description: str = ""
    epics: tuple[IssueKey, ...] = ()
    match: FeatureMatch | None = None

    @model_validator(mode="after")
    def _claims_something(self) -> Feature:
        matches = self.match is not None and (self.match.labels or self.match.components)
        if not self.epics and not matches:
            message = f"feature {self.name!r} has neither epics nor a match to claim items by"
            raise LocatedError([((), message)])
        return self


class Release(_Model):
    """One release of the GO roadmap: when, what goal, how measured, which features."""

    id: Slug
    name: Text
    date: IsoDate | None = None
    timeframe: Timeframe | None = None
    goal: Text
    metrics: tuple[Text, ...] = ()
    fix_versions: tuple[Text, ...] = ()
    label: Label | None = None
    features: tuple[Feature, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_when(self) -> Release:
        if self.date is not None and self.timeframe is not None:
            raise LocatedError([(("timeframe",), "give either date or timeframe, not both")])
        if self.date is None and self.timeframe is None:
            message = (
                f"release {self.id!r} needs a date (2026-11-15) or a timeframe "
                "(2026-Q4, 2026-H2, 2026-11)"
            )
            raise LocatedError([((), message)])
        return self

    @property
    def end_date(self) -> dt.date:
        """The date, or the last day of the timeframe; used for ordering and overdue checks."""
        if self.date is not None:
            return self.date
        assert self.timeframe is not None  # guaranteed by _one_when
        return timeframe_end(self.timeframe)

    @property
    def when(self) -> str:
        """The date or timeframe as written, for humans."""
        return self.timeframe or (self.date.isoformat() if self.date else "")


class Roadmap(_Model):
    """A whole roadmap file; `releases` are ordered by date (ties keep file order)."""

    product: Text
    tracker: TrackerConfig
    labels: LabelsConfig = LabelsConfig()
    horizon: int = Field(default=1, ge=0)
    guard: GuardSettings = GuardSettings()
    # Last, so that its validator sees the validated `labels` in `info.data`.
    releases: tuple[Release, ...] = Field(min_length=1)

    _source_path: Path | None = PrivateAttr(default=None)
    _config_hash: str | None = PrivateAttr(default=None)

    @field_validator("releases")
    @classmethod
    def _check_and_order(
        cls, releases: tuple[Release, ...], info: ValidationInfo
    ) -> tuple[Release, ...]:
        labels = info.data.get("labels")
        problems = release_problems(releases, labels if isinstance(labels, LabelsConfig) else None)
        if problems:
            raise LocatedError(problems)
        return tuple(sorted(releases, key=lambda release: release.end_date))

    @property
    def source_path(self) -> Path | None:
        """The file this roadmap was loaded from, if any."""
        return self._source_path

    @property
    def config_hash(self) -> str:
        """sha256 of the file bytes (of the canonical JSON when not loaded from a file)."""
        if self._config_hash is not None:
            return self._config_hash
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def release(self, release_id: str) -> Release:
        """The release with this id (KeyError if there is none)."""
        for release in self.releases:
            if release.id == release_id:
                return release
        raise KeyError(release_id)

    def release_label(self, release: Release | str) -> str:
        """The label marking items planned for `release` (explicit, else prefix + id)."""
        if isinstance(release, str):
            release = self.release(release)
        return release.label or self.labels.prefix + release.id

    def owns_label(self, label: str) -> bool:
        """True for labels the bot may add and remove."""
        return self.labels.owns(label)

    def upcoming_releases(self, today: dt.date) -> tuple[Release, ...]:
        """Releases not yet past (end date >= today), soonest first."""
        return tuple(release for release in self.releases if release.end_date >= today)


def _load_one(path: Path) -> tuple[Roadmap, YamlDocument]:
    shown = str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        problem = ConfigProblem(shown, None, None, "", f"cannot read: {exc.strerror}")
        raise RoadmapError([problem]) from exc
    except UnicodeDecodeError as exc:
        problem = ConfigProblem(shown, None, None, "", f"not UTF-8 text ({exc.reason})")
        raise RoadmapError([problem]) from exc
    document = parse_yaml(text, shown)
    if not isinstance(document.data, dict):
        found = "an empty file" if document.data is None else type(document.data).__name__
        message = f"expected a mapping with product, tracker and releases, got {found}"
        raise RoadmapError([ConfigProblem(shown, 1, 1, "", message)])
    try:
        roadmap = Roadmap.model_validate(document.data)
    except ValidationError as exc:
        raise RoadmapError(problems_from_validation(exc, document, Roadmap)) from exc
    roadmap._source_path = path
    roadmap._config_hash = hashlib.sha256(raw).hexdigest()
    return roadmap, document


def _prefixes_overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _cross_file_problems(loaded: list[tuple[Roadmap, YamlDocument]]) -> Iterator[ConfigProblem]:
    """Two roadmaps on one project whose prefixes overlap would remove each other's labels;
    two with one product name would share their run history, reports and worker jobs."""
    for n, (roadmap, document) in enumerate(loaded):
        for earlier, earlier_doc in loaded[:n]:
            if roadmap.product == earlier.product:
                other = problem_at(earlier_doc, ("product",), "")
                yield problem_at(
                    document,
                    ("product",),
                    f"product {roadmap.product!r} is also the product of {other.path}: each "
                    "roadmap needs its own product name (it keys the run history and reports)",
                )
            if not _prefixes_overlap(roadmap.labels.prefix, earlier.labels.prefix):
                continue
            for k, project in enumerate(roadmap.tracker.projects):
                if project not in earlier.tracker.projects:
                    continue
                first = earlier.tracker.projects.index(project)
                other = problem_at(earlier_doc, ("tracker", "projects", first), "")
                where = f"{other.path}:{other.line}" if other.line else other.path
                yield problem_at(
                    document,
                    ("tracker", "projects", k),
                    f"project {project} is also scoped by {where} with label "
                    f"prefix {earlier.labels.prefix!r} (here {roadmap.labels.prefix!r}); the two "
                    "roadmaps would remove each other's labels: give each a distinct "
                    "labels.prefix",
                )


def load_roadmaps(paths: Iterable[str | os.PathLike[str]]) -> list[Roadmap]:
    """Load and validate roadmap files; raise RoadmapError listing every problem in all files."""
    problems: list[ConfigProblem] = []
    loaded: list[tuple[Roadmap, YamlDocument]] = []
    for path in paths:
        try:
            loaded.append(_load_one(Path(path)))
        except RoadmapError as exc:
            problems.extend(exc.problems)
    problems.extend(_cross_file_problems(loaded))
    if problems:
        raise RoadmapError(problems)
    return [roadmap for roadmap, _document in loaded]


def load_roadmap(path: str | os.PathLike[str]) -> Roadmap:
    """Load and validate one roadmap file."""
    return load_roadmaps([path])[0]
