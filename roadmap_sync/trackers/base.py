"""The small interface the sync engine needs from an issue tracker, and its records."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from roadmap_sync.model import BacklogItem, LabelChange

Deployment = Literal["cloud", "datacenter"]
ProgressCallback = Callable[[int], None]


class TrackerError(Exception):
    """A tracker request failed for good (after retries); the message is safe to show."""


@dataclass(frozen=True)
class SiteInfo:
    """What the bot learned about the tracker when it connected."""

    deployment: Deployment
    base_url: str
    version: str
    epic_link_field: str | None
    story_points_field: str | None


@dataclass(frozen=True)
class ApplyOutcome:
    """What happened to one planned label change."""

    change: LabelChange
    ok: bool
    error: str | None = None
    # The part of the change that took effect, when that is known to be less than all of it
    # (a Cloud bulk ADD that succeeded next to a REMOVE that failed). None: all if ok, else none.
    partial: LabelChange | None = None

    @property
    def applied(self) -> LabelChange:
        """What this outcome actually changed in Jira."""
        if self.partial is not None:
            return self.partial
        if self.ok:
            return self.change
        return LabelChange(self.change.key, (), (), self.change.before)


@dataclass(frozen=True)
class Permission:
    """Whether the account holds one permission in one project."""

    project: str
    key: str
    granted: bool


class Tracker(Protocol):
    """Everything the engine reads from and writes to a tracker."""

    site: SiteInfo
    # How many changes one audited apply batch holds: large enough for the tracker's own
    # batching (Cloud bulk tasks group a batch's changes by label) to stay efficient.
    apply_batch_size: int

    def fetch_items(
        self, projects: Sequence[str], extra_jql: str | None, progress: ProgressCallback | None
    ) -> Iterator[BacklogItem]:
        """Every backlog item of the projects, one page at a time."""
        ...

    def version_names(self, project: str) -> list[str]:
        """Names of a project's versions."""
        ...

    def apply(self, changes: Sequence[LabelChange]) -> list[ApplyOutcome]:
        """Add and remove labels; never touch labels outside each change."""
        ...
