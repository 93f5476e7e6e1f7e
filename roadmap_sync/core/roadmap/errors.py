"""Roadmap file errors that name the file, line and column of each problem.

PyYAML's node API keeps the source mark of every key and value, so a pydantic error `loc`
such as ``('releases', 1, 'features', 0, 'epics', 0)`` can be pointed at the exact scalar the
user wrote. This module parses YAML into nodes plus data, and turns YAML syntax errors,
duplicate keys and pydantic validation errors into `ConfigProblem`s.
"""

from __future__ import annotations

import difflib
import inspect
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

__all__ = [
    "ConfigProblem",
    "Loc",
    "LocatedError",
    "RoadmapError",
    "YamlDocument",
    "format_loc",
    "locate",
    "parse_yaml",
    "problem_at",
    "problems_from_validation",
]

Loc = tuple[str | int, ...]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One problem in a roadmap file; line and column are 1-based, None when unknown."""

    path: str
    line: int | None
    column: int | None
    location: str
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return (
            f"{where}: {self.location}: {self.message}"
            if self.location
            else f"{where}: {self.message}"
        )


class RoadmapError(Exception):
    """One or more roadmap files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class LocatedError(ValueError):
    """Raised by model validators to report several problems, each at a location relative to
    the model being validated; the loader maps them to lines, `str()` reads well without it."""

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "; ".join(f"{format_loc(loc)}: {msg}" if loc else msg for loc, msg in self.problems)
        )


def format_loc(loc: Loc) -> str:
    """Render ``('releases', 1, 'id')`` as ``releases[1].id``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings.

    PyYAML turns ``2026-02-30`` into a bare ValueError with no mark; as a string, pydantic
    rejects it with a location like any other bad value.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed YAML file: the node tree (for locations) and the plain data."""

    path: str
    root: yaml.Node | None
    data: Any


def _problem_at(path: str, mark: yaml.Mark | None, location: str, message: str) -> ConfigProblem:
    if mark is None:
        return ConfigProblem(path, None, None, location, message)
    return ConfigProblem(path, mark.line + 1, mark.column + 1, location, message)


def problem_at(document: YamlDocument, loc: Loc, message: str) -> ConfigProblem:
    """A problem located at the node `loc` names in `document` (the file itself if none)."""
    node = locate(document.root, loc)
    return _problem_at(document.path, node.start_mark if node else None, format_loc(loc), message)


MAX_ROADMAP_CHARS = 1_000_000  # a roadmap is a page or two of YAML; megabytes are a mistake
MAX_DEPTH = 32  # the deepest a roadmap goes is about 8 levels


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _input_problem(text: str, path: str) -> ConfigProblem | None:
    """Size and characters PyYAML must never see (it raises outside any mark, or recurses)."""
    if len(text) > MAX_ROADMAP_CHARS:
        message = (
            f"the file has {len(text):,} characters; a roadmap may have at most "
            f"{MAX_ROADMAP_CHARS:,} (is this the right file?)"
        )
        return ConfigProblem(path, None, None, "", message)
    # PyYAML's own definition of what YAML may contain; it raises without a location.
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found is not None:
        code = ord(found.group())
        line, column = _position(text, found.start())
        hint = " (a NUL byte: is this a binary or UTF-16 file?)" if code == 0 else ""
        message = f"control character U+{code:04X} is not allowed in a roadmap{hint}"
        return ConfigProblem(path, line, column, "", message)
    return None


