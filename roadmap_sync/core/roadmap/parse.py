"""Build roadmaps from YAML text, reporting every problem at its file, line and column.

Pure: the caller reads the files (``engine.roadmap_files``) and passes their bytes, the
tracker's ``KeySyntax`` that checks the keys a roadmap names, and its ``QuerySyntax`` that
checks ``tracker.jql``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from roadmap_sync.core.roadmap.errors import (
    ConfigProblem,
    RoadmapError,
    YamlDocument,
    parse_yaml,
    problem_at,
    problems_from_validation,
)
from roadmap_sync.core.roadmap.model import Roadmap
from roadmap_sync.core.roadmap.salvage import hidden_problems
from roadmap_sync.core.roadmap.types import KeySyntax, QuerySyntax

__all__ = ["RoadmapSource", "parse_roadmap", "parse_roadmaps"]


@dataclass(frozen=True, slots=True)
class RoadmapSource:
    """The bytes of one roadmap file and the path they were read from."""

    path: Path
    raw: bytes


def _parse_one(
    source: RoadmapSource, key_syntax: KeySyntax | None, query_syntax: QuerySyntax | None = None
) -> tuple[Roadmap, YamlDocument]:
    shown = str(source.path)
    try:
        text = source.raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem = ConfigProblem(shown, None, None, "", f"not UTF-8 text ({exc.reason})")
        raise RoadmapError([problem]) from exc
    document = parse_yaml(text, shown)
    if not isinstance(document.data, dict):
        found = "an empty file" if document.data is None else type(document.data).__name__
        message = f"expected a mapping with product, tracker and releases, got {found}"
        raise RoadmapError([ConfigProblem(shown, 1, 1, "", message)])
    context = {"key_syntax": key_syntax, "query_syntax": query_syntax}
    try:
        roadmap = Roadmap.model_validate(document.data, context=context)
    except ValidationError as exc:
        problems = problems_from_validation(exc, document, Roadmap)
        hidden = [
            problem_at(document, loc, msg) for loc, msg in hidden_problems(document.data, context)
        ]
        # Every problem once, in file order: the hidden ones may repeat what pydantic saw.
        unique = list(dict.fromkeys([*problems, *hidden]))
        raise RoadmapError(sorted(unique, key=lambda p: (p.line or 0, p.column or 0))) from exc
    roadmap._source_path = source.path
    roadmap._config_hash = hashlib.sha256(source.raw).hexdigest()
    return roadmap, document


def _prefixes_overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _cross_file_problems(loaded: list[tuple[Roadmap, YamlDocument]]) -> Iterator[ConfigProblem]:
    """Two roadmaps on one project whose prefixes overlap would remove each other's labels;
    two with one product name would share their run history, reports and worker jobs."""
    for n, (roadmap, document) in enumerate(loaded):
        for earlier, earlier_doc in loaded[:n]:
            if roadmap.product == earlier.product:
                other = problem_at(earlier_doc, ("product",), "")
                yield problem_at(
                    document,
                    ("product",),
                    f"product {roadmap.product!r} is also the product of {other.path}: each "
                    "roadmap needs its own product name (it keys the run history and reports)",
                )
            if not _prefixes_overlap(roadmap.labels.prefix, earlier.labels.prefix):
                continue
            for k, project in enumerate(roadmap.tracker.projects):
                if project not in earlier.tracker.projects:
                    continue
                first = earlier.tracker.projects.index(project)
                other = problem_at(earlier_doc, ("tracker", "projects", first), "")
                where = f"{other.path}:{other.line}" if other.line else other.path
                yield problem_at(
                    document,
                    ("tracker", "projects", k),
                    f"project {project} is also scoped by {where} with label "
                    f"prefix {earlier.labels.prefix!r} (here {roadmap.labels.prefix!r}); the two "
                    "roadmaps would remove each other's labels: give each a distinct "
                    "labels.prefix",
                )


def parse_roadmaps(
    sources: Iterable[RoadmapSource],
    key_syntax: KeySyntax | None = None,
    *,
    unreadable: Sequence[ConfigProblem] = (),
    query_syntax: QuerySyntax | None = None,
) -> list[Roadmap]:
    """Validate roadmap files; raise RoadmapError listing every problem in all of them.

    ``unreadable`` carries the problems of files the caller could not read, so that they are
    reported together with everything else.
    """
    problems: list[ConfigProblem] = list(unreadable)
    loaded: list[tuple[Roadmap, YamlDocument]] = []
    for source in sources:
        try:
            loaded.append(_parse_one(source, key_syntax, query_syntax))
        except RoadmapError as exc:
            problems.extend(exc.problems)
    problems.extend(_cross_file_problems(loaded))
    if problems:
        raise RoadmapError(problems)
    return [roadmap for roadmap, _document in loaded]


def parse_roadmap(source: RoadmapSource, key_syntax: KeySyntax | None = None) -> Roadmap:
    """Validate one roadmap file."""
    return parse_roadmaps([source], key_syntax)[0]
