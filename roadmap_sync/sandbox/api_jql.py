"""``POST /rest/api/3/jql/parse`` (Cloud): parse and validate JQL, answering each query's tree.

Validation modes as Jira documents them: ``strict`` (the default) returns every error and no
structure when validation fails; ``warn`` returns the errors and, if the query is well formed,
its structure too; ``none`` only checks the syntax. The structure follows the spec's
``JqlQuery``: ``where`` is a compound clause (``operator`` and/or/not, ``clauses``) or a field
clause (``field``, ``operator``, ``operand``), ``orderBy`` lists ``{field, direction}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roadmap_sync.jql.ast import (
    And,
    Clause,
    Empty,
    Expr,
    FunctionCall,
    JqlError,
    Literal,
    Not,
    Operand,
    Or,
    Query,
    ValueList,
)
from roadmap_sync.jql.parser import parse
from roadmap_sync.sandbox.errors import bad_request
from roadmap_sync.sandbox.http_types import Request, Response
from roadmap_sync.sandbox.jql.eval import compile_query

if TYPE_CHECKING:
    from roadmap_sync.sandbox.app import SandboxApp

VALIDATION_MODES = ("strict", "warn", "none")


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _operand(operand: Operand) -> dict[str, Any]:
    if isinstance(operand, ValueList):
        values = [_operand(item) for item in operand.items]
        encoded = "(" + ", ".join(_encoded(item) for item in operand.items) + ")"
        return {"values": values, "encodedOperand": encoded}
    if isinstance(operand, Empty):
        return {"keyword": "empty"}
    if isinstance(operand, FunctionCall):
        return {
            "function": operand.name,
            "arguments": list(operand.args),
            "encodedOperand": _encoded(operand),
        }
    return {"value": operand.value, "encodedValue": _encoded(operand)}


def _encoded(operand: Operand) -> str:
    if isinstance(operand, Empty):
        return "EMPTY"
    if isinstance(operand, FunctionCall):
        return f"{operand.name}({', '.join(_quoted(a) for a in operand.args)})"
    if isinstance(operand, Literal):
        return _quoted(operand.value) if operand.quoted else operand.value
    return "(" + ", ".join(_encoded(item) for item in operand.items) + ")"


def _clause(expr: Expr) -> dict[str, Any]:
    if isinstance(expr, Clause):
        field = {"name": expr.field.name, "encodedName": _field_name(expr)}
        body: dict[str, Any] = {"field": field, "operator": expr.operator.value}
        if expr.operand is not None:
            body["operand"] = _operand(expr.operand)
        if expr.predicates:
            body["predicates"] = [
                {"operator": p.keyword, "operand": _operand(p.operand)} for p in expr.predicates
            ]
        return body
    if isinstance(expr, Not):
        return {"operator": "not", "clauses": [_clause(expr.child)]}
    operator = "and" if isinstance(expr, And) else "or"
    assert isinstance(expr, And | Or)
    return {"operator": operator, "clauses": [_clause(child) for child in expr.children]}


def _field_name(clause: Clause) -> str:
    name = clause.field.name
    if clause.field.custom_id is not None or name.replace("_", "").isalnum():
        return name
    return _quoted(name)


def structure(query: Query) -> dict[str, Any]:
    """A parsed query as the spec's ``JqlQuery``."""
    tree: dict[str, Any] = {}
    if query.where is not None:
        tree["where"] = _clause(query.where)
    if query.order_by:
        fields = []
        for key in query.order_by:
            entry: dict[str, Any] = {"field": {"name": key.field.name}}
            if key.direction:
                entry["direction"] = key.direction
            fields.append(entry)
        tree["orderBy"] = {"fields": fields}
    return tree


def parse_queries(app: SandboxApp, request: Request) -> Response:
    """``POST /rest/api/3/jql/parse?validation=strict|warn|none``."""
    mode = request.arg("validation", "strict")
    if mode not in VALIDATION_MODES:
        raise bad_request(f"Invalid validation mode '{mode}'. Use strict, warn or none.")
    body = request.json()
    queries = body.get("queries") if isinstance(body, dict) else None
    if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
        raise bad_request("The request body must hold 'queries', a list of JQL strings.")
    answers = []
    for text in queries:
        answer: dict[str, Any] = {"query": text}
        try:
            parsed = parse(text)
        except JqlError as error:
            answer["errors"] = error.messages
            answers.append(answer)
            continue
        errors: list[str] = []
        if mode != "none":
            try:
                compile_query(parsed, app.search.context(request.account))
            except JqlError as error:
                errors = error.messages
        if errors:
            answer["errors"] = errors
        if not errors or mode != "strict":
            answer["structure"] = structure(parsed)
        answers.append(answer)
    return Response(200, {"queries": answers})
