"""Bottom-up suggestions: where the backlog's orphans probably belong, and what they might be.

Roman Pichler's roadmap can also be corrected from the bottom up: work that no release goal
claims is either misfiled (it belongs to a feature already on the roadmap) or a sign of a
feature the roadmap lacks. For every unclaimed open item (orphans, and items scheduled into a
release that no feature of it claims) this ranks the roadmap's features by TF-IDF cosine
similarity between the item's words and each feature's profile: its name and description,
the summaries of the items it already claims, and their components and labels. Each candidate
comes with a score and the evidence behind it. Items that no feature would take are grouped
into clusters: candidate new features.

Pure: items, traces and a roadmap in, values out. A small TF-IDF in plain Python is enough
here: a roadmap has tens of features, and scikit-learn would add a heavy dependency for the
same cosine (the measured accuracy is in tests/test_suggest.py and bench/suggest_accuracy.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from roadmap_sync.core.model import BacklogItem, Classification, ItemTrace, Verdict
from roadmap_sync.core.roadmap import Roadmap

__all__ = [
    "Candidate",
    "Cluster",
    "Suggestion",
    "Suggestions",
    "suggest",
    "suggestions_document",
]

Vector = dict[str, float]

# Calibrated on the generated backlog (bench/suggest_accuracy.py): above both, the best
# candidate was right in nearly every held-out case.
CONFIDENT_SCORE = 0.3
CONFIDENT_MARGIN = 0.1
# Below this best score no feature "would take" the item: it goes to the clusters.
NO_HOME_SCORE = 0.15
CLUSTER_SIMILARITY = 0.3
MIN_SCORE = 0.01  # below this a candidate shares nothing worth showing
MIN_CLUSTER_ITEMS = 3
TELLING_TERMS = 3
# The feature's own words (name, description) against what its claimed items say.
OWN_WORDS_WEIGHT = 0.35
COMPONENT = "component:"
LABEL = "label:"
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "this",
        "to",
        "we",
        "when",
        "with",
        "without",
        "not",
        "no",
        "new",
        "up",
        "out",
        "via",
        "per",
        "all",
        "any",
    ]
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A feature an item probably belongs to, how likely (cosine, 0..1), and why."""

    release: str
    feature: str
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """Where one unclaimed item (with its unclaimed descendants) probably belongs."""

    key: str
    summary: str
    issue_type: str
    verdict: Verdict
    scheduled_release: str | None
    items: int  # the item and the flagged items beneath it that would follow it
    candidates: tuple[Candidate, ...]  # best first

    @property
    def best(self) -> Candidate | None:
        """The most likely feature, if any scored above zero."""
        return self.candidates[0] if self.candidates else None

    @property
    def confident(self) -> bool:
        """Whether the best candidate is clear enough to adopt without a second look."""
        if not self.candidates or self.candidates[0].score < CONFIDENT_SCORE:
            return False
        runner_up = self.candidates[1].score if len(self.candidates) > 1 else 0.0
        return self.candidates[0].score - runner_up >= CONFIDENT_MARGIN


@dataclass(frozen=True, slots=True)
class Cluster:
    """Unclaimed items that no feature would take but that belong together: a candidate
    feature, named after its epic when it has one, else after its most telling words."""

    name: str
    keys: tuple[str, ...]
    items: int
    terms: tuple[str, ...]
    epics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Suggestions:
    """Every suggestion (most items first) and the candidate new features."""

    suggestions: tuple[Suggestion, ...]
    clusters: tuple[Cluster, ...]

    def confident(self) -> tuple[Suggestion, ...]:
        """The suggestions clear enough to adopt."""
        return tuple(s for s in self.suggestions if s.confident)


