"""The GO roadmap: its model, validation with located errors, and the rules across releases.

Modules, lowest first: ``types`` (field types and ``KeySyntax``), ``errors`` (located
problems), ``parts`` (releases, features, labels...), ``rules`` (checks spanning releases),
``model`` (the whole ``Roadmap``), ``parse`` (YAML bytes to roadmaps). Import from here.
"""

from roadmap_sync.core.roadmap.errors import ConfigProblem, RoadmapError
from roadmap_sync.core.roadmap.model import Roadmap
from roadmap_sync.core.roadmap.parse import RoadmapSource, parse_roadmap, parse_roadmaps
from roadmap_sync.core.roadmap.parts import (
    PREFIX_SEPARATORS,
    Feature,
    FeatureMatch,
    ForecastSettings,
    GuardSettings,
    HttpSource,
    LabelsConfig,
    ManualSource,
    Metric,
    MetricTarget,
    PrometheusSource,
    Release,
    TrackerConfig,
)
from roadmap_sync.core.roadmap.types import KeySyntax, timeframe_end

__all__ = [
    "PREFIX_SEPARATORS",
    "ConfigProblem",
    "Feature",
    "FeatureMatch",
    "ForecastSettings",
    "GuardSettings",
    "HttpSource",
    "KeySyntax",
    "LabelsConfig",
    "ManualSource",
    "Metric",
    "MetricTarget",
    "PrometheusSource",
    "Release",
    "Roadmap",
    "RoadmapError",
    "RoadmapSource",
    "TrackerConfig",
    "parse_roadmap",
    "parse_roadmaps",
    "timeframe_end",
]
