"""Deterministic, realistic Jira backlog for the sandbox.

``generate_backlog(n, seed)`` returns ``{"projects": [...], "issues": [...]}`` where every
issue has the shape ``GET /rest/api/2/issue/{key}`` returns (minus ``self`` links and fields
nobody reads). The same ``(n, seed)`` always yields the same JSON: the only randomness is one
``random.Random(seed)`` and every date derives from fixed constants, never from the wall clock.
"Today" for this backlog is 2026-11-20, the last day an issue can be created or updated.

Sharing (read this before mutating anything)
--------------------------------------------
To build 100,000 issues in about a second and keep memory low, immutable-by-convention
sub-objects are SHARED between issues: one dict instance per status, status category,
issue type, priority, resolution, project reference, component and version; one list instance
per ``components`` combination and per ``fixVersions`` value (including the empty list); and one
``parent`` stub per parent issue. Only each issue's top-level dict, its ``fields`` dict and its
``labels`` list are its own. The sandbox server therefore copies on write: when it edits an issue
it replaces the field value (a new list / dict) instead of mutating the shared one in place.
Each call builds fresh shared objects, so two generated backlogs never alias each other.

Fixed skeleton (identical for every n >= 60 and every seed)
-----------------------------------------------------------
Projects ``ACME`` "Acme Web Shop" (the product, ~80% of issues) and ``OPS`` "Platform Ops"
(another team, ~20%, no roadmap covers it).

ACME versions: 2026.10 (released 2026-10-15), 2026.11 (2026-11-15, NOT released: overdue),
2026.12 (2026-12-15), 2027.02 (2027-02-15), 2027.04 (2027-04-15), Someday (no date).
OPS versions: ops-q4 (2026-12-31), ops-q1 (2027-03-31).
ACME components: Web, Mobile, API, Payments. OPS components: Kubernetes, CI/CD, Observability.
Human labels: frontend, backend, tech-debt, customer-request, security, ux, a11y, and the
look-alike ``roadmap`` (no dash, so it is NOT a bot label).

The first 12 ACME issues are the epics in ``SKELETON_EPICS`` (ids 10000..10011, every field
fixed). The example roadmap is expected to claim them like this (``PLANNED_EPIC_VERSIONS``):

    release  version   epics claimed
    -------  -------   ------------------------------------------------------
    r1       2026.11   ACME-1 Guest checkout, ACME-2 One-click payments
    r2       2026.12   ACME-3 Order tracking page, ACME-4 Saved carts, ACME-5 Social sign-in
    r3       2027.02   ACME-6 Two-factor authentication, ACME-7 Product recommendations,
                       ACME-8 Wishlist sharing
    r4       2027.04   ACME-9 Loyalty points, ACME-10 Gift cards
    (none)   -         ACME-11 Legacy admin cleanup, ACME-12 Dark mode  (nobody planned them)

Every skeleton epic has at least two children, whatever n is.

The mess (approximate shares; "at least one" of each even at n=60)
------------------------------------------------------------------
- Epics beyond ACME-12: about 1 per 40 issues from n ~ 650 on; nobody planned them. Each new
  story is four times as likely to land in a skeleton epic as in a given generated epic, and the
  skeleton exists from day one, so at n=100k each skeleton epic has a few hundred children
  while a generated epic has about twenty; epics of nearer releases draw more (the far
  roadmap stays coarse), per ``_SKELETON_WEIGHTS``.
- Children of a claimed epic (ACME-1..10): ~80% carry that epic's release version (aligned),
  ~10% another release's version (out of scope), ~10% no fixVersion.
- Stories/tasks/bugs without any epic: ~10% of ACME issues; ~40% of those carry a release
  version (out of scope), the rest none (orphans).
- Children of unplanned epics (ACME-11, ACME-12, generated ones): ~40% no fixVersion, ~13%
  "Someday", ~14% the released 2026.10 (done work), ~33% a roadmap release's version.
- Sub-tasks: ~20% of issues (less at the smallest n), parent is a Story, ~85% no fixVersion.
- Stale bot labels ``roadmap-r0`` / ``roadmap-orphan``: ~1% of ACME stories/tasks/bugs (>= 2).
- Opt-out label ``roadmap-ignore``: ~0.5% (>= 1); look-alike ``roadmap``: ~0.5% (>= 1).
- ``a11y`` bugs: ~15% of ACME bugs (>= 1) are accessibility defects (summary worded so, High
  priority); human labelling adds ``a11y`` to a few more issues of any type.
- Statuses: every one of To Do / In Progress / In Review / Done / Won't Do occurs among ACME
  stories/tasks/bugs; ~45% of all issues are in the done category (work filed in the last
  weeks is rarely closed yet). Work for the overdue release 2026.11 is mostly done, work for
  2027.04 mostly not started; with the example roadmap the team's throughput finishes r3 and
  r4 in time but not r2 (the demo's ``date_at_risk``).
- Issue types among ACME stories/tasks/bugs: ~60% Story, ~25% Bug, ~15% Task.

Ids, keys, time
---------------
Issue ids are numeric strings from 10000 in creation order across both projects; keys are
numbered per project from 1 in creation order, so a parent is always created before its
children. ``created`` falls on working days 08:00-18:00 of the 26 weeks from 2026-05-25 to
2026-11-20, more often early in the week; resolved issues were closed (``resolutiondate``, which
is also their ``updated``) a few weeks after creation, more often on Thursdays and Fridays, so
weekly throughput has a rhythm a forecast can sample; other issues were last ``updated``
between ``created`` and 2026-11-20. ``GENERATED_NOW`` is the Monday after: the moment the
backlog is "taken", where the demo starts the site's clock.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

Json = dict[str, Any]

MIN_ISSUES: Final = 60
"""Below this the skeleton (12 epics, 2 children each) plus one of each kind of mess won't fit."""

