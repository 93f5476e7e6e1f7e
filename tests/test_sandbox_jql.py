"""Table tests for the sandbox's JQL parser and evaluator (roadmap_sync.sandbox.jql_*)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from roadmap_sync.jql.ast import (
    And,
    Clause,
    Empty,
    Field,
    FunctionCall,
    HistoryPredicate,
    Literal,
    Not,
    Operator,
    Or,
    Position,
    Query,
    SortKey,
    ValueList,
)
from roadmap_sync.jql.parser import JqlError, parse
from roadmap_sync.sandbox.jql.context import JqlContext
from roadmap_sync.sandbox.jql.dates import evaluate_function, parse_date_value
from roadmap_sync.sandbox.jql.eval import compile_query

NOW = datetime(2026, 11, 25, 12, 34, 56, tzinfo=UTC)  # a Wednesday
EPIC_LINK = "customfield_10101"
POINTS = "customfield_10016"


def _ref(issue_id: str, key: str, type_name: str, level: int) -> dict[str, Any]:
    return {
        "id": issue_id,
        "key": key,
        "fields": {"issuetype": {"name": type_name, "hierarchyLevel": level}},
    }


def _status(name: str, category: str) -> dict[str, Any]:
    return {"id": "1", "name": name, "statusCategory": {"key": category}}


def _issue(issue_id: str, key: str, type_name: str, level: int, **fields: Any) -> dict[str, Any]:
    project_key = key.split("-", maxsplit=1)[0]
    project = {
        "ACME": {"id": "10000", "key": "ACME", "name": "Acme Web"},
        "OPS": {"id": "10001", "key": "OPS", "name": "Operations"},
    }[project_key]
    base: dict[str, Any] = {
        "project": project,
        "issuetype": {
            "id": str(10 + level),
            "name": type_name,
            "subtask": level == -1,
            "hierarchyLevel": level,
        },
        "resolution": None,
    }
    base.update(fields)
    return {"id": issue_id, "key": key, "fields": base}


EPIC_1 = _ref("10001", "ACME-1", "Epic", 1)
STORY_3 = _ref("10003", "ACME-3", "Story", 0)
ISSUES: list[dict[str, Any]] = [
    _issue(
        "10001",
        "ACME-1",
        "Epic",
        1,
        summary="Checkout epic",
        status=_status("In Progress", "indeterminate"),
        labels=["roadmap-r1"],
        fixVersions=[{"id": "10200", "name": "2026.12"}],
        priority={"id": "2", "name": "High"},
        created="2026-01-10T09:00:00.000+0000",
        updated="2026-11-24T23:59:59.000+0000",
    ),
    _issue(
        "10002",
        "ACME-2",
        "Story",
        0,
        summary="Checkout: pay with Apple Pay",
        description="Users pay with Apple Pay on iOS devices",
        status=_status("To Do", "new"),
        labels=["frontend", "roadmap-r1"],
        components=[{"id": "10100", "name": "Web"}],
        fixVersions=[{"id": "10200", "name": "2026.12"}],
        parent=EPIC_1,
        priority={"id": "3", "name": "Medium"},
        created="2026-11-01T00:00:00.000+0000",
        updated="2026-11-25T11:30:00.000+0000",
        customfield_10016=5.0,
    ),
    _issue(
        "10003",
        "ACME-3",
        "Story",
        0,
        summary="Refund flow",
        description=None,
        status=_status("Done", "done"),
        labels=[],
        components=[],
        fixVersions=[],
        parent=EPIC_1,
        resolution={"id": "1", "name": "Done"},
        resolutiondate="2026-11-20T10:00:00.000+0000",
        priority={"id": "3", "name": "Medium"},
        created="2026-10-31T23:59:30.000+0000",
        updated="2026-11-20T10:00:00.000+0000",
        customfield_10016=3,
    ),
    _issue(
        "10004",
        "ACME-4",
        "Sub-task",
        -1,
        summary="Write refund tests",
        status=_status("In Progress", "indeterminate"),
        parent=STORY_3,
        priority={"id": "4", "name": "Low"},
        created="2026-11-18T08:00:00.000+0100",
        updated="2026-11-18T08:00:00.000+0100",
    ),
    _issue(
        "10010",
        "ACME-10",
        "Bug",
        0,
        summary="Payment page crashes",
        status=_status("Done", "done"),
        labels=["Backend"],
        resolution={"id": "2", "name": "Won't Do"},
        resolutiondate="2026-11-02T09:00:00.000+0000",
        priority={"id": "2", "name": "High"},
        created="2026-09-15T10:00:00.000+0000",
        updated="2026-11-02T09:00:00.000+0000",
        customfield_10016=None,
    ),
    _issue(
        "10020",
        "OPS-1",
        "Task",
        0,
        summary="Rotate certificates",
        status=_status("Done", "done"),
        labels=["ops"],
        fixVersions=[{"id": "10300", "name": "OPS 1.0"}],
        resolution={"id": "1", "name": "Done"},
        resolutiondate="2026-06-02T12:00:00.000+0000",
        priority={"id": "1", "name": "Highest"},
        created="2026-06-01T12:00:00.000+0000",
        updated="2026-06-02T12:00:00.000+0000",
    ),
]
ALL = [issue["key"] for issue in ISSUES]
_KEYS = frozenset(ALL)
_PROJECTS = {
    "ACME": "10000",
    "ACME WEB": "10000",
    "10000": "10000",
    "OPS": "10001",
    "OPERATIONS": "10001",
    "10001": "10001",
}


def _context(flavor: str, now: datetime = NOW) -> JqlContext:
    datacenter = flavor == "datacenter"
    custom = {"story points": POINTS} | ({"epic link": EPIC_LINK} if datacenter else {})
    return JqlContext(
        now=now,
        flavor="datacenter" if datacenter else "cloud",
        epic_link_field=EPIC_LINK if datacenter else None,
        custom_fields=custom,
        projects=_PROJECTS,
        issue_types=frozenset({"epic", "story", "bug", "task", "sub-task"}),
        statuses=frozenset({"to do", "in progress", "done"}),
        versions=frozenset({"2026.12", "ops 1.0"}),
        issue_exists=lambda key: key in _KEYS,
    )


CLOUD = _context("cloud")
DATACENTER = _context("datacenter")


def _search(jql: str, ctx: JqlContext = CLOUD) -> list[str]:
    compiled = compile_query(parse(jql), ctx)
    return [issue["key"] for issue in ISSUES if compiled.matches(issue)]


def _ordered(jql: str, ctx: JqlContext = CLOUD) -> list[str]:
    compiled = compile_query(parse(jql), ctx)
    matched: list[Mapping[str, Any]] = [i for i in ISSUES if compiled.matches(i)]
    return [str(issue["key"]) for issue in compiled.sort(matched)]


def _errors(jql: str, ctx: JqlContext = CLOUD) -> list[str]:
    with pytest.raises(JqlError) as caught:
        compile_query(parse(jql), ctx)
    return caught.value.messages


def _eq(field: str, op: Operator, value: str) -> Clause:
    return Clause(Field(field), op, Literal(value))


# -- parsing -------------------------------------------------------------------------------

PARSE_CASES: list[tuple[str, Query]] = [
    ("", Query()),
    ("   \n\t ", Query()),
    ("project = ACME", Query(_eq("project", Operator.EQUALS, "ACME"))),
    ("PROJECT=acme", Query(_eq("PROJECT", Operator.EQUALS, "acme"))),
    ("key = ACME-12", Query(_eq("key", Operator.EQUALS, "ACME-12"))),
    ("fixVersion = 2026.12", Query(_eq("fixVersion", Operator.EQUALS, "2026.12"))),
    ("updated > -7d", Query(_eq("updated", Operator.GREATER, "-7d"))),
    ("created >= 2026/11/01", Query(_eq("created", Operator.GREATER_EQUALS, "2026/11/01"))),
    (
        'summary ~ "apple pay"',
        Query(Clause(Field("summary"), Operator.LIKE, Literal("apple pay", True))),
    ),
    (
        r'summary ~ "say \"hi\" \u0041\\"',
        Query(Clause(Field("summary"), Operator.LIKE, Literal('say "hi" A\\', True))),
    ),
    (r"labels = a\ b", Query(_eq("labels", Operator.EQUALS, "a b"))),
    ('"Epic Link" = ACME-1', Query(_eq("Epic Link", Operator.EQUALS, "ACME-1"))),
    (
        "cf[10016] >= 3",
        Query(Clause(Field("cf[10016]", 10016), Operator.GREATER_EQUALS, Literal("3"))),
    ),
    (
        'project in (ACME, "Acme Web", EMPTY)',
        Query(
            Clause(
                Field("project"),
                Operator.IN,
                ValueList((Literal("ACME"), Literal("Acme Web", True), Empty())),
            )
        ),
    ),
    (
        "status not in (Done)",
        Query(Clause(Field("status"), Operator.NOT_IN, ValueList((Literal("Done"),)))),
    ),
    ("labels is empty", Query(Clause(Field("labels"), Operator.IS, Empty()))),
    ("labels IS NOT null", Query(Clause(Field("labels"), Operator.IS_NOT, Empty()))),
    ('labels = "EMPTY"', Query(Clause(Field("labels"), Operator.EQUALS, Literal("EMPTY", True)))),
    (
        "created > startOfDay(-1)",
        Query(Clause(Field("created"), Operator.GREATER, FunctionCall("startOfDay", ("-1",)))),
    ),
    ("updated < now()", Query(Clause(Field("updated"), Operator.LESS, FunctionCall("now")))),
    (
        "a = 1 AND b = 2 OR c = 3",
        Query(
            Or(
                (
                    And((_eq("a", Operator.EQUALS, "1"), _eq("b", Operator.EQUALS, "2"))),
                    _eq("c", Operator.EQUALS, "3"),
                )
            )
        ),
    ),
    (
        "a = 1 and (b = 2 or c = 3) and d = 4",
        Query(
            And(
                (
                    _eq("a", Operator.EQUALS, "1"),
                    Or((_eq("b", Operator.EQUALS, "2"), _eq("c", Operator.EQUALS, "3"))),
                    _eq("d", Operator.EQUALS, "4"),
                )
            )
        ),
    ),
    (
        "NOT a = 1 AND !b = 2",
        Query(And((Not(_eq("a", Operator.EQUALS, "1")), Not(_eq("b", Operator.EQUALS, "2"))))),
    ),
    (
        "a = 1 && b = 2 || c = 3 | d = 4 & e = 5",
        Query(
            Or(
                (
                    And((_eq("a", Operator.EQUALS, "1"), _eq("b", Operator.EQUALS, "2"))),
                    _eq("c", Operator.EQUALS, "3"),
                    And((_eq("d", Operator.EQUALS, "4"), _eq("e", Operator.EQUALS, "5"))),
                )
            )
        ),
    ),
    (
        "status WAS NOT IN (Done) BEFORE '2026-01-01'",
        Query(
            Clause(
                Field("status"),
                Operator.WAS_NOT_IN,
                ValueList((Literal("Done"),)),
                (HistoryPredicate("before", Literal("2026-01-01", True)),),
            )
        ),
    ),
    ("status changed", Query(Clause(Field("status"), Operator.CHANGED, None))),
    ("NOT NOT NOT a = 1", Query(Not(_eq("a", Operator.EQUALS, "1")))),
    ("NOT " * 5000 + "a = 1", Query(_eq("a", Operator.EQUALS, "1"))),
    ("ORDER BY rank", Query(None, (SortKey(Field("rank")),))),
    (
        'project = ACME order by key DESC, created asc, "Story Points"',
        Query(
            _eq("project", Operator.EQUALS, "ACME"),
            (
                SortKey(Field("key"), "desc"),
                SortKey(Field("created"), "asc"),
                SortKey(Field("Story Points")),
            ),
        ),
    ),
]


@pytest.mark.parametrize(("jql", "expected"), PARSE_CASES, ids=lambda v: repr(v)[:50])
def test_parse_builds_expected_tree(jql: str, expected: Query) -> None:
    """Valid JQL parses into the expected syntax tree (keywords case-insensitive)."""
    assert parse(jql) == expected


def test_parse_records_one_based_positions() -> None:
    """Nodes keep the 1-based line/character of their first token for error reporting."""
    clause = parse("a = 1 AND\n  status = Done").where
    assert isinstance(clause, And)
    second = clause.children[1]
    assert isinstance(second, Clause)
    assert second.field.pos == Position(2, 3)
    assert isinstance(second.operand, Literal)
    assert second.operand.pos == Position(2, 12)


_OPS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
_PREFIX = "Error in the JQL Query: "

SYNTAX_ERRORS = [
    ("project foo ACME", f"Expecting operator but got 'foo'. {_OPS} (line 1, character 9)"),
    ("project", f"Expecting operator before the end of the query. {_OPS} (line 1, character 8)"),
    ("status ! Done", f"Expecting operator but got '!'. {_OPS} (line 1, character 8)"),
    ("status = Done bar", "Expecting either 'OR' or 'AND' but got 'bar'. (line 1, character 15)"),
    ("status = Done)", "Expecting either 'OR' or 'AND' but got ')'. (line 1, character 14)"),
    ("summary !~ 'it''s'", "Expecting either 'OR' or 'AND' but got 's'. (line 1, character 16)"),
    (
        "status = %",
        "The character '%' is a reserved JQL character. You must enclose it in a string or "
        "use the escape '\\u0025' instead. (line 1, character 10)",
    ),
    (
        "summary ~ pay*",
        "The character '*' is a reserved JQL character. You must enclose it in a string or "
        "use the escape '\\u002a' instead. (line 1, character 14)",
    ),
    (
        'summary ~ "apple pay',
        "The quoted string 'apple pay' has not been completed. (line 1, character 11)",
    ),
    (
        r'summary ~ "a\qb"',
        "'\\q' is an illegal JQL escape sequence. The valid escape sequences are \\', \\\", "
        "\\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX. (line 1, character 13)",
    ),
    ("project in (ACME, OPS", "Expecting ')' before the end of the query. (line 1, character 22)"),
    ("project in (ACME OPS)", "Expecting either ',' or ')' but got 'OPS'. (line 1, character 18)"),
    ("(project = ACME", "Expecting ')' before the end of the query. (line 1, character 16)"),
    ("(project = ACME foo)", "Expecting ')' but got 'foo'. (line 1, character 17)"),
    (
        "created > startOfDay(-1",
        "Expecting ')' before the end of the query. (line 1, character 24)",
    ),
    (
        "project = ACME AND",
        "Expecting a field name before the end of the query. (line 1, character 19)",
    ),
    (
        "= ACME",
        "Expecting a field name but got '='. You must surround '=' in quotation marks to use "
        "it as a field name. (line 1, character 1)",
    ),
    (
        "project =",
        "Expecting either a value, list or function before the end of the query. "
        "(line 1, character 10)",
    ),
    (
        "project = OR",
        "Expecting either a value, list or function but got 'OR'. You must surround 'OR' in "
        "quotation marks to use it as a value. (line 1, character 11)",
    ),
    (
        "project = AS",
        "'AS' is a reserved JQL word. You must surround it in quotation marks to use it in a "
        "query. (line 1, character 11)",
    ),
    (
        "select = 1",
        "'select' is a reserved JQL word. You must surround it in quotation marks to use it in "
        "a query. (line 1, character 1)",
    ),
    ("project not ACME", "Expecting 'IN' but got 'ACME'. (line 1, character 13)"),
    ("cf[abc] = 1", "Expecting a custom field id but got 'abc'. (line 1, character 4)"),
    ("cf[10016 = 1", "Expecting ']' but got '='. (line 1, character 10)"),
    ("project = ACME ORDER key", "Expecting 'BY' but got 'key'. (line 1, character 22)"),
    ("ORDER BY", "Expecting a field name before the end of the query. (line 1, character 9)"),
    (
        "ORDER BY key sideways",
        "Expecting either 'ASC' or 'DESC' but got 'sideways'. (line 1, character 14)",
    ),
    ("ORDER BY key ASC created", "Expecting ',' but got 'created'. (line 1, character 18)"),
    (
        "project = ACME\nAND status = %",
        "The character '%' is a reserved JQL character. You must enclose it in a string or "
        "use the escape '\\u0025' instead. (line 2, character 14)",
    ),
    ("(" * 150 + "a = 1" + ")" * 150, "The query is nested too deeply. (line 1, character 101)"),
]


@pytest.mark.parametrize(("jql", "message"), SYNTAX_ERRORS, ids=lambda v: repr(v)[:40])
def test_parse_errors_use_jira_wording(jql: str, message: str) -> None:
    """Every syntax error is a JqlError carrying Jira's exact text and position."""
    with pytest.raises(JqlError) as caught:
        parse(jql)
    assert caught.value.messages == [_PREFIX + message]


