"""What a version event means for a roadmap: items to re-trace, and fix_versions gone stale.

A roadmap names Jira versions by name (``releases[].fix_versions``). When a version is renamed
or deleted, those names stop matching and every item scheduled there turns "unmapped": the
worker warns at once (log ``roadmap_version_missing``, metric, and a full sync soon so the
run's findings carry ``unknown_version`` into the report) instead of waiting for someone to
read the next weekly report.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import structlog

from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.trackers.base import Tracker
from roadmap_sync.worker.webhooks import VersionEvent

__all__ = ["VersionFinding", "VersionOutcome", "VersionWatch"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class VersionFinding:
    """A version a release names that Jira no longer has under that name."""

    release: str
    name: str
    renamed_to: str | None  # the new name, when the version was renamed

    @property
    def message(self) -> str:
        """The warning, worded like ``check``'s."""
        if self.renamed_to:
            return (
                f"release {self.release} names fix version '{self.name}', which was renamed to "
                f"'{self.renamed_to}' in Jira: update releases[].fix_versions"
            )
        return (
            f"release {self.release} names fix version '{self.name}', which no longer exists "
            "in Jira: update releases[].fix_versions"
        )


@dataclass(frozen=True)
class VersionOutcome:
    """What one roadmap should do about version events."""

    retrace: frozenset[str]  # item keys to re-trace now
    full_sync: bool  # items moved where no query can find them (a deleted version)
    findings: tuple[VersionFinding, ...]


class VersionWatch:
    """Remembers each project's versions (id -> name) between events, to recognise renames."""

    def __init__(self) -> None:
        self._known: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()

    def remember(self, project: str, versions: dict[str, str]) -> None:
        """Record a project's versions as last seen."""
        with self._lock:
            self._known[project] = dict(versions)

    def handle(
        self, roadmap: Roadmap, tracker: Tracker, events: list[VersionEvent]
    ) -> VersionOutcome | None:
        """The roadmap's response to version events, or None when none touches its projects."""
        before: dict[str, str] = {}
        now: dict[str, str] = {}
        for project in roadmap.tracker.projects:
            with self._lock:
                before.update(self._known.get(project, {}))
            current = tracker.version_ids(project)
            now.update(current)
            self.remember(project, current)
        ids = {e.version_id for e in events}
        mine = [e for e in events if e.version_id in now or e.version_id in before]
        if not mine:
            return None
        retrace: set[str] = set()
        for event in mine:
            if event.kind != "deleted" and event.version_id in now:
                retrace.update(tracker.keys_in_version(event.version_id, roadmap.tracker.scope))
        names = set(now.values())
        findings = tuple(
            VersionFinding(release.id, name, _renamed(name, before, now, ids))
            for release in roadmap.releases
            for name in release.fix_versions
            if name not in names
        )
        for finding in findings:
            log.warning(
                "roadmap_version_missing",
                roadmap=roadmap.product,
                release=finding.release,
                version=finding.name,
                renamed_to=finding.renamed_to,
                message=finding.message,
            )
        deleted = any(e.kind == "deleted" for e in mine)
        return VersionOutcome(frozenset(retrace), deleted or bool(findings), findings)


def _renamed(name: str, before: dict[str, str], now: dict[str, str], ids: set[str]) -> str | None:
    for version_id, old in before.items():
        if old == name and version_id in ids and now.get(version_id, name) != name:
            return now[version_id]
    return None