def _depth_problem(text: str, path: str) -> ConfigProblem | None:
    """Nesting deeper than MAX_DEPTH, found from the parser's events before anything recurses."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep; a roadmap needs far fewer"
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
                return ConfigProblem(path, line, column, "", message)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def parse_yaml(text: str, path: str) -> YamlDocument:
    """Parse one YAML document; raise RoadmapError on syntax errors and duplicate keys."""
    unusable = _input_problem(text, path)
    if unusable is not None:
        raise RoadmapError([unusable])
    try:
        too_deep = _depth_problem(text, path)
    except yaml.MarkedYAMLError:
        too_deep = None  # a syntax error: the full parse below reports it with its location
    if too_deep is not None:
        raise RoadmapError([too_deep])
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        duplicates = list(_duplicate_keys(root, path))
        if duplicates:
            raise RoadmapError(duplicates)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"YAML syntax: {exc.problem or exc.context}"
        if exc.problem and exc.context:
            where = f" at line {exc.context_mark.line + 1}" if exc.context_mark else ""
            message += f" ({exc.context}{where})"
        raise RoadmapError([_problem_at(path, mark, "", message)]) from exc
    except yaml.YAMLError as exc:
        raise RoadmapError([ConfigProblem(path, None, None, "", f"YAML: {exc}")]) from exc
    except RecursionError:  # the depth check above should make this unreachable
        message = "nested too deeply to read"
        raise RoadmapError([ConfigProblem(path, None, None, "", message)]) from None
    finally:
        loader.dispose()
    return YamlDocument(path, root, data)


def _duplicate_keys(root: yaml.Node | None, path: str) -> Iterator[ConfigProblem]:
    """PyYAML silently keeps the last of two equal keys; a roadmap must not lose the first."""
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())] if root is not None else []
    seen_nodes: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if id(node) in seen_nodes:  # aliases share nodes
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first_line: dict[str, int] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == _MERGE_TAG:
                    continue
                if key.value in first_line:
                    message = f"duplicate key '{key.value}' (first at line {first_line[key.value]})"
                    yield _problem_at(path, key.start_mark, format_loc((*loc, key.value)), message)
                else:
                    first_line[key.value] = key.start_mark.line + 1
                stack.append((value, (*loc, key.value)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))


def _mapping_pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """Key/value pairs of a mapping, explicit keys first, then those merged in with ``<<``."""
    merged: list[yaml.Node] = []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.tag == _MERGE_TAG:
            merged.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
        else:
            yield key, value
    for source in merged:
        if isinstance(source, yaml.MappingNode):
            yield from _mapping_pairs(source)


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) for a mapping key, (item, item) for a sequence index."""
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in _mapping_pairs(node):
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def locate(root: yaml.Node | None, loc: Loc, *, at_key: bool = False) -> yaml.Node | None:
    """The deepest node on `loc`; the key node of the last step when `at_key` is set."""
    node = root
    if node is None:
        return None
    for depth, part in enumerate(loc, start=1):
        found = _child(node, part)
        if found is None:
            break  # e.g. a missing key: report at the enclosing mapping
        key, node = found
        if at_key and depth == len(loc):
            return key
    return node


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The pydantic model whose fields are the keys at `loc` (sequence indices are skipped)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        info = current.model_fields.get(part)
        current = _inner_model(info.annotation) if info is not None else None
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, tuple, list) or get_args(annotation):
        for arg in get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _unknown_key_message(error: ErrorDetails, model: type[BaseModel]) -> str:
    key = str(error["loc"][-1])
    owner = _model_at(model, error["loc"][:-1])
    if owner is None:
        return f"unknown key '{key}'"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
    return f"unknown key '{key}' ({hint})"


def _text_expected_message(error: ErrorDetails, node: yaml.Node | None) -> str:
    if error["input"] is None:
        return "expected text, but the value is empty"
    if isinstance(node, yaml.ScalarNode) and node.tag != _STR_TAG and not node.style:
        # `fix_versions: [2026.10]` is the float 2026.1 to YAML; only quotes keep the text.
        kind = node.tag.rpartition(":")[2]  # float, int, bool, null
        return f"expected text, but YAML reads {node.value} as {kind}; quote it: '{node.value}'"
    return f"expected text, got {type(error['input']).__name__}"


_BOUNDS = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}


def _message(error: ErrorDetails, node: yaml.Node | None, model: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return f"missing required key '{error['loc'][-1]}'"
    if kind == "extra_forbidden":
        return _unknown_key_message(error, model)
    if kind == "string_type":
        return _text_expected_message(error, node)
    if kind in ("list_type", "tuple_type"):
        return "expected a list, e.g. [A, B]"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a mapping of keys to values"
    if kind in ("too_short", "string_too_short") and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        length = len(error["input"]) if isinstance(error["input"], str) else "too many"
        return f"is {length:,} characters long; at most {ctx.get('max_length'):,} are allowed"
    if kind in _BOUNDS:
        operator, bound = _BOUNDS[kind]
        limit = ctx[bound]
        shown = f"{limit:g}" if isinstance(limit, float) else str(limit)
        return f"must be {operator} {shown} (got {_shown(error['input'])})"
    return f"{error['msg']} (got {_shown(error['input'])})"


def _shown(value: object, limit: int = 60) -> str:
    """A value for a message, cut short: a 50 MB string must not be repeated back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _has_item_errors(loc: Loc, errors: list[ErrorDetails]) -> bool:
    depth = len(loc)
    return any(len(e["loc"]) > depth and tuple(e["loc"][:depth]) == tuple(loc) for e in errors)


def problems_from_validation(
    exc: ValidationError, document: YamlDocument, model: type[BaseModel]
) -> list[ConfigProblem]:
    """Turn a pydantic ValidationError into located problems, in file order."""
    problems: list[ConfigProblem] = []
    errors = exc.errors()
    for error in errors:
        loc: Loc = tuple(error["loc"])
        if error["type"] == "too_short" and _has_item_errors(loc, errors):
            continue  # pydantic counts only the valid items; the invalid ones say more
        located = (error.get("ctx") or {}).get("error")
        if isinstance(located, LocatedError):
            problems.extend(
                problem_at(document, (*loc, *sub), msg) for sub, msg in located.problems
            )
            continue
        node = locate(document.root, loc, at_key=error["type"] == "extra_forbidden")
        mark = node.start_mark if node is not None else None
        message = _message(error, node, model)
        problems.append(_problem_at(document.path, mark, format_loc(loc), message))
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
