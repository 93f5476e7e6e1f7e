"""The pieces of a GO roadmap file: scope, labels, guard, releases and their features.

Plain pydantic models; the whole-file model and its cross-release rules are in ``model.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from roadmap_sync.core.model import Scope
from roadmap_sync.core.roadmap.errors import Loc, LocatedError
from roadmap_sync.core.roadmap.types import (
    IsoDate,
    ItemKey,
    Label,
    ProjectKey,
    Slug,
    Text,
    Timeframe,
    TrackerQuery,
    timeframe_end,
)

__all__ = [
    "Feature",
    "FeatureMatch",
    "GuardSettings",
    "LabelsConfig",
    "Release",
    "TrackerConfig",
]


class RoadmapPart(BaseModel):
    """Base of every roadmap model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TrackerConfig(RoadmapPart):
    """Which Jira issues the roadmap covers and how to read their types and statuses."""

    projects: tuple[ProjectKey, ...] = Field(min_length=1)
    jql: TrackerQuery | None = None
    epic_types: tuple[Text, ...] | None = None
    story_types: tuple[Text, ...] | None = None
    done_statuses: tuple[Text, ...] = ()

    @property
    def scope(self) -> Scope:
        """The items this roadmap covers, as trackers take it."""
        return Scope(self.projects, self.jql)

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


class LabelsConfig(RoadmapPart):
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


class GuardSettings(RoadmapPart):
    """Blast-radius guard: refuse a run that would change more issues than this."""

    max_issues: int = Field(default=500, ge=0)
    max_share: float = Field(default=0.25, gt=0, le=1)


class FeatureMatch(RoadmapPart):
    """Claim items carrying any of these labels or components."""

    labels: tuple[Label, ...] = ()
    components: tuple[Text, ...] = ()


class Feature(RoadmapPart):
    """A key feature of a release; claims epics by key or items by label/component."""

    name: Text
    description: str = ""
    epics: tuple[ItemKey, ...] = ()
    match: FeatureMatch | None = None

    @model_validator(mode="after")
    def _claims_something(self) -> Feature:
        matches = self.match is not None and (self.match.labels or self.match.components)
        if not self.epics and not matches:
            message = f"feature {self.name!r} has neither epics nor a match to claim items by"
            raise LocatedError([((), message)])
        return self


class Release(RoadmapPart):
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
