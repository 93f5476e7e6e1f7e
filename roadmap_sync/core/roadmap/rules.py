"""Rules that span several releases of one roadmap: unique ids, epics, versions and labels.

Each rule yields ``(loc, message)`` with `loc` relative to the `releases` list in file order,
so the loader can point at the offending line.
"""

from __future__ import annotations

from collections.abc import Iterator

from roadmap_sync.core.roadmap.errors import Loc, format_loc
from roadmap_sync.core.roadmap.parts import Feature, LabelsConfig, Release
from roadmap_sync.core.roadmap.types import MAX_LABEL

__all__ = ["release_problems"]


def _features(releases: tuple[Release, ...]) -> Iterator[tuple[Loc, Release, Feature]]:
    for i, release in enumerate(releases):
        for j, feature in enumerate(release.features):
            yield (i, "features", j), release, feature


def _where(loc: Loc) -> str:
    return "releases" + format_loc(loc)


def _duplicate_ids(releases: tuple[Release, ...]) -> Iterator[tuple[Loc, str]]:
    first: dict[str, int] = {}
    for i, release in enumerate(releases):
        if release.id in first:
            yield (
                (i, "id"),
                f"duplicate release id {release.id!r} (also releases[{first[release.id]}])",
            )
        first.setdefault(release.id, i)


def _duplicate_epics(releases: tuple[Release, ...]) -> Iterator[tuple[Loc, str]]:
    first: dict[str, tuple[Loc, str]] = {}
    for floc, release, feature in _features(releases):
        for k, key in enumerate(feature.epics):
            loc = (*floc, "epics", k)
            if key in first:
                where, owner = first[key]
                yield loc, f"epic {key} is already claimed by {owner} ({_where(where)})"
            else:
                first[key] = (loc, f"feature {feature.name!r} of release {release.id}")


def _duplicate_fix_versions(releases: tuple[Release, ...]) -> Iterator[tuple[Loc, str]]:
    # A version in two releases would schedule its items into both; the roadmap must choose.
    first: dict[str, str] = {}
    for i, release in enumerate(releases):
        for k, version in enumerate(release.fix_versions):
            if version in first:
                yield (
                    (i, "fix_versions", k),
                    f"fixVersion {version!r} already belongs to {first[version]}",
                )
            else:
                first[version] = f"release {release.id}"


def _label_problems(
    releases: tuple[Release, ...], labels: LabelsConfig
) -> Iterator[tuple[Loc, str]]:
    users = {
        labels.orphan: "labels.orphan",
        labels.out_of_scope: "labels.out_of_scope",
        labels.opt_out: "labels.opt_out",
    }
    for i, release in enumerate(releases):
        label = release.label or labels.prefix + release.id
        loc: Loc = (i, "label") if release.label else (i, "id")
        what = f"release label {label!r}" + ("" if release.label else " (prefix + id)")
        if not label.startswith(labels.prefix):
            yield (
                loc,
                f"{what} lacks the prefix {labels.prefix!r}, so the bot could not own it",
            )
        elif len(label) > MAX_LABEL:
            yield loc, f"{what} has {len(label)} characters; Jira allows 255"
        if label in users:
            yield loc, f"{what} is also used by {users[label]}"
        users.setdefault(label, f"release {release.id}")
    for floc, _release, feature in _features(releases):
        for k, label in enumerate(feature.match.labels if feature.match else ()):
            if labels.prefixed(label):
                # The bot writes such labels itself: matching on them would feed its own output
                # back into the next run's claims.
                yield (
                    (*floc, "match", "labels", k),
                    f"match label {label!r} starts with the bot's prefix {labels.prefix!r}; "
                    "the bot writes such labels itself, so it cannot also match on them",
                )


def release_problems(
    releases: tuple[Release, ...], labels: LabelsConfig | None
) -> list[tuple[Loc, str]]:
    """Every cross-release problem, located relative to `releases` in file order."""
    problems = [
        *_duplicate_ids(releases),
        *_duplicate_epics(releases),
        *_duplicate_fix_versions(releases),
    ]
    if labels is not None:  # else `labels` itself is invalid and already reported
        problems.extend(_label_problems(releases, labels))
    return problems