SKELETON_EPICS: Final[tuple[tuple[str, str], ...]] = (
    ("ACME-1", "Guest checkout"),
    ("ACME-2", "One-click payments"),
    ("ACME-3", "Order tracking page"),
    ("ACME-4", "Saved carts"),
    ("ACME-5", "Social sign-in"),
    ("ACME-6", "Two-factor authentication"),
    ("ACME-7", "Product recommendations"),
    ("ACME-8", "Wishlist sharing"),
    ("ACME-9", "Loyalty points"),
    ("ACME-10", "Gift cards"),
    ("ACME-11", "Legacy admin cleanup"),
    ("ACME-12", "Dark mode"),
)

PLANNED_EPIC_VERSIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "ACME-1": "2026.11",
        "ACME-2": "2026.11",
        "ACME-3": "2026.12",
        "ACME-4": "2026.12",
        "ACME-5": "2026.12",
        "ACME-6": "2027.02",
        "ACME-7": "2027.02",
        "ACME-8": "2027.02",
        "ACME-9": "2027.04",
        "ACME-10": "2027.04",
    }
)
"""Skeleton epic key -> the version of the example-roadmap release expected to claim it."""

RELEASE_VERSIONS: Final = ("2026.11", "2026.12", "2027.02", "2027.04")
"""ACME versions that back a release of the example roadmap (r1..r4)."""

GENERATED_NOW: Final = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
"""The generated backlog's "now": the Monday morning after its last working day."""

STATUS_NAMES: Final = ("To Do", "In Progress", "In Review", "Done", "Won't Do")

_FIRST_ISSUE_ID: Final = 10000
_OPS_SHARE: Final = 0.2
_SKELETON_SIZE: Final = len(SKELETON_EPICS)
_MIN_CHILDREN: Final = 2
# Skeleton epics draw new work this many times as often as a generated epic: they are the
# product's current focus, and it keeps the example roadmap meaningful at large n.
_SKELETON_WEIGHT: Final = 4
# ... and the nearer a skeleton epic's release, the more detail it has (a GO roadmap keeps far
# releases coarse): weights per skeleton epic ACME-1..ACME-12 (r1, r2 | r3 | r4 | unplanned).
_SKELETON_WEIGHTS: Final = (3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1)
_SKELETON_DRAWS: Final = tuple(
    index for index, weight in enumerate(_SKELETON_WEIGHTS) for _ in range(weight - 1)
)

EPIC, STORY, TASK, BUG, SUBTASK = "Epic", "Story", "Task", "Bug", "Sub-task"
_STANDARD = frozenset({STORY, TASK, BUG})
TODO, IN_PROGRESS, IN_REVIEW, DONE, WONT_DO = STATUS_NAMES
_DONE_CATEGORY = frozenset({DONE, WONT_DO})

# --- time -----------------------------------------------------------------------------------
# A "moment" is workday_index * 86400 + second_of_day. Working only with workdays keeps every
# timestamp on a weekday, and the encoding is monotonic, so sorting moments sorts time.
_DAY: Final = 86_400
_OPEN: Final = 8 * 3600
_CLOSE: Final = 18 * 3600
# The past six months (26 weeks, Monday to Friday) before the backlog's "today".
_FIRST_DAY: Final = date(2026, 5, 25)
_LAST_DAY: Final = date(2026, 11, 20)
_WORKDAYS: Final = tuple(
    day.isoformat()
    for day in (_FIRST_DAY + timedelta(days=i) for i in range((_LAST_DAY - _FIRST_DAY).days + 1))
    if day.weekday() < 5
)


def _stamp(moment: int) -> str:
    day, sec = divmod(moment, _DAY)
    return f"{_WORKDAYS[day]}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}.000+0000"


def _later(rng: random.Random, moment: int) -> int:
    """A moment at or after ``moment`` and no later than the last workday."""
    day, sec = divmod(moment, _DAY)
    # Squaring skews towards "soon after": most issues are touched shortly after creation.
    later_day = day + int((len(_WORKDAYS) - 1 - day) * rng.random() ** 2)
    later_sec = rng.randrange(_OPEN, _CLOSE)
    if later_day == day:
        later_sec = max(sec, later_sec)
    return later_day * _DAY + later_sec


# A weekly rhythm: work is filed mostly early in the week (planning, triage) and closed mostly
# late in it (sprint reviews on Thursday and Friday), which shows in weekly throughput.
_CREATE_WEEKDAY: Final = (5, 4, 3, 2, 2)
_RESOLVE_WEEKDAY: Final = (1, 1, 2, 3, 4)
_LEAD_WORKDAYS: Final = 12.0  # mean workdays from filing to closing


def _weekday_bag(weights: Sequence[int]) -> tuple[int, ...]:
    """Workday indices, each repeated by its weekday's weight (Monday first)."""
    return tuple(
        index
        for index, day in enumerate(_WORKDAYS)
        for _ in range(weights[date.fromisoformat(day).weekday()])
    )


_CREATE_DAYS: Final = _weekday_bag(_CREATE_WEEKDAY)


