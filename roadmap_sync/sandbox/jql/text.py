"""Word-based text search for the JQL ``~`` operator, approximating Jira's Lucene analysis.

Text is lower-cased and split into words. English stop words are dropped from queries, and
leave position gaps in phrases, as Jira's analyser does. A query value is a sequence of terms
that must all appear as words (``AND`` is the default, as in Jira). Supported Lucene syntax:
a trailing or inner ``*`` / ``?`` wildcard, ``"quoted phrases"``, ``OR`` between
alternatives, and ``-term`` / ``NOT term`` exclusion. Stemming and fuzzy/proximity search are
not modelled. Parentheses are refused rather than misread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from roadmap_sync.jql.ast import JqlError

_STOP_TEXT = (
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"\w+")
_PIECE = re.compile(r"[\w*?]+")
# A term, or a quoted phrase with an optional +/-/! prefix.
_TOKEN = re.compile(r'([-+!]?)"([^"]*)"|(\S+)')
_WILDCARD_START = ("*", "?")


@lru_cache(maxsize=65536)
def _analyse(text: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """Lower-cased words of ``text`` as a set (term tests) and a sequence (phrase tests).

    Cached because the server re-runs searches over the same, mostly unchanged summaries.
    """
    words = tuple(_WORD.findall(text.lower()))
    return frozenset(words), words


def _phrase(text: str) -> tuple[str | None, ...]:
    """Phrase words with stop words as None: like Lucene's position gaps, a gap matches any
    single word, so "pay with apple" matches "pay for apple" but "pay apple" does not."""
    words = [None if w in STOP_WORDS else w for w in _WORD.findall(text.lower())]
    while words and words[0] is None:
        words.pop(0)
    while words and words[-1] is None:
        words.pop()
    return tuple(words)


@dataclass(frozen=True)
class _Conjunction:
    """Terms that must all match (``required``) and terms that must not (``excluded``)."""

    words: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    phrases: tuple[tuple[str | None, ...], ...]
    excluded: frozenset[str]

    def matches(self, bag: frozenset[str], sequence: tuple[str, ...]) -> bool:
        if not self.words <= bag or not self.excluded.isdisjoint(bag):
            return False
        for pattern in self.patterns:
            if not any(pattern.fullmatch(word) for word in bag):
                return False
        return all(_contains_run(sequence, phrase) for phrase in self.phrases)


def _contains_run(sequence: tuple[str, ...], phrase: tuple[str | None, ...]) -> bool:
    width = len(phrase)
    for start in range(len(sequence) - width + 1):
        if all(w is None or w == sequence[start + n] for n, w in enumerate(phrase)):
            return True
    return False


@dataclass(frozen=True)
class TextQuery:
    """A compiled ``~`` value: it matches when any OR-alternative matches."""

    alternatives: tuple[_Conjunction, ...]

    def matches(self, text: str) -> bool:
        bag, sequence = _analyse(text)
        return any(alt.matches(bag, sequence) for alt in self.alternatives)


class _Builder:
    """Accumulates one OR-alternative while scanning the query value."""

    def __init__(self, value: str, field: str) -> None:
        self.value = value
        self.field = field
        self.words: set[str] = set()
        self.patterns: list[re.Pattern[str]] = []
        self.phrases: list[tuple[str | None, ...]] = []
        self.excluded: set[str] = set()

    def add_phrase(self, phrase: str, negate: bool) -> None:
        words = _phrase(phrase)
        if negate:
            self.excluded.update(w for w in words if w is not None)
        elif len(words) > 1:
            self.phrases.append(words)
        else:
            self.words.update(w for w in words if w is not None)

    def add_term(self, term: str, negate: bool) -> None:
        for piece in _PIECE.findall(term.lower()):
            if piece.startswith(_WILDCARD_START):
                raise JqlError(
                    [
                        f"The text query '{self.value}' for field '{self.field}' is not "
                        "allowed to start with wildcard."
                    ]
                )
            if "*" in piece or "?" in piece:
                body = re.escape(piece).replace(r"\*", r"\w*").replace(r"\?", r"\w")
                self.patterns.append(re.compile(body))
            elif piece not in STOP_WORDS:
                (self.excluded if negate else self.words).add(piece)

    def positive(self) -> bool:
        """Whether anything is required; Lucene matches nothing for an all-negative query."""
        return bool(self.words or self.patterns or self.phrases)

    def build(self) -> _Conjunction:
        return _Conjunction(
            frozenset(self.words),
            tuple(self.patterns),
            tuple(self.phrases),
            frozenset(self.excluded),
        )


def compile_text_query(value: str, field: str) -> TextQuery:
    """Compile a ``~`` value; raises :class:`JqlError` with Jira's wording when unusable."""
    if not value.strip():
        raise JqlError([f"The field '{field}' does not support searching for an empty string."])
    if "(" in value or ")" in value:
        raise JqlError(
            [
                f"The text query '{value}' for field '{field}' is not valid; probably your "
                "text query syntax is incorrect."
            ]
        )
    alternatives: list[_Conjunction] = []
    current = _Builder(value, field)
    negate_next = False
    for sign, phrase, term in _TOKEN.findall(value):
        if term in ("OR", "||"):
            if current.positive():
                alternatives.append(current.build())
            current, negate_next = _Builder(value, field), False
            continue
        if term in ("AND", "&&", "+"):
            continue
        if term in ("NOT", "!"):
            negate_next = True
            continue
        negate = negate_next or sign in ("-", "!") or term.startswith(("-", "!"))
        negate_next = False
        if term:
            current.add_term(term.lstrip("+-!"), negate)
        else:
            current.add_phrase(phrase, negate)
    if current.positive():
        alternatives.append(current.build())
    # No alternative left (only stop words or exclusions): like Lucene, nothing matches.
    return TextQuery(tuple(alternatives))
