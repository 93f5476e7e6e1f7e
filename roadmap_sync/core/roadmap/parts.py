"""The pieces of a GO roadmap file: scope, labels, guard, releases and their features.

Plain pydantic models; the whole-file model and its cross-release rules are in ``model.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from roadmap_sync.core.model import Scope
from roadmap_sync.core.roadmap.errors import Loc, LocatedError
from roadmap_sync.core.roadmap.types import (
    IsoDate,
    ItemKey,
    Label,
    LongText,
    Paragraph,
    ProjectKey,
    Slug,
    Text,
    Timeframe,
    TrackerQuery,
    timeframe_end,
)

__all__ = [
    "PREFIX_SEPARATORS",
    "Feature",
    "FeatureMatch",
    "ForecastSettings",
    "GuardSettings",
    "HttpSource",
    "LabelsConfig",
    "ManualSource",
    "Metric",
    "MetricTarget",
    "PrometheusSource",
    "Release",
    "TrackerConfig",
    "when_problem",
]


PREFIX_SEPARATORS = ("-", "_", ":", "/", ".")


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
        if self.prefix[-1] not in PREFIX_SEPARATORS:
            # 'road' would make 'roadmap' and 'roadworks' look like the bot's labels.
            problems.append(
                (
                    ("prefix",),
                    f"prefix {self.prefix!r} must end in a separator "
                    f"({', '.join(PREFIX_SEPARATORS)}), e.g. {self.prefix + '-'!r}, so that "
                    "people's labels that merely start with it are never taken for the bot's",
                )
            )
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

    def prefixed(self, label: str) -> bool:
        """True for labels that start with the prefix (the opt-out label aside).

        Such a label is not necessarily the bot's: it owns only the labels it writes (see
        ``Roadmap.owns_label`` and ``core.plan.owned_set``).
        """
        return label.startswith(self.prefix) and label != self.opt_out


class GuardSettings(RoadmapPart):
    """Blast-radius guard: refuse a run that would change more issues than this."""

    max_issues: int = Field(
        default=500, ge=0, description="Refuse a sync that changes more issues than this"
    )
    max_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Refuse a sync that changes more than this share of the traced items",
    )
    first_sync: Literal["allow", "refuse"] = Field(
        default="allow",
        description="allow: a roadmap's first sync may add labels to any number of issues "
        "(only issues that would lose a label count against the limits); refuse: the limits "
        "apply to the first sync too",
    )


class FeatureMatch(RoadmapPart):
    """Claim items carrying any of these labels or components."""

    labels: tuple[Label, ...] = ()
    components: tuple[Text, ...] = ()


class Feature(RoadmapPart):
    """A key feature of a release; claims epics by key or items by label/component."""

    name: Text
    description: Paragraph = ""
    epics: tuple[ItemKey, ...] = ()
    match: FeatureMatch | None = None

    @model_validator(mode="after")
    def _claims_something(self) -> Feature:
        matches = self.match is not None and (self.match.labels or self.match.components)
        if not self.epics and not matches:
            message = f"feature {self.name!r} has neither epics nor a match to claim items by"
            raise LocatedError([((), message)])
        return self


def when_problem(has_date: bool, has_timeframe: bool, release_id: object) -> tuple[Loc, str] | None:
    """A release needs exactly one of date and timeframe; the problem, located, if not."""
    if has_date and has_timeframe:
        return ("timeframe",), "give either date or timeframe, not both"
    if not has_date and not has_timeframe:
        message = (
            f"release {release_id!r} needs a date (2026-11-15) or a timeframe "
            "(2026-Q4, 2026-H2, 2026-11)"
        )
        return (), message
    return None


# --- goal metrics as code (issue 12) ----------------------------------------------------------


class MetricTarget(RoadmapPart):
    """What the metric should reach: at least `value` (direction up) or at most it (down)."""

    value: float
    unit: str = ""
    direction: Literal["up", "down"] = "up"

    def met_by(self, value: float) -> bool:
        """Whether a reading reaches the target."""
        return value >= self.value if self.direction == "up" else value <= self.value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class ManualSource(RoadmapPart):
    """Readings people record in ``metrics.yaml`` next to the roadmap file."""

    type: Literal["manual"] = "manual"


class HttpSource(RoadmapPart):
    """A URL answering JSON; `pointer` (RFC 6901 JSON Pointer) picks the number in it."""

    type: Literal["http"]
    url: Annotated[str, Field(min_length=1)]
    pointer: str = ""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("pointer")
    @classmethod
    def _pointer(cls, value: str) -> str:
        if value and not value.startswith("/"):
            raise ValueError(f"{value!r} is not a JSON Pointer (it starts with '/', e.g. /data/0)")
        return value


class PrometheusSource(RoadmapPart):
    """A Prometheus server's URL and an instant query whose first sample is the reading."""

    type: Literal["prometheus"]
    url: Annotated[str, Field(min_length=1)]
    query: Text

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)


MetricSource = Annotated[ManualSource | HttpSource | PrometheusSource, Field(discriminator="type")]


class Metric(RoadmapPart):
    """A goal metric: its target, an optional baseline and review date, where readings come from."""

    name: Text
    target: MetricTarget
    baseline: float | None = None
    review: IsoDate | None = None
    source: MetricSource = ManualSource()


class ForecastSettings(RoadmapPart):
    """How release forecasts are simulated (defaults suit a team shipping weekly)."""

    weeks: int = Field(default=12, ge=1, le=104)  # throughput history, in weeks
    futures: int = Field(default=10_000, ge=100, le=100_000)
    threshold: float = Field(default=0.7, gt=0, lt=1)  # date_at_risk below this probability
    epic_stories: tuple[int, int] = (3, 8)  # stories an epic without any is assumed to hold
    seed: int = 0

    @field_validator("epic_stories")
    @classmethod
    def _range(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if low < 0 or high < low:
            raise ValueError(f"expected [min, max] with 0 <= min <= max, got {list(value)}")
        return value


class Release(RoadmapPart):
    """One release of the GO roadmap: when, what goal, how measured, which features."""

    id: Slug
    name: Text
    date: IsoDate | None = None
    timeframe: Timeframe | None = None
    goal: LongText
    # Plain sentences, or structured metrics with a target and a source of readings.
    metrics: tuple[Metric | LongText, ...] = ()
    # When the team committed to this scope; the scope baseline is taken then (or when the
    # release becomes the next one, whichever comes first).
    committed: IsoDate | None = None
    fix_versions: tuple[Text, ...] = ()
    label: Label | None = None
    features: tuple[Feature, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_when(self) -> Release:
        problem = when_problem(self.date is not None, self.timeframe is not None, self.id)
        if problem is not None:
            raise LocatedError([problem])
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

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Every metric as a sentence: plain ones as written, structured ones by name."""
        return tuple(m if isinstance(m, str) else m.name for m in self.metrics)

    @property
    def structured_metrics(self) -> tuple[Metric, ...]:
        """The metrics that have a target and a source."""
        return tuple(m for m in self.metrics if isinstance(m, Metric))
