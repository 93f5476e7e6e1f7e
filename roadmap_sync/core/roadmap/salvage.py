"""Problems that pydantic never reaches once a release is invalid, found in the same pass.

A model's "after" checks and the rules across releases run only on fully valid values, so one
broken value (``epics: OPS-1``) would hide a release's date/timeframe problem, a duplicate id
or a doubly claimed epic until the next attempt. Here every release is validated on its own,
its broken parts set aside, and the checks run over what is left; the locations point back
at the file as written.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from roadmap_sync.core.roadmap.errors import Loc
from roadmap_sync.core.roadmap.parts import Feature, LabelsConfig, Release, when_problem
from roadmap_sync.core.roadmap.rules import release_problems

__all__ = ["hidden_problems"]

# Stand-ins for parts a release needs in order to validate, where the file's own are broken
# (already reported); none of them takes part in the rules checked here.
_STAND_IN_DATE = "2000-01-01"
_STAND_IN_TEXT = "?"
_STAND_IN_FEATURE = {"name": "?", "match": {"labels": ["?"]}}
_REQUIRED_TEXT = ("name", "goal")


def _valid_features(raw: Any, context: dict[str, Any]) -> tuple[list[Any], list[int]]:
    """The features that validate on their own, and their indices in the file."""
    kept: list[Any] = []
    indices: list[int] = []
    for j, feature in enumerate(raw if isinstance(raw, list) else []):
        try:
            Feature.model_validate(feature, context=context)
        except ValidationError:
            continue
        kept.append(feature)
        indices.append(j)
    return kept, indices


def _salvage(raw: dict[str, Any], context: dict[str, Any]) -> tuple[Release, list[int]] | None:
    """A release built from the valid parts of `raw` (features mapped to their file indices)."""
    candidate = dict(raw)
    if "date" in candidate and "timeframe" in candidate:
        candidate.pop("timeframe")
    if "date" not in candidate and "timeframe" not in candidate:
        candidate["date"] = _STAND_IN_DATE
    features, indices = _valid_features(raw.get("features"), context)
    candidate["features"] = features or [_STAND_IN_FEATURE]
    for _attempt in range(2):
        try:
            return Release.model_validate(candidate, context=context), indices
        except ValidationError as error:
            broken = {str(e["loc"][0]) for e in error.errors() if e["loc"]} - {"id", "features"}
            if not broken:
                return None
            for key in broken:
                candidate.pop(key, None)
                if key in _REQUIRED_TEXT:
                    candidate[key] = _STAND_IN_TEXT
                elif key in ("date", "timeframe"):
                    candidate["date"] = _STAND_IN_DATE
    return None


def _labels(data: dict[str, Any]) -> LabelsConfig | None:
    try:
        return LabelsConfig.model_validate(data.get("labels") or {})
    except ValidationError:
        return None


def hidden_problems(data: Any, context: dict[str, Any]) -> list[tuple[Loc, str]]:
    """Release problems that the failed validation of `data` (a whole roadmap) did not reach."""
    raw_releases = data.get("releases") if isinstance(data, dict) else None
    if not isinstance(raw_releases, list):
        return []
    problems: list[tuple[Loc, str]] = []
    salvaged: list[Release] = []
    file_index: list[int] = []
    feature_index: list[list[int]] = []
    for i, raw in enumerate(raw_releases):
        if not isinstance(raw, dict):
            continue
        when = when_problem("date" in raw, "timeframe" in raw, raw.get("id"))
        if when is not None:
            problems.append((("releases", i, *when[0]), when[1]))
        found = _salvage(raw, context)
        if found is not None:
            salvaged.append(found[0])
            file_index.append(i)
            feature_index.append(found[1])
    for loc, message in release_problems(tuple(salvaged), _labels(data)):
        n, rest = int(loc[0]), loc[1:]
        if rest[:1] == ("features",):
            if int(rest[1]) >= len(feature_index[n]):
                continue  # a stand-in feature: nothing of the file's
            rest = ("features", feature_index[n][int(rest[1])], *rest[2:])
        problems.append((("releases", file_index[n], *rest), message))
    return problems
