"""The whole GO roadmap: releases ordered by date, with the rules that span releases.

A roadmap lists releases (date or timeframe, goal, metrics, key features). Features claim
backlog items by epic key or by label/component match. ``parse.py`` builds it from YAML with
every problem located at its file, line and column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property
from pathlib import Path

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator

from roadmap_sync.core.roadmap.errors import LocatedError
from roadmap_sync.core.roadmap.parts import (
    ForecastSettings,
    GuardSettings,
    LabelsConfig,
    Release,
    RoadmapPart,
    TrackerConfig,
)
from roadmap_sync.core.roadmap.rules import release_problems
from roadmap_sync.core.roadmap.types import Text

__all__ = ["Roadmap"]


class Roadmap(RoadmapPart):
    """A whole roadmap file; `releases` are ordered by date (ties keep file order)."""

    product: Text
    tracker: TrackerConfig
    labels: LabelsConfig = LabelsConfig()
    horizon: int = Field(default=1, ge=0)
    guard: GuardSettings = GuardSettings()
    forecast: ForecastSettings = ForecastSettings()
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

    @cached_property
    def bot_labels(self) -> frozenset[str]:
        """Every label the bot writes for this roadmap: release labels and the two flags."""
        releases = (self.release_label(release) for release in self.releases)
        return frozenset((*releases, self.labels.orphan, self.labels.out_of_scope))

    def owns_label(self, label: str) -> bool:
        """True for the labels the bot writes now (a label that merely has the prefix is not).

        Labels the bot wrote in earlier runs are its too; the store knows those, and the
        planner takes them as a value (``core.plan.plan_labels(..., written=...)``).
        """
        return label in self.bot_labels and label != self.labels.opt_out

    def upcoming_releases(self, today: dt.date) -> tuple[Release, ...]:
        """Releases not yet past (end date >= today), soonest first."""
        return tuple(release for release in self.releases if release.end_date >= today)
