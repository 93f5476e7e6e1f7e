"""The small, tracker-neutral interface the sync engine needs from an issue tracker.

Everything here speaks in the core's values (``BacklogItem``, ``LabelChange``); an adapter
(``trackers/jira/``) converts at its boundary, and the registry (``trackers/registry.py``) is
the only place that knows which adapters exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from roadmap_sync.core.baseline import FieldChange
from roadmap_sync.core.model import BacklogItem, LabelChange, Scope
from roadmap_sync.runtime.breaker import WriteBreaker

__all__ = [
    "ApplyOutcome",
    "ProgressCallback",
    "Scope",
    "SiteInfo",
    "Tracker",
    "TrackerError",
    "TrackerUnreachableError",
    "VersionInfo",
]

ProgressCallback = Callable[[int], None]


class TrackerError(Exception):
    """A tracker request failed for good (after retries); the message is safe to show."""


class TrackerUnreachableError(TrackerError):
    """The tracker's site cannot be reached at all (refused, unknown host, not a URL...)."""


@dataclass(frozen=True)
class SiteInfo:
    """What the bot learned about the tracker when it connected."""

    tracker: str  # the product, for people: "Jira"
    flavor: str  # the adapter's own variant, e.g. "cloud" or "datacenter"
    base_url: str
    version: str
    # Who the bot is on the tracker (an account id or user name), to tell its own changes
    # from people's in webhooks.
    account: str = ""


@dataclass(frozen=True)
class VersionInfo:
    """A project's version (Jira's name for a release), as ``init --from-jira`` drafts from."""

    name: str
    release_date: dt.date | None
    description: str = ""
    released: bool = False
    archived: bool = False


@dataclass(frozen=True, slots=True)  # one per label change written
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
        """What this outcome actually changed in the tracker."""
        if self.partial is not None:
            return self.partial
        if self.ok:
            return self.change
        return LabelChange(self.change.key, (), (), self.change.before)


class Tracker(Protocol):
    """Everything the engine reads from and writes to a tracker."""

    site: SiteInfo
    # How many changes one audited apply batch holds: large enough for the tracker's own
    # batching (Cloud bulk tasks group a batch's changes by label) to stay efficient.
    apply_batch_size: int

    def fetch_items(
        self, scope: Scope, progress: ProgressCallback | None = None
    ) -> Iterator[BacklogItem]:
        """Every backlog item in the scope, one page at a time; items outside the scope's
        projects never come back, and recent writes are read back as they are now."""
        ...

    def fetch_changed(self, scope: Scope, minutes: int) -> list[BacklogItem]:
        """Items in the scope updated within the last ``minutes`` minutes (tracker's clock)."""
        ...

    def count_items(self, scope: Scope) -> int | None:
        """How many items the scope holds now (None when the tracker cannot tell cheaply)."""
        ...

    def fetch_keys(self, keys: Collection[str], scope: Scope | None = None) -> list[BacklogItem]:
        """The items with these keys (inside the scope, if given), as they are now (never
        from a lagging search index); missing keys are skipped."""
        ...

    def note_recent_writes(self, changes: Sequence[LabelChange], age: float = 0.0) -> None:
        """Changes written ``age`` seconds ago (by an earlier run): the next reads must show
        them even where the tracker's search lags behind writes."""
        ...

    def version_ids(self, project: str) -> dict[str, str]:
        """A project's versions: id -> name (webhooks name versions by id)."""
        ...

    def keys_in_version(self, version_id: str, scope: Scope) -> list[str]:
        """Keys of the scope's items scheduled into a version (by the version's id)."""
        ...

    def query_problems(self, scope: Scope) -> list[str]:
        """What the tracker itself says about the scope's query (empty when it accepts it)."""
        ...

    def fetch_children(self, parents: Sequence[BacklogItem], scope: Scope) -> list[BacklogItem]:
        """The direct children (stories of epics, sub-tasks of stories) inside the scope."""
        ...

    def version_names(self, project: str) -> list[str]:
        """Names of a project's versions (releases, fix versions)."""
        ...

    def versions(self, project: str) -> list[VersionInfo]:
        """A project's versions with their dates and descriptions."""
        ...

    def fetch_epics(self, scope: Scope, types: Sequence[str] = ("Epic",)) -> list[BacklogItem]:
        """The epic-level items of these issue types in the scope (their fix versions included)."""
        ...

    def apply(
        self, changes: Sequence[LabelChange], breaker: WriteBreaker | None = None
    ) -> list[ApplyOutcome]:
        """Add and remove labels; never touch labels outside each change.

        Stop sending once ``breaker`` opens: the rest come back failed, "not sent".
        """
        ...

    def project_exists(self, project: str) -> bool:
        """Whether the account can see the project."""
        ...

    def missing_permissions(self, project: str) -> list[str]:
        """The permissions the bot needs in the project (read, edit) that the account lacks."""
        ...

    def existing_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these item keys exist and are visible."""
        ...

    def changelogs(self, keys: Sequence[str]) -> dict[str, list[FieldChange]]:
        """Scheduling-field changes (fix version, parent) of these items: who and when."""
        ...