def _resolved(rng: random.Random, moment: int) -> int:
    """When work filed at ``moment`` was closed: a few weeks later, late in that week."""
    day, sec = divmod(moment, _DAY)
    last = len(_WORKDAYS) - 1
    target = day + int(rng.expovariate(1 / _LEAD_WORKDAYS))
    if target > last:  # closed already, so sooner than usual: anywhere in the time left
        target = day + int(rng.random() * (last - day + 1))
    monday = target - date.fromisoformat(_WORKDAYS[target]).weekday()
    week = [d for d in range(monday, monday + 5) if day <= d <= last]
    weights = [_RESOLVE_WEEKDAY[date.fromisoformat(_WORKDAYS[d]).weekday()] for d in week]
    closed = rng.choices(week, weights)[0]
    closed_sec = rng.randrange(_OPEN, _CLOSE)
    if closed == day:
        closed_sec = max(sec, closed_sec)
    return closed * _DAY + closed_sec


def _bag(weights: Mapping[Any, int]) -> tuple[Any, ...]:
    """Expand small integer weights into a tuple; ``rng.choice`` on it is a cheap weighted draw."""
    return tuple(value for value, weight in weights.items() for _ in range(weight))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- vocabulary (plain strings are immutable, so module-level sharing is safe) --------------
_STORY_VERBS: Final = ("Implement", "Design", "Add", "Polish", "Spike:", "Instrument", "Localise")
_TASK_VERBS: Final = ("Write runbook for", "Add monitoring for", "Clean up flags in", "Load-test")
_BUG_SYMPTOMS: Final = (
    "fails on Safari",
    "shows the wrong total",
    "times out under load",
    "breaks on small screens",
    "loses state after refresh",
    "returns 500 on empty input",
)
_A11Y_SYMPTOMS: Final = (
    "is not announced by screen readers",
    "has insufficient colour contrast",
    "is unreachable by keyboard",
    "has no visible focus indicator",
)
_SUBTASK_SUMMARIES: Final = (
    "Write unit tests",
    "Update API docs",
    "QA on staging",
    "Address review comments",
    "Add analytics events",
    "Design review",
    "Copy review",
    "Roll out behind feature flag",
)
_DESCRIPTIONS: Final = _bag(
    {
        None: 8,
        "As a shopper I want this so that buying is quicker.\n\nAcceptance criteria:\n"
        "- works on web and mobile\n- tracked in analytics": 2,
        "Follow-up from the last planning session; see the linked design.": 1,
        "Steps to reproduce:\n1. Open the page\n2. Follow the flow\n\n"
        "Expected: it works.\nActual: it does not.": 1,
        "Reported by customer support (3 tickets this week).": 1,
    }
)


class _Pool:
    """Precomputed summaries about one topic area, so issues share the strings."""

    __slots__ = ("a11y_bugs", "by_kind")

    def __init__(self, topics: Sequence[str]) -> None:
        self.by_kind: dict[str, tuple[str, ...]] = {
            STORY: tuple(f"{verb} {topic}" for topic in topics for verb in _STORY_VERBS),
            TASK: tuple(f"{verb} {topic}" for topic in topics for verb in _TASK_VERBS),
            BUG: tuple(f"{_cap(topic)} {sym}" for topic in topics for sym in _BUG_SYMPTOMS),
        }
        self.a11y_bugs = tuple(f"{_cap(topic)} {sym}" for topic in topics for sym in _A11Y_SYMPTOMS)


@dataclass(frozen=True)
class _SkeletonEpic:
    key: str
    summary: str
    status: str
    priority: str
    components: tuple[str, ...]
    labels: tuple[str, ...]
    pool: _Pool


def _skeleton(
    index: int, status: str, priority: str, components: tuple[str, ...], *topics: str
) -> _SkeletonEpic:
    key, summary = SKELETON_EPICS[index]
    labels = {"ACME-6": ("security",), "ACME-11": ("tech-debt",), "ACME-12": ("ux",)}
    return _SkeletonEpic(
        key, summary, status, priority, components, labels.get(key, ()), _Pool(topics)
    )


_SKELETON: Final = (
    _skeleton(0, IN_PROGRESS, "High", ("Web", "Payments"), "guest email capture",
              "guest address form", "guest order confirmation", "guest-to-account conversion"),
    _skeleton(1, IN_PROGRESS, "High", ("Payments",), "stored card vault", "one-click buy button",
              "payment token refresh", "3-D Secure fallback"),
    _skeleton(2, IN_PROGRESS, "Medium", ("Web",), "order status timeline",
              "carrier tracking widget", "delivery ETA banner", "tracking page SEO"),
    _skeleton(3, TODO, "Medium", ("Web", "API"), "cart persistence API", "saved cart list",
              "cart expiry job", "cart merge on login"),
    _skeleton(4, IN_PROGRESS, "Medium", ("Web", "Mobile"), "Google sign-in", "Apple sign-in",
              "account linking flow", "OAuth callback handler"),
    _skeleton(5, TODO, "High", ("API",), "TOTP enrolment", "SMS fallback codes",
              "recovery codes page", "2FA enforcement for admins"),
    _skeleton(6, TODO, "Medium", ("API",), "recommendation carousel", "similar items API",
              "recommendation click tracking", "cold-start fallback list"),
    _skeleton(7, TODO, "Low", ("Mobile",), "wishlist share link", "public wishlist page",
              "wishlist privacy toggle", "share to messenger"),
    _skeleton(8, TODO, "Medium", ("Payments", "API"), "points ledger", "points balance widget",
              "earn rules engine", "points expiry notice"),
    _skeleton(9, TODO, "Medium", ("Payments",), "gift card redemption", "gift card balance check",
              "gift card purchase flow", "gift card fraud checks"),
    _skeleton(10, TODO, "Low", ("Web",), "legacy admin reports", "old CMS endpoints",
              "admin jQuery plugins", "unused admin roles"),
    _skeleton(11, TODO, "Low", ("Web", "Mobile"), "dark colour tokens", "theme toggle",
              "dark mode images", "system theme detection"),
)  # fmt: skip

_SKELETON_DESCRIPTION: Final = "Roadmap candidate. Owner: product team Acme."


