"""Predicate builders for people, priority and sprint clauses.

- ``assignee`` / ``reporter``: a user by account id, user name, e-mail or display name; the
  functions ``currentUser()`` (the account running the query) and ``membersOf("group")``.
- ``priority``: by name or id; ``>``/``<`` compare by rank, so ``priority > Low`` is Medium and
  above (Jira's order: 1 Highest ... 5 Lowest).
- ``sprint``: by sprint id or name; ``openSprints()``, ``closedSprints()``, ``futureSprints()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from roadmap_sync.jql.ast import FunctionCall
from roadmap_sync.sandbox.jql.fields import RELATIONAL_OPERATORS
from roadmap_sync.sandbox.jql.match import COMPARE, NO_FIELDS, Issue, Predicate, Request, membership

_SPRINT_STATES = {"opensprints": "active", "closedsprints": "closed", "futuresprints": "future"}


def _arity(req: Request, call: FunctionCall, low: int, high: int) -> bool:
    if low <= len(call.args) <= high:
        return True
    expected = f"'{low}'" if low == high else f"between '{low}' and '{high}'"
    req.fail(
        f"Function '{call.name}' expected {expected} arguments but received '{len(call.args)}'."
    )
    return False


def _user_ids(req: Request) -> set[str]:
    """The account ids a user clause names (literals and functions), validating each."""
    directory = req.ctx.users
    ids: set[str] = set()
    for lit in req.literals:
        found = directory.ids.get(lit.value.strip().lower())
        if found is None:
            req.missing(lit.value)
        else:
            ids.add(found)
    for call in req.functions:
        name = call.name.lower()
        if name == "currentuser":
            if _arity(req, call, 0, 0) and req.ctx.current_user:
                ids.add(req.ctx.current_user)
        elif name == "membersof":
            if _arity(req, call, 1, 1):
                members = directory.groups.get(call.args[0].lower())
                if members is None:
                    req.fail(f"The group '{call.args[0]}' does not exist.")
                else:
                    ids |= members
        else:
            req.fail(f"Unable to find JQL function '{call.name}()'.")
    return ids


def build_user(req: Request) -> Predicate:
    """assignee / reporter."""
    wanted = frozenset(_user_ids(req))
    ids = req.ctx.users.ids
    attr = req.spec.attr

    def probe(issue: Issue) -> bool | None:
        user = (issue.get("fields") or NO_FIELDS).get(attr)
        if not isinstance(user, Mapping):
            return None
        for spelling in ("accountId", "name", "key", "emailAddress", "displayName"):
            value = user.get(spelling)
            if isinstance(value, str) and ids.get(value.lower(), value) in wanted:
                return True
        return False

    return membership(probe, req.op, req.has_empty)


def _priority_rank(value: object) -> int | None:
    if isinstance(value, Mapping):
        raw = value.get("id")
        return int(raw) if isinstance(raw, str) and raw.isdigit() else None
    return None


_RANKS = {"highest": 1, "high": 2, "medium": 3, "low": 4, "lowest": 5}


def build_priority(req: Request) -> Predicate | None:
    """priority by name or id; relational operators by rank."""
    known = req.ctx.priorities
    ranks: set[int] = set()
    for lit in req.literals:
        value = lit.value.strip().lower()
        if value.isdigit():
            ranks.add(int(value))
        elif value in _RANKS and (known is None or value in known):
            ranks.add(_RANKS[value])
        else:
            req.missing(lit.value)
    if req.op in RELATIONAL_OPERATORS:
        if len(ranks) != 1:
            return None
        (target,) = ranks
        compare = COMPARE[req.op]
        # A higher priority has a lower rank number: "priority > Low" means rank < 4.
        return lambda issue: (
            (rank := _priority_rank((issue.get("fields") or NO_FIELDS).get("priority"))) is not None
            and compare(-rank, -target)
        )
    wanted = frozenset(ranks)

    def probe(issue: Issue) -> bool | None:
        rank = _priority_rank((issue.get("fields") or NO_FIELDS).get("priority"))
        return None if rank is None else rank in wanted

    return membership(probe, req.op, req.has_empty)


def _sprints(value: Any) -> list[Mapping[str, Any]]:
    return [s for s in value if isinstance(s, Mapping)] if isinstance(value, list) else []


def build_sprint(req: Request) -> Predicate:
    """sprint by id or name, or by state through openSprints() and friends."""
    ids = {lit.value.strip() for lit in req.literals if lit.value.strip().isdigit()}
    names = {lit.value.strip().lower() for lit in req.literals if not lit.value.strip().isdigit()}
    states: set[str] = set()
    for call in req.functions:
        state = _SPRINT_STATES.get(call.name.lower())
        if state is None:
            req.fail(f"Unable to find JQL function '{call.name}()'.")
        elif _arity(req, call, 0, 0):
            states.add(state)
    attr = req.spec.attr

    def probe(issue: Issue) -> bool | None:
        sprints = _sprints((issue.get("fields") or NO_FIELDS).get(attr))
        if not sprints:
            return None
        return any(
            str(s.get("id")) in ids
            or str(s.get("name", "")).lower() in names
            or s.get("state") in states
            for s in sprints
        )

    return membership(probe, req.op, req.has_empty)