def test_junk_never_raises_anything_but_jql_error() -> None:
    """Random junk from JQL's own vocabulary either compiles and evaluates, or is a JqlError."""
    rng = random.Random(20261125)
    words = ["AND ", "OR ", "NOT ", "IN ", "IS ", "EMPTY ", "cf[10016]", "labels ", "created "]
    words += ["summary ", "key ", "parent ", "ACME-1 ", "-1d ", "now() ", "'x*' ", "ORDER BY "]
    alphabet = [*"a =!~<>(),[]\"'\\&|-*%", *words]
    compiled_any = False
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        try:
            compiled = compile_query(parse(text), CLOUD)
        except JqlError as error:
            assert error.messages
            assert all(isinstance(m, str) and m for m in error.messages)
            continue
        compiled_any = True
        assert len(compiled.sort([i for i in ISSUES if compiled.matches(i)])) <= len(ISSUES)
    assert compiled_any


# -- validation ----------------------------------------------------------------------------

_NO_FIELD = "does not exist or you do not have permission to view it."
VALIDATION_ERRORS: list[tuple[str, JqlContext, list[str]]] = [
    ("foo = bar", CLOUD, [f"Field 'foo' {_NO_FIELD}"]),
    ("sprint in openSprints()", CLOUD, [f"Field 'sprint' {_NO_FIELD}"]),
    ("cf[99999] = 1", CLOUD, [f"Field 'cf[99999]' {_NO_FIELD}"]),
    ("cf[10101] = ACME-1", CLOUD, [f"Field 'cf[10101]' {_NO_FIELD}"]),
    ("project = NOPE", CLOUD, ["The value 'NOPE' does not exist for the field 'project'."]),
    ("issuetype = Saga", CLOUD, ["The value 'Saga' does not exist for the field 'issuetype'."]),
    ("type in (Story, Saga)", CLOUD, ["The value 'Saga' does not exist for the field 'type'."]),
    ("status = Nah", CLOUD, ["The value 'Nah' does not exist for the field 'status'."]),
    (
        "statusCategory = Blocked",
        CLOUD,
        ["The value 'Blocked' does not exist for the field 'statusCategory'."],
    ),
    (
        "fixVersion = 2099.1",
        CLOUD,
        ["The value '2099.1' does not exist for the field 'fixVersion'."],
    ),
    ("key = ACME-99999", CLOUD, ["An issue with key 'ACME-99999' does not exist for field 'key'."]),
    ("key > ACME-99999", CLOUD, ["An issue with key 'ACME-99999' does not exist for field 'key'."]),
    ("issuekey = banana", CLOUD, ["The issue key 'banana' for field 'issuekey' is invalid."]),
    (
        "parent = ACME-404",
        CLOUD,
        ["An issue with key 'ACME-404' does not exist for field 'parent'."],
    ),
    (
        '"Epic Link" = ACME-404',
        DATACENTER,
        ["An issue with key 'ACME-404' does not exist for field 'Epic Link'."],
    ),
    ("project ~ ACME", CLOUD, ["The operator '~' is not supported by the 'project' field."]),
    ("labels > a", CLOUD, ["The operator '>' is not supported by the 'labels' field."]),
    ("summary = x", CLOUD, ["The operator '=' is not supported by the 'summary' field."]),
    ("text !~ x", CLOUD, ["The operator '!~' is not supported by the 'text' field."]),
    ("project is EMPTY", CLOUD, ["The operator 'is' is not supported by the 'project' field."]),
    ("rank = 1", CLOUD, ["The operator '=' is not supported by the 'rank' field."]),
    ("priority ~ High", CLOUD, ["The operator '~' is not supported by the 'priority' field."]),
    ("status WAS Done", CLOUD, ["The operator 'was' is not supported by the 'status' field."]),
    (
        "status WAS NOT IN (Done) AFTER -1w",
        CLOUD,
        ["The operator 'was not in' is not supported by the 'status' field."],
    ),
    (
        "status CHANGED FROM 'To Do' TO Done",
        CLOUD,
        ["The operator 'changed' is not supported by the 'status' field."],
    ),
    ("labels is ops", CLOUD, ["The operator 'is' only supports searching for EMPTY values."]),
    ("status = (Done, 'To Do')", CLOUD, ["The operator '=' does not support list values."]),
    (
        "project in (ACME, EMPTY)",
        CLOUD,
        ["The field 'project' does not support searching for EMPTY values."],
    ),
    ("created > EMPTY", CLOUD, ["The operator '>' does not support searching for EMPTY values."]),
    (
        "updated > xyz",
        CLOUD,
        [
            "Date value 'xyz' for field 'updated' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        ],
    ),
    (
        "created >= '2026-02-30'",
        CLOUD,
        [
            "Date value '2026-02-30' for field 'created' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        ],
    ),
    ("created > foo()", CLOUD, ["Unable to find JQL function 'foo()'."]),
    ("watcher = currentUser()", CLOUD, [f"Field 'watcher' {_NO_FIELD}"]),
    (
        "assignee = nobody-known",
        CLOUD,
        ["The value 'nobody-known' does not exist for the field 'assignee'."],
    ),
    (
        "assignee = currentUser(x)",
        CLOUD,
        ["Function 'currentUser' expected '0' arguments but received '1'."],
    ),
    (
        "fixVersion in unreleasedVersions()",
        CLOUD,
        ["Unable to find JQL function 'unreleasedVersions()'."],
    ),
    (
        "project = now()",
        CLOUD,
        ["A value provided by the function 'now' is invalid for the field 'project'."],
    ),
    ("created > now(1)", CLOUD, ["Function 'now' expected '0' arguments but received '1'."]),
    (
        "created > startOfDay(1, 2)",
        CLOUD,
        ["Function 'startOfDay' expected between '0' and '1' arguments but received '2'."],
    ),
    (
        "created > startOfMonth(soon)",
        CLOUD,
        [
            "Duration for function 'startOfMonth' should have the format (+/-)n(yMwdm), "
            "e.g -1M for 1 month earlier."
        ],
    ),
    (
        "summary ~ '*pay'",
        CLOUD,
        ["The text query '*pay' for field 'summary' is not allowed to start with wildcard."],
    ),
    (
        "summary ~ ''",
        CLOUD,
        ["The field 'summary' does not support searching for an empty string."],
    ),
    (
        "summary ~ '(a OR b)'",
        CLOUD,
        [
            "The text query '(a OR b)' for field 'summary' is not valid; probably your text "
            "query syntax is incorrect."
        ],
    ),
    ('"Story Points" > many', CLOUD, ["The value 'many' for field 'Story Points' is invalid."]),
    ("ORDER BY labels", CLOUD, ["Field 'labels' does not support sorting."]),
    ("ORDER BY bogus", CLOUD, [f"Field 'bogus' {_NO_FIELD}"]),
    (
        "project = NOPE AND foo = 1 OR NOT status = Nah ORDER BY labels",
        CLOUD,
        [
            "The value 'NOPE' does not exist for the field 'project'.",
            f"Field 'foo' {_NO_FIELD}",
            "The value 'Nah' does not exist for the field 'status'.",
            "Field 'labels' does not support sorting.",
        ],
    ),
    (
        "project = NOPE OR project = NOPE",
        CLOUD,
        ["The value 'NOPE' does not exist for the field 'project'."],
    ),
]


@pytest.mark.parametrize(("jql", "ctx", "messages"), VALIDATION_ERRORS, ids=lambda v: repr(v)[:40])
def test_validation_errors_use_jira_wording(jql: str, ctx: JqlContext, messages: list[str]) -> None:
    """Unknown fields/values/functions and misused operators raise all of Jira's messages."""
    assert _errors(jql, ctx) == messages


# -- evaluation ----------------------------------------------------------------------------

EVALUATION = [
    # project: key, name or id, case-insensitive
    ("project = ACME", ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-10"]),
    ('project = "acme web"', ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-10"]),
    ("project = 10001", ["OPS-1"]),
    ("project != ACME", ["OPS-1"]),
    ("project in (acme, Ops)", ALL),
    ("project not in (ACME)", ["OPS-1"]),
    # key / issuekey / id; ranges compare numbers within a project
    ("key = ACME-2", ["ACME-2"]),
    ("issuekey in (acme-2, OPS-1)", ["ACME-2", "OPS-1"]),
    ("id = 10003", ["ACME-3"]),
    ("key != ACME-1", ["ACME-2", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ("key > ACME-2", ["ACME-3", "ACME-4", "ACME-10"]),
    ("key <= ACME-3", ["ACME-1", "ACME-2", "ACME-3"]),
    ("key >= 10004", ["ACME-4", "ACME-10", "OPS-1"]),
    # issue type, status, status category: name or id, case-insensitive
    ("issuetype = story", ["ACME-2", "ACME-3"]),
    ("type in (Bug, Task)", ["ACME-10", "OPS-1"]),
    ("issuetype = 9", ["ACME-4"]),
    ("issuetype != Epic", ["ACME-2", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ('status = "in progress"', ["ACME-1", "ACME-4"]),
    ("status not in (Done, 'To Do')", ["ACME-1", "ACME-4"]),
    ('statusCategory = "To Do"', ["ACME-2"]),
    ("statusCategory = indeterminate", ["ACME-1", "ACME-4"]),
    ("statusCategory = 3", ["ACME-3", "ACME-10", "OPS-1"]),
    ("statusCategory != Done", ["ACME-1", "ACME-2", "ACME-4"]),
    # labels: "=" is contains; "!=" / NOT IN skip issues without labels (Jira's quirk)
    ("labels = frontend", ["ACME-2"]),
    ("labels = BACKEND", ["ACME-10"]),
    ("labels != frontend", ["ACME-1", "ACME-10", "OPS-1"]),
    ("labels not in (frontend, ops)", ["ACME-1", "ACME-10"]),
    ("labels is EMPTY", ["ACME-3", "ACME-4"]),
    ("labels = EMPTY", ["ACME-3", "ACME-4"]),
    ("labels is not empty", ["ACME-1", "ACME-2", "ACME-10", "OPS-1"]),
    ("labels != EMPTY", ["ACME-1", "ACME-2", "ACME-10", "OPS-1"]),
    ("labels in (ops, EMPTY)", ["ACME-3", "ACME-4", "OPS-1"]),
    ("labels not in (frontend, EMPTY)", ["ACME-1", "ACME-10", "OPS-1"]),
    # NOT is pushed down like Jira does, so it inherits the same quirk
    ("NOT labels = frontend", ["ACME-1", "ACME-10", "OPS-1"]),
    ("NOT labels is EMPTY", ["ACME-1", "ACME-2", "ACME-10", "OPS-1"]),
    # fixVersion and component: objects by name or id
    ("fixVersion = 2026.12", ["ACME-1", "ACME-2"]),
    ('fixVersion = "ops 1.0"', ["OPS-1"]),
    ("fixVersion = 10300", ["OPS-1"]),
    ("fixVersion != 2026.12", ["OPS-1"]),
    ("fixVersion is EMPTY", ["ACME-3", "ACME-4", "ACME-10"]),
    ("component = web", ["ACME-2"]),
    ("component = 10100", ["ACME-2"]),
    ("component != Web", []),
    ("component is not EMPTY", ["ACME-2"]),
    # parent and Epic Link on Cloud
    ("parent = ACME-1", ["ACME-2", "ACME-3"]),
    ("parent = ACME-3", ["ACME-4"]),
    ("parent in (ACME-1, ACME-3)", ["ACME-2", "ACME-3", "ACME-4"]),
    ("parent = 10001", ["ACME-2", "ACME-3"]),
    ("parent != ACME-1", ["ACME-4"]),
    ("parent is EMPTY", ["ACME-1", "ACME-10", "OPS-1"]),
    ('"Epic Link" = ACME-1', ["ACME-2", "ACME-3"]),
    ('"epic link" = ACME-3', []),
    ('"Epic Link" is EMPTY', ["ACME-1", "ACME-4", "ACME-10", "OPS-1"]),
    # text search: words, any order, case-insensitive, wildcards, phrases, OR, exclusion
    ("summary ~ checkout", ["ACME-1", "ACME-2"]),
    ("summary ~ 'APPLE pay'", ["ACME-2"]),
    ("summary ~ 'pay apple'", ["ACME-2"]),
    ("summary ~ pay", ["ACME-2"]),
    (r"summary ~ '\"apple pay\"'", ["ACME-2"]),
    (r"summary ~ '\"pay apple\"'", []),
    (r"summary ~ '\"pay with apple\"'", ["ACME-2"]),
    (r"summary ~ '\"pay for apple\"'", ["ACME-2"]),
    (r"summary ~ 'checkout -\"apple pay\"'", ["ACME-1"]),
    ("summary ~ 'refun*'", ["ACME-3", "ACME-4"]),
    ("summary ~ 'ref?nd flow'", ["ACME-3"]),
    ("summary ~ 'pay*'", ["ACME-2", "ACME-10"]),
    ("summary ~ 'refund OR payment'", ["ACME-3", "ACME-4", "ACME-10"]),
    ("summary ~ 'refund -tests'", ["ACME-3"]),
    ("summary ~ 'refund NOT tests'", ["ACME-3"]),
    ("summary ~ 'the'", []),
    ("summary !~ refund", ["ACME-1", "ACME-2", "ACME-10", "OPS-1"]),
    ("description ~ iOS", ["ACME-2"]),
    ("description is EMPTY", ["ACME-1", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ("description !~ android", ["ACME-2"]),
    ("text ~ 'ios checkout'", ["ACME-2"]),
    ("NOT text ~ checkout", ["ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    # resolution: Unresolved and EMPTY both mean "no resolution"
    ("resolution = Unresolved", ["ACME-1", "ACME-2", "ACME-4"]),
    ("resolution is EMPTY", ["ACME-1", "ACME-2", "ACME-4"]),
    ("resolution = done", ["ACME-3", "OPS-1"]),
    ("resolution != Done", ["ACME-10"]),
    ("resolution != Unresolved", ["ACME-3", "ACME-10", "OPS-1"]),
    ('resolution in (Unresolved, "Won\'t Do")', ["ACME-1", "ACME-2", "ACME-4", "ACME-10"]),
    # custom fields by name or cf[N]; numbers compare numerically
    ('"Story Points" = 5', ["ACME-2"]),
    ("cf[10016] > 3", ["ACME-2"]),
    ('"story points" <= 3.0', ["ACME-3"]),
    ("cf[10016] in (3, 5)", ["ACME-2", "ACME-3"]),
    ('"Story Points" != 5', ["ACME-3"]),
    ('"Story Points" is EMPTY', ["ACME-1", "ACME-4", "ACME-10", "OPS-1"]),
    # boolean structure and precedence
    ("", ALL),
    ("project = ACME AND labels = roadmap-r1 OR project = OPS", ["ACME-1", "ACME-2", "OPS-1"]),
    ("project = ACME AND (labels = frontend OR status = Done)", ["ACME-2", "ACME-3", "ACME-10"]),
    ("NOT (status = Done OR issuetype = Epic)", ["ACME-2", "ACME-4"]),
    ("!(project = OPS)", ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-10"]),
    ("project = ACME && type = Bug || key = OPS-1", ["ACME-10", "OPS-1"]),
    ("NOT NOT project = OPS", ["OPS-1"]),
    ("NOT (project = ACME AND labels = roadmap-r1)", ["ACME-10", "OPS-1"]),
    (
        "issuetype = Story AND status = Done AND labels is EMPTY AND project = ACME",
        ["ACME-3"],
    ),
    (
        "key = ACME-1 OR key = ACME-2 OR key = ACME-3 OR key = OPS-1 OR key = ACME-10",
        ["ACME-1", "ACME-2", "ACME-3", "ACME-10", "OPS-1"],
    ),
]


@pytest.mark.parametrize(("jql", "expected"), EVALUATION, ids=lambda v: repr(v)[:50])
def test_cloud_evaluation(jql: str, expected: list[str]) -> None:
    """On Cloud, each field/operator selects exactly Jira's issues (empties per Jira rules)."""
    assert _search(jql) == expected


DATACENTER_EVALUATION = [
    ("parent = ACME-1", []),
    ("parent = ACME-3", ["ACME-4"]),
    ("parent is EMPTY", ["ACME-1", "ACME-2", "ACME-3", "ACME-10", "OPS-1"]),
    ('"Epic Link" = ACME-1', ["ACME-2", "ACME-3"]),
    ("cf[10101] = ACME-1", ["ACME-2", "ACME-3"]),
    ("cf[10101] in (ACME-1) AND issuetype = Story", ["ACME-2", "ACME-3"]),
    ('"Epic Link" != ACME-1', []),
    ('"Epic Link" is EMPTY', ["ACME-1", "ACME-4", "ACME-10", "OPS-1"]),
]


@pytest.mark.parametrize(("jql", "expected"), DATACENTER_EVALUATION, ids=lambda v: repr(v)[:50])
def test_datacenter_parent_and_epic_link(jql: str, expected: list[str]) -> None:
    """On Data Center, parent means a sub-task's parent and epics go through Epic Link/cf[]."""
    assert _search(jql, DATACENTER) == expected


DATE_EVALUATION = [
    # absolute dates are UTC; comparisons use minute precision
    ('created >= "2026-11-01"', ["ACME-2", "ACME-4"]),
    ("created >= 2026/11/01", ["ACME-2", "ACME-4"]),
    ('created < "2026-11-01"', ["ACME-1", "ACME-3", "ACME-10", "OPS-1"]),
    ('created = "2026-11-01"', ["ACME-2"]),
    ('created = "2026-10-31 23:59"', ["ACME-3"]),
    ("created = '2026/11/18 07:00'", ["ACME-4"]),  # stored as 08:00+0100
    ('created <= "2026-10-31"', ["ACME-1", "ACME-10", "OPS-1"]),  # that day's 23:59 is later
    ('created != "2026-11-01"', ["ACME-1", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ("created in ('2026-11-01', '2026-10-31 23:59')", ["ACME-2", "ACME-3"]),
    # relative periods from NOW (2026-11-25 12:34 UTC)
    ("updated >= -1d", ["ACME-1", "ACME-2"]),
    ("updated > -2h", ["ACME-2"]),
    # -65m is 11:29:56, i.e. minute 11:29, before ACME-2's 11:30:00; -64m is minute 11:30
    ("updated > -65m", ["ACME-2"]),
    ("updated > -64m", []),
    ("updated >= -64m", ["ACME-2"]),
    ('created > "-1w 2d"', ["ACME-4"]),
    ("created > -1w", []),
    ("updated > 7d", []),
    ("updated < now()", ALL),
    # functions
    ("updated >= startOfDay()", ["ACME-2"]),
    ("updated >= startOfDay(-1)", ["ACME-1", "ACME-2"]),
    ("updated <= endOfDay(-1)", ["ACME-1", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ("created > startOfMonth()", ["ACME-4"]),
    ("created >= startOfMonth()", ["ACME-2", "ACME-4"]),
    ("created >= startOfWeek(-1)", ["ACME-4"]),
    ("created < startOfYear()", []),
    ("created <= endOfMonth(-1)", ["ACME-1", "ACME-3", "ACME-10", "OPS-1"]),
    # resolved / resolutiondate, including emptiness
    ('resolved >= "2026/11/20"', ["ACME-3"]),
    ("resolutiondate < -3w", ["ACME-10", "OPS-1"]),
    ("resolutiondate < -4w", ["OPS-1"]),
    ("resolved is EMPTY", ["ACME-1", "ACME-2", "ACME-4"]),
    ("resolved != '2026-11-20 10:00'", ["ACME-10", "OPS-1"]),
    ("NOT resolved > '2026-11-01'", ["OPS-1"]),
]


@pytest.mark.parametrize(("jql", "expected"), DATE_EVALUATION, ids=lambda v: repr(v)[:50])
def test_date_evaluation_with_fixed_now(jql: str, expected: list[str]) -> None:
    """Dates, periods and date functions are resolved against ctx.now at minute precision."""
    assert _search(jql) == expected


def _at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


DATE_FUNCTIONS = [
    ("now", (), NOW),
    ("NOW", (), NOW),
    ("startOfDay", (), _at(2026, 11, 25)),
    ("startOfDay", ("-1",), _at(2026, 11, 24)),
    ("startOfDay", ("+1h",), _at(2026, 11, 25, 1)),
    ("endOfDay", (), _at(2026, 11, 25, 23, 59, 59, 999999)),
    ("startOfWeek", (), _at(2026, 11, 22)),
    ("endOfWeek", (), _at(2026, 11, 28, 23, 59, 59, 999999)),
    ("startOfWeek", ("1",), _at(2026, 11, 29)),
    ("startOfMonth", (), _at(2026, 11, 1)),
    ("startOfMonth", ("-1",), _at(2026, 10, 1)),
    ("startOfMonth", ("+14d",), _at(2026, 11, 15)),
    ("endOfMonth", ("-1",), _at(2026, 10, 31, 23, 59, 59, 999999)),
    ("endOfMonth", ("3M",), _at(2027, 2, 28, 23, 59, 59, 999999)),
    ("startOfYear", (), _at(2026, 1, 1)),
    ("endOfYear", ("1",), _at(2027, 12, 31, 23, 59, 59, 999999)),
    ("startOfYear", ("+3M",), _at(2026, 4, 1)),
    ("startOfYear", ("-6M",), _at(2025, 7, 1)),
]


@pytest.mark.parametrize(("name", "args", "expected"), DATE_FUNCTIONS, ids=repr)
def test_date_functions(name: str, args: tuple[str, ...], expected: datetime) -> None:
    """Date functions honour offsets: own-unit offsets move the period, finer ones shift in it."""
    assert evaluate_function(FunctionCall(name, args), NOW) == expected


def test_date_functions_use_the_timezone_of_now() -> None:
    """startOfDay() is midnight in ctx.now's timezone, not in UTC."""
    brisbane = timezone(timedelta(hours=10))
    now = datetime(2026, 11, 25, 5, 0, tzinfo=brisbane)
    start = evaluate_function(FunctionCall("startOfDay"), now)
    assert start == datetime(2026, 11, 25, tzinfo=brisbane)


DATE_VALUES = [
    ("2026-11-01", _at(2026, 11, 1)),
    ("2026/11/01", _at(2026, 11, 1)),
    ("2026-1-5", _at(2026, 1, 5)),
    ("2026-11-01 10:00", _at(2026, 11, 1, 10)),
    ("2026/11/01 7:05", _at(2026, 11, 1, 7, 5)),
    ("-7d", NOW - timedelta(days=7)),
    ("-2w", NOW - timedelta(weeks=2)),
    ("-4h", NOW - timedelta(hours=4)),
    ("-30m", NOW - timedelta(minutes=30)),
    ("-1w 2d", NOW - timedelta(days=9)),
    ("4w2d", NOW + timedelta(days=30)),
    ("7d", NOW + timedelta(days=7)),
    ("2026-11-01/", None),
    ("2026-11/01", None),
    ("2026-13-01", None),
    ("2026-11-01 24:00", None),
    ("-7x", None),
    ("-99999999999w", None),
    ("yesterday", None),
]


@pytest.mark.parametrize(("text", "expected"), DATE_VALUES, ids=repr)
def test_date_values(text: str, expected: datetime | None) -> None:
    """Absolute dates (UTC) and Jira periods parse; anything else is rejected (None)."""
    assert parse_date_value(text, NOW) == expected


# -- ORDER BY ------------------------------------------------------------------------------

ORDERING = [
    ("", ["OPS-1", "ACME-10", "ACME-4", "ACME-3", "ACME-2", "ACME-1"]),
    ("ORDER BY key", ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ("ORDER BY issuekey DESC", ["OPS-1", "ACME-10", "ACME-4", "ACME-3", "ACME-2", "ACME-1"]),
    ("ORDER BY rank", ["ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-10", "OPS-1"]),
    ("ORDER BY created DESC", ["ACME-4", "ACME-2", "ACME-3", "ACME-10", "OPS-1", "ACME-1"]),
    ("ORDER BY updated", ["OPS-1", "ACME-10", "ACME-4", "ACME-3", "ACME-1", "ACME-2"]),
    ("ORDER BY resolved, key", ["OPS-1", "ACME-10", "ACME-3", "ACME-1", "ACME-2", "ACME-4"]),
    ("ORDER BY priority DESC", ["OPS-1", "ACME-1", "ACME-10", "ACME-2", "ACME-3", "ACME-4"]),
    ("ORDER BY project DESC", ["OPS-1", "ACME-1", "ACME-2", "ACME-3", "ACME-4", "ACME-10"]),
    ("ORDER BY status, key DESC", ["OPS-1", "ACME-10", "ACME-3", "ACME-4", "ACME-1", "ACME-2"]),
    ("ORDER BY issuetype, summary", ["ACME-10", "ACME-1", "ACME-2", "ACME-3", "ACME-4", "OPS-1"]),
    ("ORDER BY summary DESC", ["ACME-4", "OPS-1", "ACME-3", "ACME-10", "ACME-2", "ACME-1"]),
    ("ORDER BY resolution", ["ACME-3", "OPS-1", "ACME-10", "ACME-1", "ACME-2", "ACME-4"]),
    ('ORDER BY "Story Points" DESC', ["ACME-1", "ACME-4", "ACME-10", "OPS-1", "ACME-2", "ACME-3"]),
    ("ORDER BY cf[10016]", ["ACME-3", "ACME-2", "ACME-1", "ACME-4", "ACME-10", "OPS-1"]),
    ("project = ACME AND labels is EMPTY ORDER BY key DESC", ["ACME-4", "ACME-3"]),
]


@pytest.mark.parametrize(("jql", "expected"), ORDERING, ids=lambda v: repr(v)[:50])
def test_order_by(jql: str, expected: list[str]) -> None:
    """ORDER BY sorts stably (ties by ascending id, empties last ascending); default id DESC."""
    assert _ordered(jql) == expected


def test_sort_returns_new_list_and_keeps_input() -> None:
    """CompiledQuery.sort does not reorder the caller's list."""
    issues: list[Mapping[str, Any]] = list(ISSUES)
    compiled = compile_query(parse("ORDER BY key DESC"), CLOUD)
    result = compiled.sort(issues)
    assert issues == ISSUES
    assert result[0]["key"] == "OPS-1"


def test_missing_and_null_fields_are_empty() -> None:
    """An issue with no fields at all matches only emptiness tests and never crashes."""
    bare: dict[str, Any] = {"id": "1", "key": "ACME-999", "fields": None}
    positive = compile_query(parse("labels is EMPTY AND resolution = Unresolved"), CLOUD)
    negative = compile_query(parse("labels != x OR status != Done OR created > -1d"), CLOUD)
    assert positive.matches(bare)
    assert not negative.matches(bare)
    assert compile_query(parse("ORDER BY created, priority"), CLOUD).sort([bare]) == [bare]