@dataclass(frozen=True)
class _Vocab:
    """Everything project-specific about how generated issues read."""

    epic_areas: tuple[tuple[str, _Pool], ...]
    epic_themes: tuple[str, ...]
    loose: _Pool  # work filed without an epic
    components: tuple[tuple[str, ...], ...]  # bag of component-name combinations
    labels: tuple[tuple[str, ...], ...]  # bag of human label combinations


def _areas(areas: Mapping[str, tuple[str, ...]]) -> tuple[tuple[str, _Pool], ...]:
    return tuple((area, _Pool(topics)) for area, topics in areas.items())


_ACME_AREAS: Final = {
    "Search": ("search autocomplete", "search filters", "zero-results page"),
    "Product page": ("product image zoom", "size guide", "stock badge"),
    "Checkout": ("address autocomplete", "delivery slot picker", "promo code field"),
    "Account": ("account settings page", "password reset email", "order history list"),
    "Catalogue": ("category navigation", "product import job", "price sync"),
    "Newsletter": ("newsletter signup", "email preference centre"),
    "Mobile app": ("push notifications", "app onboarding", "deep links"),
    "Performance": ("image CDN", "homepage bundle size", "API response caching"),
    "Reviews": ("review submission form", "review moderation queue"),
    "Store locator": ("store locator map", "opening hours widget"),
}
_ACME_SINGLE_LABELS: Final = _bag(
    {"frontend": 4, "backend": 4, "tech-debt": 3, "customer-request": 3, "security": 1, "ux": 2}
    | {"a11y": 1}
)
_ACME_VOCAB: Final = _Vocab(
    epic_areas=_areas(_ACME_AREAS),
    epic_themes=("revamp", "performance pass", "A/B tests", "v2", "cleanup", "analytics"),
    loose=_Pool([topic for topics in _ACME_AREAS.values() for topic in topics]),
    components=_bag(
        {(): 3, ("Web",): 4, ("Mobile",): 2, ("API",): 3, ("Payments",): 1}
        | {("Web", "API"): 1, ("Mobile", "API"): 1, ("Payments", "API"): 1}
    ),
    labels=((),) * 50
    + tuple((label,) for label in _ACME_SINGLE_LABELS) * 2
    + (
        ("frontend", "ux"),
        ("backend", "tech-debt"),
        ("frontend", "customer-request"),
        ("backend", "security"),
        ("frontend", "a11y"),
        ("ux", "customer-request"),
        ("backend", "customer-request"),
        ("frontend", "tech-debt"),
    ),
)

_OPS_AREAS: Final = {
    "Kubernetes": ("node pool autoscaling", "cluster upgrade to 1.31", "ingress controller"),
    "CI": ("CI runner fleet", "build cache", "flaky test quarantine"),
    "Observability": ("log retention", "alert routing", "SLO dashboards"),
    "Databases": ("Postgres 16 upgrade", "backup restore drill", "read replicas"),
    "Security": ("secrets rotation", "TLS certificate renewal", "dependency scanning"),
    "Cost": ("idle instance cleanup", "storage lifecycle rules"),
}
_OPS_VOCAB: Final = _Vocab(
    epic_areas=_areas(_OPS_AREAS),
    epic_themes=("hardening", "migration", "automation", "Q4 initiative"),
    loose=_Pool([topic for topics in _OPS_AREAS.values() for topic in topics]),
    components=_bag(
        {(): 2, ("Kubernetes",): 3, ("CI/CD",): 2, ("Observability",): 2}
        | {("Kubernetes", "Observability"): 1}
    ),
    labels=_bag({(): 6, ("backend",): 2, ("tech-debt",): 1, ("security",): 1}),
)

# --- weighted draws -------------------------------------------------------------------------
_PRIORITY_BAG: Final = _bag({"Highest": 1, "High": 4, "Medium": 10, "Low": 4, "Lowest": 1})
_POINTS_BAG: Final = _bag({1.0: 2, 2.0: 3, 3.0: 4, 5.0: 4, 8.0: 2, 13.0: 1, None: 3})
_SUBTASKS_PER_STORY: Final = _bag({1: 3, 2: 4, 3: 3, 4: 1, 5: 1})


def _status_bag(todo: int, progress: int, review: int, done: int, wont: int) -> tuple[str, ...]:
    return _bag({TODO: todo, IN_PROGRESS: progress, IN_REVIEW: review, DONE: done, WONT_DO: wont})


_STATUS_DEFAULT: Final = _status_bag(30, 15, 7, 42, 6)
# Work scheduled for a release progresses with its date: 2026.11 is overdue and mostly done.
_STATUS_BY_RELEASE: Final = {
    "2026.11": _status_bag(3, 6, 4, 80, 7),
    "2026.12": _status_bag(25, 20, 8, 44, 3),
    "2027.02": _status_bag(60, 14, 4, 19, 3),
    "2027.04": _status_bag(80, 8, 2, 7, 3),
}
_STATUS_EPIC: Final = _status_bag(45, 30, 0, 20, 5)
_STATUS_SUBTASK_OPEN_PARENT: Final = _status_bag(55, 25, 10, 10, 0)

# Done work tends to sit in the released or the overdue version; open work mostly has none.
_ACME_VERSION_DONE: Final = _bag({"2026.10": 5, "2026.11": 2, "2026.12": 1, None: 3})
_ACME_VERSION_OPEN: Final = _bag(
    {None: 5, "Someday": 2, "2026.11": 1, "2026.12": 1, "2027.02": 1, "2027.04": 1}
)
_ACME_RELEASE_DONE: Final = ("2026.10", "2026.10", "2026.11", "2026.12")
_OPS_VERSION_BAG: Final = _bag({None: 4, "ops-q4": 4, "ops-q1": 2})


