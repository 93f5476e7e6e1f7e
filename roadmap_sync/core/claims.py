"""Which roadmap feature claims a backlog item: claim tables and memoised ancestor walks.

A feature claims a level of an item's ancestry by epic key or by label/component match; the
first claimed level walking up from the item decides its planned release. Every key's result
is memoised, so 100,000 items cost one walk each, however they are ordered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from roadmap_sync.core.model import BacklogItem
from roadmap_sync.core.roadmap import Feature, Release, Roadmap

__all__ = ["Claim", "Claims", "Target", "Tracer", "Trail"]


@dataclass(frozen=True, slots=True, eq=False)  # identity hash: used as a cache key
class Target:
    """A feature that can claim items; `rank` orders releases by date, `slot` features."""

    rank: int
    slot: int
    release: Release
    feature: Feature


@dataclass(frozen=True, slots=True)
class Claim:
    """A feature's claim on one level of an item's ancestry."""

    target: Target
    suffix: str  # ", claimed by feature 'X' of release r1", for reasons
    rivals: tuple[str, ...] = ()  # other releases claiming the same level (ambiguity)


def _make_claim(target: Target, how: str, rivals: tuple[str, ...] = ()) -> Claim:
    suffix = f", {how} feature '{target.feature.name}' of release {target.release.id}"
    return Claim(target, suffix, rivals)


class Claims:
    """Look-up tables from epic keys, labels and components to the features claiming them."""

    def __init__(self, roadmap: Roadmap) -> None:
        self.targets: list[Target] = []
        self.by_epic: dict[str, Claim] = {}
        self.by_label: dict[str, list[Target]] = {}
        self.by_component: dict[str, list[Target]] = {}
        for rank, release in enumerate(roadmap.releases):
            for slot, feature in enumerate(release.features):
                target = Target(rank, slot, release, feature)
                self.targets.append(target)
                for key in feature.epics:
                    self.by_epic[key] = _make_claim(target, "claimed by")
                if feature.match is not None:
                    for label in feature.match.labels:
                        self.by_label.setdefault(label, []).append(target)
                    for component in feature.match.components:
                        self.by_component.setdefault(component, []).append(target)
        self.match_labels = frozenset(self.by_label)
        self.match_components = frozenset(self.by_component)
        # Items repeat a few label/component sets; each set's match is worked out once.
        self.matches: dict[tuple[tuple[str, ...], tuple[str, ...]], Claim | None] = {}

    def at_level(self, key: str, item: BacklogItem | None) -> Claim | None:
        """The claim on this one level: an `epics` claim beats a match; else the earliest match."""
        explicit = self.by_epic.get(key)
        if explicit is not None:
            return explicit
        # An ancestor outside the fetched items has only its key, so nothing to match on.
        if item is None or (
            self.match_labels.isdisjoint(item.labels)
            and self.match_components.isdisjoint(item.components)
        ):
            return None
        shape = (item.labels, item.components)
        if shape not in self.matches:
            self.matches[shape] = self._match(*shape)
        return self.matches[shape]

    def _match(self, labels: tuple[str, ...], components: tuple[str, ...]) -> Claim:
        hits = [
            (target, f"matched by label '{label}' to")
            for label in labels
            for target in self.by_label.get(label, ())
        ] + [
            (target, f"matched by component '{component}' to")
            for component in components
            for target in self.by_component.get(component, ())
        ]
        best, how = min(hits, key=lambda hit: (hit[0].rank, hit[0].slot))
        rivals = {target.rank: target.release.id for target, _how in hits}
        rivals.pop(best.rank)
        return _make_claim(best, how, tuple(rivals[rank] for rank in sorted(rivals)))


def _describe(key: str, item: BacklogItem | None) -> str:
    return f"{item.issue_type.lower()} {key}" if item is not None else key


# (claim, chain text, levels in the chain, description of its top level), memoised per key.
# A plain tuple: one is built per item, and a tuple is the cheapest record to build.
Trail = tuple[Claim | None, str, int, str]

# Real hierarchies have three to five levels; longer chains (bad imports) are shortened in
# reasons, so that chain texts stay small instead of growing with the square of the depth.
_SHOWN_LEVELS = 6


def _extend(own: str, above: Trail | None, claim: Claim | None) -> Trail:
    """The trail of a level whose ancestors' trail is `above` (None at a chain's top)."""
    if above is None:
        return claim, own, 1, own
    depth, top = above[2] + 1, above[3]
    if depth <= _SHOWN_LEVELS:
        return claim, f"{own} -> {above[1]}", depth, top
    return claim, f"{own} -> ({depth - 2} levels) -> {top}", depth, top


class Tracer:
    """Walks ancestries once: each key's claim and chain text are memoised for descendants."""

    def __init__(self, items: Sequence[BacklogItem], claims: Claims) -> None:
        self.index: dict[str, BacklogItem] = {item.key: item for item in items}
        self.claims = claims
        self.memo: dict[str, Trail] = {}
        self.cycles: dict[str, str] = {}  # key -> where its ancestry loops back on itself

    def resolve(self, key: str) -> Trail:
        """The claim `key` falls under (its own level's, or the nearest claimed ancestor's),
        with the chain of levels leading to it.

        The answer for a key never depends on which keys were resolved before it, so that
        re-tracing a few items (incremental sync) gives what tracing all of them gives.
        """
        memo = self.memo
        trail = memo.get(key)
        if trail is not None:
            return trail
        item = self.index.get(key)
        claim = self.claims.at_level(key, item)
        parent = item.parent_key if item is not None else None
        if claim is not None or parent is None:
            trail = memo[key] = _extend(_describe(key, item), None, claim)
            return trail
        above = memo.get(parent)
        if above is not None:  # the common case: the parent was traced before its children
            loop = self.cycles.get(parent)
            if loop is not None:
                self.cycles[key] = loop
            trail = memo[key] = _extend(_describe(key, item), above, above[0])
            return trail
        return self._walk(key)

    def _walk(self, key: str) -> Trail:
        walked: list[tuple[str, BacklogItem | None]] = []
        position: dict[str, int] = {}
        current: str | None = key
        claim: Claim | None = None
        above: Trail | None = None
        loop: str | None = None
        while current is not None:
            above = self.memo.get(current)
            if above is not None:
                claim, loop = above[0], self.cycles.get(current)
                break
            if current in position:  # parent links loop; Jira forbids it, imports do not
                start = position[current]
                self._close_cycle(walked[start:])
                walked = walked[:start]
                above, claim, loop = self.memo[current], None, current
                break
            item = self.index.get(current)
            position[current] = len(walked)
            walked.append((current, item))
            claim = self.claims.at_level(current, item)
            if claim is not None:
                break
            current = item.parent_key if item is not None else None
        for walked_key, walked_item in reversed(walked):
            above = self.memo[walked_key] = _extend(
                _describe(walked_key, walked_item), above, claim
            )
            if loop is not None:
                self.cycles[walked_key] = loop
        return self.memo[key]

    def _close_cycle(self, members: list[tuple[str, BacklogItem | None]]) -> None:
        """Trails of the members of a parent-link loop (none claimed): each goes round once
        from itself, and loops at itself, whichever member a walk happened to enter by."""
        size = len(members)
        for first in range(size):
            trail: Trail | None = None
            for step in reversed(range(size)):
                key, item = members[(first + step) % size]
                trail = _extend(_describe(key, item), trail, None)
            assert trail is not None
            member = members[first][0]
            self.memo[member] = trail
            self.cycles[member] = member