# -- text ---------------------------------------------------------------------------------------
def _stem(word: str) -> str:
    """A very light stemmer: enough for "carts" to meet "cart" and "payments" "payment"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_MEMO_TEXTS = 8192


class _Tokens:
    """Each summary's words, the same word one string object.

    Sub-task and template summaries repeat, so a recent text is tokenised once; but most
    summaries are unique, and a memo of every one would hold a tuple per item of a
    200,000-issue backlog (tens of MB), so it is cleared once it holds ``_MEMO_TEXTS`` texts.
    """

    def __init__(self) -> None:
        self._memo: dict[str, tuple[str, ...]] = {}
        self._vocabulary: dict[str, str] = {}

    def words(self, text: str) -> tuple[str, ...]:
        found = self._memo.get(text)
        if found is None:
            one = self._vocabulary.setdefault
            stems = [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
            found = tuple([one(w, w) for w in stems if len(w) > 1 and not w.isdigit()])
            if len(self._memo) >= _MEMO_TEXTS:
                self._memo.clear()
            self._memo[text] = found
        return found

    def of_item(self, item: BacklogItem, bot_prefix: str) -> list[str]:
        """An item's words plus its components and its people's labels (never the bot's own,
        which say where the bot put it, not what it is)."""
        return [
            *self.words(item.summary),
            *(COMPONENT + c for c in item.components),
            *(LABEL + label for label in item.labels if not label.startswith(bot_prefix)),
        ]


def _normalised(vector: Mapping[str, float]) -> Vector:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {t: v / norm for t, v in vector.items()} if norm else {}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


# -- feature profiles -------------------------------------------------------------------------
@dataclass
class _Profile:
    release: str
    feature: str
    own: Counter[str]  # name and description
    claimed: Counter[str]  # how many claimed items carry each term
    members: int = 0
    vector: Vector | None = None


def _profiles(
    items: Sequence[BacklogItem],
    traces: Sequence[ItemTrace],
    roadmap: Roadmap,
    tokens: _Tokens,
) -> list[_Profile]:
    profiles: dict[tuple[str, str], _Profile] = {}
    for release in roadmap.releases:
        for feature in release.features:
            own = Counter(tokens.words(f"{feature.name} {feature.name} {feature.description}"))
            if feature.match is not None:
                own.update(COMPONENT + c for c in feature.match.components)
                own.update(LABEL + label for label in feature.match.labels)
            profiles[(release.id, feature.name)] = _Profile(
                release.id, feature.name, own, Counter()
            )
    for item, trace in zip(items, traces, strict=True):
        if trace.feature is None or trace.planned_release is None:
            continue
        profile = profiles.get((trace.planned_release, trace.feature))
        if profile is not None:
            profile.members += 1
            profile.claimed.update(set(tokens.of_item(item, roadmap.labels.prefix)))
    return list(profiles.values())


def _idf(documents: Iterable[Iterable[str]], *, smooth: bool = False) -> dict[str, float]:
    """log(N / df): a term every feature has tells features apart no more than none does.

    `smooth` (1 + log((1 + N) / (1 + df))) keeps common terms for clustering, where what a
    few items all share is exactly what makes them a group.
    """
    df: Counter[str] = Counter()
    n = 0
    for terms in documents:
        df.update(set(terms))
        n += 1
    if smooth:
        return {term: 1 + math.log((1 + n) / (1 + count)) for term, count in df.items()}
    return {term: math.log(n / count) for term, count in df.items() if count < n}


def _weigh(counts: Mapping[str, float], idf: Mapping[str, float]) -> Vector:
    return _normalised({t: c * idf[t] for t, c in counts.items() if t in idf})


def _finish(profiles: list[_Profile], idf: Mapping[str, float]) -> None:
    for profile in profiles:
        own = _weigh(profile.own, idf)
        members = _weigh(profile.claimed, idf) if profile.members else {}
        if not members:
            profile.vector = own
            continue
        blend: defaultdict[str, float] = defaultdict(float)
        for term, weight in own.items():
            blend[term] += OWN_WORDS_WEIGHT * weight
        for term, weight in members.items():
            blend[term] += (1 - OWN_WORDS_WEIGHT) * weight
        profile.vector = _normalised(blend)


# -- evidence ---------------------------------------------------------------------------------
def _evidence(
    item_vector: Mapping[str, float], profile: _Profile, scheduled: str | None
) -> tuple[str, ...]:
    assert profile.vector is not None
    contributions = sorted(
        ((w * profile.vector.get(t, 0.0), t) for t, w in item_vector.items()),
        reverse=True,
    )
    where = f"feature '{profile.feature}'"
    found: list[str] = []
    words: list[str] = []
    for weight, term in contributions[:4]:
        if weight <= 0:
            break
        shared = profile.claimed.get(term, 0)
        items = f"{shared} item{'' if shared == 1 else 's'}"
        if term.startswith((COMPONENT, LABEL)):
            kind, _, name = term.partition(":")
            if found:
                continue  # one component or label is evidence enough
            if shared:
                found.append(f"shares {kind} {name} with {items} of {where}")
            else:
                found.append(f"{kind} {name} is what {where} matches on")
        elif shared:
            words.append(f"'{term}' ({items})")
        else:
            words.append(f"'{term}' (its name or description)")
    if words:
        found.insert(0, f"shares the words {', '.join(words[:3])} with {where}")
    if scheduled == profile.release:
        found.append(f"already scheduled into {profile.release} by its fixVersion")
    return tuple(found)


# -- subjects ---------------------------------------------------------------------------------
def _unclaimed(trace: ItemTrace) -> bool:
    return trace.flagged and trace.planned_release is None


def _subjects(
    unclaimed: Mapping[str, tuple[BacklogItem, ItemTrace]],
) -> dict[str, list[BacklogItem]]:
    """Each unclaimed open item at the top of its chain, with the unclaimed items beneath it.

    A story under an orphan epic moves with its epic, so the epic is what to place.
    """
    groups: dict[str, list[BacklogItem]] = defaultdict(list)
    for key, (item, _trace) in unclaimed.items():
        top, seen = key, {key}
        parent = item.parent_key
        while parent is not None and parent in unclaimed and parent not in seen:
            top = parent
            seen.add(parent)
            parent = unclaimed[parent][0].parent_key
        groups[top].append(item)
    return groups


# -- clusters ---------------------------------------------------------------------------------
def _clusters(
    homeless: Sequence[tuple[Suggestion, Counter[str], bool]],
) -> tuple[Cluster, ...]:
    """Leader clustering of the items no feature would take, on their own words: each joins
    the most similar group sharing a term with it, or starts one."""
    idf = _idf((counts.keys() for _s, counts, _epic in homeless), smooth=True)
    centres: list[Counter[str]] = []
    vectors: list[Vector] = []
    members: list[list[tuple[Suggestion, bool]]] = []
    by_term: dict[str, set[int]] = defaultdict(set)
    for suggestion, counts, is_epic in sorted(homeless, key=lambda h: (-h[0].items, h[0].key)):
        vector = _weigh(counts, idf)
        if not vector:
            continue
        # Groups that share one of its most telling terms: similar items share those.
        telling = sorted(vector, key=lambda t: -vector[t])[:TELLING_TERMS]
        nearby = set().union(*(by_term.get(term, ()) for term in telling))
        best, best_score = None, CLUSTER_SIMILARITY
        for n in sorted(nearby):
            score = _cosine(vector, vectors[n])
            if score >= best_score:
                best, best_score = n, score
        if best is None:
            best = len(centres)
            centres.append(Counter())
            vectors.append({})
            members.append([])
        centres[best].update(counts)
        vectors[best] = _weigh(centres[best], idf)
        members[best].append((suggestion, is_epic))
        for term in telling:
            by_term[term].add(best)
    clusters = []
    for vector, group in zip(vectors, members, strict=True):
        size = sum(s.items for s, _e in group)
        if size < MIN_CLUSTER_ITEMS:
            continue
        ranked = sorted(vector.items(), key=lambda tw: (-tw[1], tw[0]))
        terms = tuple(t for t, _w in ranked if ":" not in t)[:3]
        epics = tuple(s.key for s, is_epic in group if is_epic)
        name = next((s.summary for s, is_epic in group if is_epic), " ".join(terms))
        clusters.append(Cluster(name, tuple(s.key for s, _e in group), size, terms, epics))
    return tuple(sorted(clusters, key=lambda c: (-c.items, c.name)))


# -- the whole thing --------------------------------------------------------------------------
def suggest(
    items: Sequence[BacklogItem],
    classification: Classification,
    roadmap: Roadmap,
    *,
    top: int = 3,
) -> Suggestions:
    """Rank the roadmap's features for every unclaimed open item, and cluster the rest."""
    traces = classification.traces
    # Only unclaimed items are placed or walked through: a map of them alone, not of every
    # item, keeps a 200,000-issue backlog's suggestions a fraction of the sync's memory.
    unclaimed = {
        item.key: (item, trace)
        for item, trace in zip(items, traces, strict=True)
        if _unclaimed(trace)
    }
    tokens = _Tokens()
    profiles = _profiles(items, traces, roadmap, tokens)
    idf = _idf(list(p.own) + list(p.claimed) for p in profiles)
    _finish(profiles, idf)
    suggestions: list[Suggestion] = []
    homeless: list[tuple[Suggestion, Counter[str], bool]] = []
    for key, group in _subjects(unclaimed).items():
        subject = next((i for i in group if i.key == key), group[0])
        counts: defaultdict[str, float] = defaultdict(float)
        for member in group:
            weight = 1.0 if member.key == key else 0.5
            for term in tokens.of_item(member, roadmap.labels.prefix):
                counts[term] += weight
        vector = _weigh(counts, idf)
        trace = unclaimed[key][1]
        scored = sorted(
            ((_cosine(vector, p.vector or {}), p) for p in profiles),
            key=lambda sp: (-sp[0], sp[1].release, sp[1].feature),
        )
        candidates = tuple(
            Candidate(
                p.release,
                p.feature,
                round(score, 3),
                _evidence(vector, p, trace.scheduled_release),
            )
            for score, p in scored[:top]
            if score >= MIN_SCORE
        )
        suggestion = Suggestion(
            key,
            subject.summary,
            subject.issue_type,
            trace.verdict,
            trace.scheduled_release,
            len(group),
            candidates,
        )
        suggestions.append(suggestion)
        if not candidates or candidates[0].score < NO_HOME_SCORE:
            # Clusters form on words: components and labels span too many unrelated items.
            own_words = Counter(
                {t: math.ceil(c) for t, c in counts.items() if not t.startswith((COMPONENT, LABEL))}
            )
            homeless.append((suggestion, own_words, subject.hierarchy_level >= 1))
    suggestions.sort(key=lambda s: (-s.items, -(s.best.score if s.best else 0.0), s.key))
    return Suggestions(tuple(suggestions), _clusters(homeless))


SUGGEST_SCHEMA = "roadmap-sync/suggest@1"


def suggestions_document(found: Suggestions, product: str, generated_at: str) -> dict[str, Any]:
    """``suggest --format json`` (schema ``roadmap-sync/suggest@1``); also what runs store."""
    return {
        "schema": SUGGEST_SCHEMA,
        "product": product,
        "generated_at": generated_at,
        "suggestions": [
            {
                "key": s.key,
                "summary": s.summary,
                "type": s.issue_type,
                "verdict": s.verdict.value,
                "scheduled_release": s.scheduled_release,
                "items": s.items,
                "confident": s.confident,
                "candidates": [
                    {
                        "release": c.release,
                        "feature": c.feature,
                        "score": c.score,
                        "evidence": list(c.evidence),
                    }
                    for c in s.candidates
                ],
            }
            for s in found.suggestions
        ],
        "clusters": [
            {
                "name": c.name,
                "keys": list(c.keys),
                "items": c.items,
                "terms": list(c.terms),
                "epics": list(c.epics),
            }
            for c in found.clusters
        ],
    }
