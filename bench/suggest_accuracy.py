"""How often ``suggest`` puts a hidden item back where it belonged, and what it costs.

On the generated backlog (``roadmap_sync/sandbox/generate.py``) with the example roadmap: take
a random sample of the open, story-level items that a feature claims, hide their claims (cut
the link to their epic and drop the labels and components a feature matches on), classify
again, and see whether the feature that claimed each item is the top suggestion (top-1) or
among the first three (top-3). Also times ``suggest`` against ``classify`` on the same items.

    python -m bench.suggest_accuracy [--issues 2000 10000] [--seeds 1 2 3] [--sample 200]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from dataclasses import dataclass
from pathlib import Path

from roadmap_sync.core.claims import Claims
from roadmap_sync.core.classify import classify
from roadmap_sync.core.model import BacklogItem, Classification
from roadmap_sync.core.roadmap import Roadmap
from roadmap_sync.core.suggest import suggest
from roadmap_sync.engine.roadmap_files import load_roadmap
from roadmap_sync.sandbox.generate import generate_backlog
from roadmap_sync.trackers.jira.convert import item_from_json

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "roadmap.example.yaml"
TODAY = dt.date(2026, 11, 20)  # the generated backlog's "today"


@dataclass(frozen=True)
class Accuracy:
    """Top-1 and top-3 hits over a sample of hidden claims."""

    sample: int
    top1: int
    top3: int
    confident: int  # hidden items whose suggestion was confident
    confident_right: int  # ... and right
    suggest_seconds: float
    classify_seconds: float

    @property
    def top1_rate(self) -> float:
        """Share of hidden items whose top suggestion is their feature."""
        return self.top1 / self.sample if self.sample else 0.0

    @property
    def top3_rate(self) -> float:
        """Share of hidden items whose feature is among the first three suggestions."""
        return self.top3 / self.sample if self.sample else 0.0


def generated_items(issues: int, seed: int) -> list[BacklogItem]:
    """The generated backlog as the core sees it."""
    backlog = generate_backlog(issues, seed)
    return [
        item_from_json(issue, epic_link_field=None, story_points_field="customfield_10016")
        for issue in backlog["issues"]
    ]


def hide_claims(items: list[BacklogItem], hidden: set[str], roadmap: Roadmap) -> list[BacklogItem]:
    """The backlog with the claims on `hidden` items removed (no epic, no matched labels)."""
    claims = Claims(roadmap)
    return [
        item._replace(
            parent_key=None,
            labels=tuple(x for x in item.labels if x not in claims.match_labels),
            components=tuple(c for c in item.components if c not in claims.match_components),
        )
        if item.key in hidden
        else item
        for item in items
    ]


def claimed_sample(
    items: list[BacklogItem], classification: Classification, size: int, seed: int
) -> dict[str, tuple[str, str]]:
    """A random sample of open story-level claimed items: key -> (release, feature)."""
    pool = sorted(
        (t.key, (t.planned_release, t.feature))
        for item, t in zip(items, classification.traces, strict=True)
        if t.feature is not None
        and t.planned_release is not None
        and not t.done
        and item.hierarchy_level == 0
    )
    chosen = random.Random(seed).sample(pool, min(size, len(pool)))
    return {key: (str(release), str(feature)) for key, (release, feature) in chosen}


def measure(issues: int, seed: int, sample: int, roadmap: Roadmap | None = None) -> Accuracy:
    """Hide the claims of `sample` claimed items and count how many suggest puts back."""
    roadmap = roadmap or load_roadmap(EXAMPLE)
    items = generated_items(issues, seed)
    truth = claimed_sample(
        items, classify(items, roadmap, today=TODAY, known_versions=()), sample, seed
    )
    altered = hide_claims(items, set(truth), roadmap)
    started = time.perf_counter()
    classification = classify(altered, roadmap, today=TODAY, known_versions=())
    classified = time.perf_counter()
    found = suggest(altered, classification, roadmap)
    done = time.perf_counter()
    by_key = {s.key: s for s in found.suggestions}
    top1 = top3 = confident = confident_right = 0
    for key, home in truth.items():
        suggestion = by_key.get(key)
        ranked = [(c.release, c.feature) for c in suggestion.candidates] if suggestion else []
        top1 += ranked[:1] == [home]
        top3 += home in ranked[:3]
        if suggestion is not None and suggestion.confident:
            confident += 1
            confident_right += ranked[:1] == [home]
    return Accuracy(
        len(truth), top1, top3, confident, confident_right, done - classified, classified - started
    )


def main() -> None:
    """Print top-1/top-3 accuracy and suggest's cost per backlog size and seed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    roadmap = load_roadmap(EXAMPLE)
    print("issues  seed  sample  top-1   top-3   confident (right)  suggest s  classify s  ratio")
    for issues in args.issues:
        for seed in args.seeds:
            result = measure(issues, seed, args.sample, roadmap)
            print(
                f"{issues:>6}  {seed:>4}  {result.sample:>6}  {result.top1_rate:.3f}   "
                f"{result.top3_rate:.3f}   {result.confident:>9} ({result.confident_right:>5})  "
                f"{result.suggest_seconds:>9.3f}  "
                f"{result.classify_seconds:>10.3f}  "
                f"{result.suggest_seconds / result.classify_seconds:>5.1f}x"
            )


if __name__ == "__main__":
    main()
