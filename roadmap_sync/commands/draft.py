"""A GO roadmap drafted from a tracker's versions and epics, as commented YAML.

Unreleased versions with a release date become releases in date order (name, date, fix
version, the version's description as a goal draft); the epics scheduled into a version become
its features. A person still has to write goals and metrics: those lines carry ``TODO``. The
text is built by hand rather than dumped, so that every key can carry its comment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from roadmap_sync.core.model import BacklogItem
from roadmap_sync.core.records import key_order
from roadmap_sync.trackers.base import VersionInfo

TODO_METRIC = "TODO: a measurable sign that the goal was met"
TODO_GOAL = "TODO: the benefit this release delivers"


@dataclass
class DraftRelease:
    """One release to draft: a version name (in one or more projects) and its epics."""

    version: str
    date: dt.date
    description: str
    projects: list[str]
    epics: list[BacklogItem] = field(default_factory=list)


@dataclass(frozen=True)
class Draft:
    """The drafted file and what it holds."""

    text: str
    releases: int
    features: int
    todos: int
    left_out: tuple[str, ...]


def _q(text: str) -> str:
    """A YAML scalar that reads back as exactly `text` (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "release"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _releases(
    versions: Mapping[str, Sequence[VersionInfo]], epics: Sequence[BacklogItem]
) -> tuple[list[DraftRelease], list[str]]:
    """Releases in date order with their epics, and what was left out and why."""
    by_name: dict[str, DraftRelease] = {}
    left_out: list[str] = []
    for project, found in versions.items():
        for version in found:
            if version.released or version.archived:
                continue
            if version.release_date is None:
                left_out.append(f"{version.name} ({project}): no release date in Jira")
                continue
            known = by_name.get(version.name)
            if known is None:
                by_name[version.name] = DraftRelease(
                    version.name, version.release_date, version.description.strip(), [project]
                )
            else:  # the same version name in several projects: one release
                known.projects.append(project)
                known.date = min(known.date, version.release_date)
                known.description = known.description or version.description.strip()
    releases = sorted(by_name.values(), key=lambda r: (r.date, r.version))
    rank = {release.version: n for n, release in enumerate(releases)}
    for epic in sorted(epics, key=lambda e: (e.project, key_order(e.key))):
        scheduled = [v for v in epic.fix_versions if v in rank]
        if scheduled:  # an epic can serve one feature only: its earliest release takes it
            releases[min(rank[v] for v in scheduled)].epics.append(epic)
    kept = []
    for release in releases:
        if release.epics:
            kept.append(release)
        else:
            where = ", ".join(release.projects)
            left_out.append(f"{release.version} ({where}): no epic has this fix version")
    return kept, left_out


HEADER = """\
# A goal-oriented (GO) product roadmap for roadmap-sync, drafted on {today} from
#   {site}
# by: roadmap-sync init --from-jira --projects {projects}
# Each release has a date, a name, a goal (the benefit it delivers), the metrics that tell
# whether the goal was met, and the key features that reach it; the Jira backlog holds the
# detail. Lines marked TODO need a person: write each goal as an outcome for users or the
# business, and a metric you can measure.
#
# Next: roadmap-sync check --config {output}    (the file is valid as drafted)
#       roadmap-sync plan --config {output}     (what the bot would label)
# Every key is described in the example roadmap: roadmap-sync init --example
# Editor completion: roadmap-sync schema --output roadmap.schema.json, then add the line
#   # yaml-language-server: $schema=roadmap.schema.json

# The product this roadmap is for; shown in reports (drafted from the project keys).
product: {product}

# Which Jira issues the roadmap covers.
tracker:
  # The projects whose issues are read and labelled.
  projects: [{project_list}]
  # Optional: extra JQL ANDed with the projects, e.g. "component != Legacy".
  # jql: ""

# The labels the bot writes: it owns every label starting with the prefix, except opt_out,
# and never touches any other label. These are the defaults.
labels:
  prefix: roadmap-
  orphan: roadmap-orphan
  out_of_scope: roadmap-out-of-scope
  opt_out: roadmap-ignore

# How many upcoming releases may hold story-level detail (later ones get a warning).
horizon: 1

# The blast-radius guard: a sync that would change the labels of more issues than this is
# refused unless run with --force. The first sync may add labels anywhere (first_sync: allow).
guard:
  max_issues: 500
  max_share: 0.25
  first_sync: allow

# The releases, in date order: Jira's unreleased versions that have a release date and epics.
releases:
"""

RELEASE = """\
  # Jira version {version} ({projects}), due {date}.
  - id: {id}
    # The release's headline: Jira's version name until you write a better one.
    name: {name}
    date: {date}
    # {goal_todo}
    goal: {goal}
    # TODO: how you will know the goal was met (one or more).
    metrics: [{metric}]
    # Items with one of these fixVersions are scheduled into this release.
    fix_versions: [{fix_version}]
    # The key features that reach the goal: each claims its epics and everything beneath them.
    features:
"""

FEATURE = """\
      - name: {name}
        epics: [{key}]
"""


def draft_roadmap(
    projects: Sequence[str],
    versions: Mapping[str, Sequence[VersionInfo]],
    epics: Sequence[BacklogItem],
    *,
    site: str,
    today: dt.date,
    output: str,
) -> Draft | None:
    """The drafted roadmap, or None when no version has both a release date and epics."""
    releases, left_out = _releases(versions, epics)
    if not releases:
        return None
    text = HEADER.format(
        projects=",".join(projects),
        site=site,
        today=today.isoformat(),
        output=output,
        product=_q(", ".join(projects)),
        project_list=", ".join(projects),
    )
    taken: set[str] = set()
    features = 0
    for release in releases:
        goal_todo = (
            "TODO: rewrite as the benefit this release delivers (drafted from the version's "
            "description)"
            if release.description
            else "TODO: the benefit this release delivers"
        )
        text += RELEASE.format(
            version=release.version,
            projects=", ".join(release.projects),
            date=release.date.isoformat(),
            id=_q(_slug(release.version, taken)),
            name=_q(release.version),
            goal_todo=goal_todo,
            goal=_q(release.description or TODO_GOAL),
            metric=_q(TODO_METRIC),
            fix_version=_q(release.version),
        )
        for epic in release.epics:
            text += FEATURE.format(name=_q(epic.summary or epic.key), key=epic.key)
            features += 1
    if left_out:
        text += "\n# Left out (add a release by hand once it has a date and epics):\n"
        text += "".join(f"# - {reason}\n" for reason in left_out)
    return Draft(text, len(releases), features, 2 * len(releases), tuple(left_out))