# --- shared objects -------------------------------------------------------------------------
class _Catalog:
    """The shared status / type / priority / resolution dicts of one generated backlog."""

    def __init__(self) -> None:
        new = {"id": 2, "key": "new", "name": "To Do", "colorName": "blue-gray"}
        doing = {"id": 4, "key": "indeterminate", "name": "In Progress", "colorName": "yellow"}
        done = {"id": 3, "key": "done", "name": "Done", "colorName": "green"}
        statuses = (
            ("1", TODO, new),
            ("3", IN_PROGRESS, doing),
            ("10000", IN_REVIEW, doing),
            ("10001", DONE, done),
            ("10002", WONT_DO, done),
        )
        self.status: dict[str, Json] = {
            name: {"id": sid, "name": name, "statusCategory": category}
            for sid, name, category in statuses
        }
        fixed = {"id": "10000", "name": "Done"}
        wont = {"id": "10001", "name": "Won't Do"}
        self.resolution: dict[str, Json | None] = {name: None for name in STATUS_NAMES}
        self.resolution |= {DONE: fixed, WONT_DO: wont}
        types = (
            (EPIC, "10000", 1),
            (STORY, "10001", 0),
            (TASK, "10002", 0),
            (SUBTASK, "10003", -1),
            (BUG, "10004", 0),
        )
        self.itype: dict[str, Json] = {
            name: {"id": tid, "name": name, "subtask": level < 0, "hierarchyLevel": level}
            for name, tid, level in types
        }
        priorities = ("Highest", "High", "Medium", "Low", "Lowest")
        self.priority: dict[str, Json] = {
            name: {"id": str(i), "name": name} for i, name in enumerate(priorities, start=1)
        }


class _Project:
    """One project's shared dicts, plus caches that hand out shared lists of them."""

    def __init__(
        self,
        pid: int,
        key: str,
        name: str,
        versions: Sequence[tuple[int, str, str, str | None, bool]],
        components: Sequence[tuple[int, str]],
    ) -> None:
        self.key = key
        self.ref: Json = {"id": str(pid), "key": key, "name": name, "projectTypeKey": "software"}
        self.versions: dict[str, Json] = {}
        for vid, vname, description, release_date, released in versions:
            version: Json = {"id": str(vid), "name": vname, "description": description}
            version |= {"archived": False, "released": released}
            if release_date is not None:
                version["releaseDate"] = release_date
            version["projectId"] = pid
            self.versions[vname] = version
        self.components = {cname: {"id": str(cid), "name": cname} for cid, cname in components}
        self.full: Json = self.ref | {
            "simplified": False,
            "versions": list(self.versions.values()),
            "components": list(self.components.values()),
        }
        self._fix_lists: dict[str | None, list[Json]] = {None: []}
        self._fix_lists |= {vname: [version] for vname, version in self.versions.items()}
        self._component_lists: dict[tuple[str, ...], list[Json]] = {}

    def fix_versions(self, name: str | None) -> list[Json]:
        return self._fix_lists[name]

    def component_list(self, names: tuple[str, ...]) -> list[Json]:
        shared = self._component_lists.get(names)
        if shared is None:
            shared = self._component_lists[names] = [self.components[n] for n in names]
        return shared


def _acme_project() -> _Project:
    versions = (
        (10200, "2026.10", "October release", "2026-10-15", True),
        (10201, "2026.11", "November release (slipping)", "2026-11-15", False),
        (10202, "2026.12", "December release", "2026-12-15", False),
        (10203, "2027.02", "February release", "2027-02-15", False),
        (10204, "2027.04", "April release", "2027-04-15", False),
        (10205, "Someday", "Parking lot for work nobody has scheduled", None, False),
    )
    components = ((10100, "Web"), (10101, "Mobile"), (10102, "API"), (10103, "Payments"))
    return _Project(10000, "ACME", "Acme Web Shop", versions, components)


def _ops_project() -> _Project:
    versions = (
        (10206, "ops-q4", "Platform work for Q4 2026", "2026-12-31", False),
        (10207, "ops-q1", "Platform work for Q1 2027", "2027-03-31", False),
    )
    components = ((10104, "Kubernetes"), (10105, "CI/CD"), (10106, "Observability"))
    return _Project(10001, "OPS", "Platform Ops", versions, components)


# --- planning -------------------------------------------------------------------------------
class _Item:
    """One planned issue of a project; ``index`` in the plan is its key number minus one."""

    __slots__ = (
        "components",
        "issue",
        "kind",
        "labels",
        "parent",
        "pool",
        "status",
        "stub",
        "version",
    )

    def __init__(self, kind: str, parent: int) -> None:
        self.kind = kind
        self.parent = parent  # plan index of the epic (or the story, for a sub-task); -1: none
        self.status = TODO
        self.version: str | None = None
        self.labels: tuple[str, ...] = ()  # labels the mess requires, on top of human ones
        self.pool: _Pool | None = None  # epics only: what their children are about
        self.components: list[Json] = []
        self.issue: Json = {}
        self.stub: Json | None = None  # the shared ``parent`` value for this item's children


@dataclass(frozen=True)
class _Shape:
    """How many of each kind of issue one project gets."""

    fixed_epics: int
    extra_epics: int
    noepic: int
    subtasks: int
    types: Mapping[str, int]  # standard issue type -> count
    favoured: int  # the first `favoured` epics draw extra work and get >= 2 children each


def _acme_shape(n_acme: int) -> _Shape:
    extra = max(0, n_acme // 40 - _SKELETON_SIZE)
    noepic = max(2, round(0.10 * n_acme))
    # Small n: shrink sub-tasks first so every skeleton epic keeps its minimum children.
    room = n_acme - _SKELETON_SIZE - extra - noepic - _SKELETON_SIZE * _MIN_CHILDREN
    subtasks = max(1, min(round(0.20 * n_acme), room))
    standard = n_acme - _SKELETON_SIZE - extra - subtasks
    bugs = max(2, round(0.25 * standard))
    tasks = max(1, round(0.15 * standard))
    types = {STORY: standard - bugs - tasks, BUG: bugs, TASK: tasks}
    return _Shape(_SKELETON_SIZE, extra, noepic, subtasks, types, _SKELETON_SIZE)


def _ops_shape(n_ops: int) -> _Shape:
    epics = max(1, n_ops // 40)
    subtasks = round(0.20 * n_ops)
    standard = n_ops - epics - subtasks
    stories = max(1, round(0.35 * standard))
    bugs = round(0.20 * standard)
    types = {STORY: stories, BUG: bugs, TASK: standard - stories - bugs}
    return _Shape(1, epics - 1, round(0.15 * standard), subtasks, types, 0)


def _subtask_counts(rng: random.Random, kinds: Sequence[str], total: int) -> dict[int, int]:
    """Spread ``total`` sub-tasks over stories (by standard-issue ordinal), a few per story."""
    stories = [i for i, kind in enumerate(kinds) if kind == STORY]
    if total and not stories:  # the shapes rule this out; fail loudly rather than spin forever
        raise ValueError(f"cannot place {total} sub-tasks: the plan has no stories")
    rng.shuffle(stories)
    counts: dict[int, int] = {}
    left = total
    while left > 0:  # a second round only happens when stories are scarce (tiny n)
        for story in stories:
            take = min(left, rng.choice(_SUBTASKS_PER_STORY))
            counts[story] = counts.get(story, 0) + take
            left -= take
            if left == 0:
                break
    return counts


def _pick_epic(rng: random.Random, epics: list[int], favoured: int) -> int:
    extra = _SKELETON_DRAWS if favoured == _SKELETON_SIZE else ()
    draw = rng.randrange(len(epics) + len(extra))
    return epics[draw] if draw < len(epics) else epics[extra[draw - len(epics)]]


def _plan_structure(rng: random.Random, shape: _Shape) -> list[_Item]:
    """Epics, standard issues and sub-tasks in creation order, parents before children."""
    items = [_Item(EPIC, -1) for _ in range(shape.fixed_epics)]
    epics = list(range(shape.fixed_epics))  # epics created so far: only those can get children
    kinds = [kind for kind, count in shape.types.items() for _ in range(count)]
    rng.shuffle(kinds)
    unlinked = set(rng.sample(range(len(kinds)), shape.noepic))
    subtasks = _subtask_counts(rng, kinds, shape.subtasks) if shape.subtasks else {}
    forced = list(range(shape.favoured)) * _MIN_CHILDREN
    rng.shuffle(forced)
    units = [True] * shape.extra_epics + [False] * len(kinds)  # True: a generated epic
    rng.shuffle(units)
    ordinal = 0
    for is_epic in units:
        if is_epic:
            epics.append(len(items))
            items.append(_Item(EPIC, -1))
            continue
        if ordinal in unlinked:
            parent = -1
        elif forced:
            parent = forced.pop()
        else:
            parent = _pick_epic(rng, epics, shape.favoured)
        story = len(items)
        items.append(_Item(kinds[ordinal], parent))
        items.extend(_Item(SUBTASK, story) for _ in range(subtasks.get(ordinal, 0)))
        ordinal += 1
    return items


def _quota(rng: random.Random, pool: Sequence[int], share: float, minimum: int) -> list[int]:
    """A random ``share`` of ``pool`` (at least ``minimum``), so rare mess exists even at n=60."""
    return rng.sample(pool, min(len(pool), max(minimum, round(share * len(pool)))))


def _planned_version(parent: int) -> str | None:
    """The release version the example roadmap gives skeleton epic ``parent`` (plan index)."""
    if 0 <= parent < _SKELETON_SIZE:
        return PLANNED_EPIC_VERSIONS.get(SKELETON_EPICS[parent][0])
    return None


def _acme_statuses(rng: random.Random, items: list[_Item], standard: list[int]) -> None:
    for i in standard:
        release = _planned_version(items[i].parent)
        bag = _STATUS_BY_RELEASE[release] if release else _STATUS_DEFAULT
        items[i].status = rng.choice(bag)
    # Every status must show up even at n=60; steal only from statuses that occur twice or more.
    counts = Counter(items[i].status for i in standard)
    for name in STATUS_NAMES:
        if counts[name] == 0:
            donor = rng.choice([i for i in standard if counts[items[i].status] > 1])
            counts[items[donor].status] -= 1
            items[donor].status = name
            counts[name] = 1


def _acme_versions(rng: random.Random, items: list[_Item], standard: list[int]) -> None:
    planned = [i for i in standard if _planned_version(items[i].parent)]
    unlinked = [i for i in standard if items[i].parent < 0]
    out_of_scope = _quota(rng, planned, 0.10, 1)
    moved = set(out_of_scope)
    unscheduled = _quota(rng, [i for i in planned if i not in moved], 0.10, 1)
    for i in planned:
        items[i].version = _planned_version(items[i].parent)
    for i in out_of_scope:
        home = items[i].version
        items[i].version = rng.choice([v for v in RELEASE_VERSIONS if v != home])
    for i in unscheduled:
        items[i].version = None
    for i in _quota(rng, unlinked, 0.40, 1):
        done = items[i].status in _DONE_CATEGORY
        items[i].version = rng.choice(_ACME_RELEASE_DONE if done else RELEASE_VERSIONS)
    planned_or_unlinked = set(planned) | set(unlinked)
    for i in standard:
        if i not in planned_or_unlinked:  # children of epics nobody planned
            done = items[i].status in _DONE_CATEGORY
            items[i].version = rng.choice(_ACME_VERSION_DONE if done else _ACME_VERSION_OPEN)


def _acme_labels(rng: random.Random, items: list[_Item], standard: list[int]) -> None:
    stale = max(2, round(0.01 * len(standard)))
    ignore = max(1, round(0.005 * len(standard)))
    foreign = max(1, round(0.005 * len(standard)))
    chosen = rng.sample(standard, stale + ignore + foreign)
    for n, i in enumerate(chosen[:stale]):
        items[i].labels = ("roadmap-r0",) if n % 2 == 0 else ("roadmap-orphan",)
    for i in chosen[stale : stale + ignore]:
        items[i].labels = ("roadmap-ignore",)
    for i in chosen[stale + ignore :]:
        items[i].labels = ("roadmap",)
    for i in _quota(rng, [i for i in standard if items[i].kind == BUG], 0.15, 1):
        items[i].labels += ("a11y",)


def _plan_acme(rng: random.Random, n_acme: int) -> list[_Item]:
    items = _plan_structure(rng, _acme_shape(n_acme))
    standard = [i for i, item in enumerate(items) if item.kind in _STANDARD]
    _acme_statuses(rng, items, standard)
    _acme_versions(rng, items, standard)
    _acme_labels(rng, items, standard)
    return items


def _plan_ops(rng: random.Random, n_ops: int) -> list[_Item]:
    items = _plan_structure(rng, _ops_shape(n_ops))
    for item in items:
        if item.kind in _STANDARD:
            item.status = rng.choice(_STATUS_DEFAULT)
            item.version = rng.choice(_OPS_VERSION_BAG)
    return items


# --- writing --------------------------------------------------------------------------------
class _Writer:
    """Turns one project's plan into issue dicts, each stored at its global creation slot."""

    def __init__(
        self,
        rng: random.Random,
        catalog: _Catalog,
        project: _Project,
        vocab: _Vocab,
        slots: Sequence[int],
        moments: Sequence[int],
        issues: list[Json],
    ) -> None:
        self.rng = rng
        self.catalog = catalog
        self.project = project
        self.vocab = vocab
        self.slots = slots
        self.moments = moments
        self.issues = issues

    def write(self, items: Sequence[_Item]) -> None:
        skeleton = self.project.key == "ACME"
        for index, item in enumerate(items):
            if item.kind == EPIC and skeleton and index < _SKELETON_SIZE:
                self._skeleton_epic(index, item)
            elif item.kind == EPIC:
                self._epic(index, item)
            elif item.kind == SUBTASK:
                self._subtask(index, item, items[item.parent])
            else:
                self._standard(index, item, items[item.parent] if item.parent >= 0 else None)

    def emit(
        self,
        index: int,
        *,
        kind: str,
        status: str,
        priority: str,
        summary: str,
        description: str | None,
        labels: list[str],
        components: list[Json],
        fix_versions: list[Json],
        parent: Json | None,
        points: float | None,
        updated: int | None = None,
    ) -> Json:
        slot = self.slots[index]
        created = self.moments[slot]
        resolution = self.catalog.resolution[status]
        if updated is None:
            resolved = resolution is not None
            updated = _resolved(self.rng, created) if resolved else _later(self.rng, created)
        updated_stamp = _stamp(updated)
        fields: Json = {
            "summary": summary,
            "description": description,
            "project": self.project.ref,
            "issuetype": self.catalog.itype[kind],
            "status": self.catalog.status[status],
            "priority": self.catalog.priority[priority],
            "labels": labels,
            "components": components,
            "fixVersions": fix_versions,
            "resolution": resolution,
            # Resolved issues were last touched when resolved; that keeps resolutiondate <= now.
            "resolutiondate": updated_stamp if resolution is not None else None,
            "created": _stamp(created),
            "updated": updated_stamp,
            "customfield_10016": points,
        }
        if parent is not None:
            fields["parent"] = parent
        issue: Json = {
            "id": str(_FIRST_ISSUE_ID + slot),
            "key": f"{self.project.key}-{index + 1}",
            "fields": fields,
        }
        self.issues[slot] = issue
        return issue

    def _skeleton_epic(self, index: int, item: _Item) -> None:
        epic = _SKELETON[index]
        version = PLANNED_EPIC_VERSIONS.get(epic.key)
        item.pool = epic.pool
        item.components = self.project.component_list(epic.components)
        item.status = epic.status
        # Fixed "updated" (no rng draw) keeps the skeleton identical for every seed and n.
        last_touch = (len(_WORKDAYS) - 1 - 3 * index) * _DAY + 10 * 3600
        item.issue = self.emit(
            index,
            kind=EPIC,
            status=epic.status,
            priority=epic.priority,
            summary=epic.summary,
            description=_SKELETON_DESCRIPTION,
            labels=list(epic.labels),
            components=item.components,
            fix_versions=self.project.fix_versions(version),
            parent=None,
            points=None,
            updated=last_touch,
        )

    def _epic(self, index: int, item: _Item) -> None:
        rng = self.rng
        area, item.pool = rng.choice(self.vocab.epic_areas)
        item.components = self.project.component_list(rng.choice(self.vocab.components))
        item.status = rng.choice(_STATUS_EPIC)
        version = "Someday" if self.project.key == "ACME" and rng.random() < 0.2 else None
        item.issue = self.emit(
            index,
            kind=EPIC,
            status=item.status,
            priority=rng.choice(_PRIORITY_BAG),
            summary=f"{area} {rng.choice(self.vocab.epic_themes)}",
            description=rng.choice(_DESCRIPTIONS),
            labels=list(rng.choice(self.vocab.labels)),
            components=item.components,
            fix_versions=self.project.fix_versions(version),
            parent=None,
            points=None,
        )

    def _standard(self, index: int, item: _Item, epic: _Item | None) -> None:
        rng = self.rng
        day = self.moments[self.slots[index]] // _DAY
        if item.status in _DONE_CATEGORY and day + rng.expovariate(1 / _LEAD_WORKDAYS) >= len(
            _WORKDAYS
        ):
            item.status = IN_REVIEW  # filed too recently to be closed already
        pool = epic.pool if epic is not None and epic.pool is not None else self.vocab.loose
        a11y = "a11y" in item.labels
        # Work under an epic mostly touches the epic's components.
        if epic is not None and rng.random() < 0.7:
            item.components = epic.components
        else:
            item.components = self.project.component_list(rng.choice(self.vocab.components))
        human = rng.choice(self.vocab.labels)
        item.issue = self.emit(
            index,
            kind=item.kind,
            status=item.status,
            priority="High" if a11y else rng.choice(_PRIORITY_BAG),
            summary=rng.choice(pool.a11y_bugs if a11y else pool.by_kind[item.kind]),
            description=rng.choice(_DESCRIPTIONS),
            labels=[*human, *(label for label in item.labels if label not in human)],
            components=item.components,
            fix_versions=self.project.fix_versions(item.version),
            parent=_stub(epic) if epic is not None else None,
            points=None if item.kind == TASK else rng.choice(_POINTS_BAG),
        )

    def _subtask(self, index: int, item: _Item, story: _Item) -> None:
        rng = self.rng
        if story.status in _DONE_CATEGORY:  # closing a story closes its sub-tasks
            item.status = story.status
        else:
            item.status = rng.choice(_STATUS_SUBTASK_OPEN_PARENT)
        story_fields = story.issue["fields"]
        # Teams rarely schedule sub-tasks themselves; they ride on their story.
        if rng.random() < 0.15:
            fix_versions = story_fields["fixVersions"]  # the story's shared list
        else:
            fix_versions = self.project.fix_versions(None)
        item.issue = self.emit(
            index,
            kind=SUBTASK,
            status=item.status,
            priority=story_fields["priority"]["name"],
            summary=rng.choice(_SUBTASK_SUMMARIES),
            description=None,
            labels=[],
            components=story.components,
            fix_versions=fix_versions,
            parent=_stub(story),
            points=None,
        )


def _stub(parent: _Item) -> Json:
    """The ``parent`` field value for ``parent``'s children, built once and shared."""
    if parent.stub is None:
        issue = parent.issue
        fields = issue["fields"]
        parent.stub = {
            "id": issue["id"],
            "key": issue["key"],
            "fields": {
                "summary": fields["summary"],
                "status": fields["status"],
                "priority": fields["priority"],
                "issuetype": fields["issuetype"],
            },
        }
    return parent.stub


def _slots(rng: random.Random, n_acme: int, n_ops: int) -> tuple[list[int], list[int]]:
    """Global creation positions of each project's issues (ACME's skeleton comes first)."""
    is_acme = [True] * (n_acme - _SKELETON_SIZE) + [False] * n_ops
    rng.shuffle(is_acme)
    acme = list(range(_SKELETON_SIZE))
    ops: list[int] = []
    for slot, flag in enumerate(is_acme, start=_SKELETON_SIZE):
        (acme if flag else ops).append(slot)
    return acme, ops


def _creation_moments(rng: random.Random, n_issues: int) -> list[int]:
    """Sorted creation moments: the skeleton on the first morning, the rest afterwards."""
    skeleton = [9 * 3600 + 420 * i for i in range(_SKELETON_SIZE)]
    opening = _CLOSE - _OPEN
    days = [day for day in _CREATE_DAYS if day > 0]  # the skeleton owns the first morning
    rest = sorted(
        rng.choice(days) * _DAY + _OPEN + rng.randrange(opening)
        for _ in range(n_issues - _SKELETON_SIZE)
    )
    return skeleton + rest


def generate_backlog(n_issues: int, seed: int = 1) -> dict[str, Any]:
    """Return {"projects": [...], "issues": [...]} in Jira's own REST shape.

    Exactly ``n_issues`` issues, ordered by id (= creation order); deterministic for
    ``(n_issues, seed)``. Sub-objects are shared between issues: see the module docstring.
    """
    if n_issues < MIN_ISSUES:
        raise ValueError(
            f"generate_backlog needs n_issues >= {MIN_ISSUES} to fit the fixed skeleton "
            f"(12 epics with children) and every kind of mess; got {n_issues}"
        )
    rng = random.Random(seed)
    catalog = _Catalog()
    acme, ops = _acme_project(), _ops_project()
    n_ops = round(n_issues * _OPS_SHARE)
    n_acme = n_issues - n_ops
    acme_slots, ops_slots = _slots(rng, n_acme, n_ops)
    moments = _creation_moments(rng, n_issues)
    issues: list[Json] = [{}] * n_issues  # placeholders; every slot is overwritten below
    for project, vocab, slots, items in (
        (acme, _ACME_VOCAB, acme_slots, _plan_acme(rng, n_acme)),
        (ops, _OPS_VOCAB, ops_slots, _plan_ops(rng, n_ops)),
    ):
        _Writer(rng, catalog, project, vocab, slots, moments, issues).write(items)
    return {"projects": [acme.full, ops.full], "issues": issues}
