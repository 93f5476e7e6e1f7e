"""Recursive-descent JQL parser producing the syntax tree of :mod:`jql_ast`.

Grammar (keywords case-insensitive; precedence NOT > AND > OR)::

    query    := [or_expr] [ORDER BY sort_key ("," sort_key)*] EOF
    or_expr  := and_expr ((OR | "|" | "||") and_expr)*
    and_expr := not_expr ((AND | "&" | "&&") not_expr)*
    not_expr := (NOT | "!") not_expr | "(" or_expr ")" | clause
    clause   := field operator [operand] history_predicate*
    field    := WORD | STRING | "cf" "[" DIGITS "]"
    operand  := value | "(" value ("," value)* ")"
    value    := WORD | STRING | EMPTY | NULL | WORD "(" [arg ("," arg)*] ")"

Syntax errors carry Jira's wording and a 1-based ``(line L, character C)`` position.
"""

from __future__ import annotations

from roadmap_sync.jql.ast import (
    HISTORY_OPERATORS,
    And,
    Clause,
    Empty,
    Expr,
    Field,
    FunctionCall,
    HistoryPredicate,
    JqlError,
    Literal,
    Not,
    Operand,
    Operator,
    Or,
    Query,
    SingleOperand,
    SortKey,
    ValueList,
)
from roadmap_sync.jql.lexer import Kind, Token, tokenize

__all__ = ["JqlError", "parse"]

_VALID_OPERATORS = (
    "The valid operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', "
    "'IS' and 'IS NOT'."
)
# Words the grammar itself uses; they can never be an unquoted field or value.
_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "was", "changed", "order", "by", "asc", "desc"}
)
_EMPTY_WORDS = frozenset({"empty", "null"})
_HISTORY_WORDS = frozenset({"from", "to", "by", "after", "before", "on", "during"})
_WAS_OPERATORS = {
    (False, False): Operator.WAS,
    (True, False): Operator.WAS_NOT,
    (False, True): Operator.WAS_IN,
    (True, True): Operator.WAS_NOT_IN,
}
# Parentheses deeper than this are refused instead of exhausting the Python stack.
_MAX_DEPTH = 100

# Jira's reserved words: refused as unquoted field names and values.
_RESERVED_TEXT = """
    abort access add after alias all alter and any as asc audit avg before begin between
    boolean break by byte catch cf char character check checkpoint collate collation column
    commit connect continue count create current date decimal declare decrement default
    defaults define delete delimiter desc difference distinct divide do double drop else
    empty encoding end equals escape exclusive exec execute exists explain false fetch file
    field first float for from function go goto grant greater group having identified if
    immediate in increment index initial inner inout input insert int integer intersect
    intersection into is isempty isnull join last left less like limit lock long max min
    minus mode modify modulo more multiply next noaudit not notin nowait null number object
    of on option or order outer output power previous prior privileges public raise raw
    remainder rename resource return returns revoke right row rowid rownum rows select
    session set share size sqrt start strict string subtract sum synonym table then to trans
    transaction trigger true uid union unique update user validate values view when whenever
    where while with
"""
RESERVED_WORDS = frozenset(_RESERVED_TEXT.split())


def _error(message: str, tok: Token) -> JqlError:
    return JqlError([f"Error in the JQL Query: {message} {tok.pos.suffix()}"])


def _reserved(tok: Token) -> JqlError:
    return _error(
        f"'{tok.text}' is a reserved JQL word. You must surround it in quotation marks to use "
        "it in a query.",
        tok,
    )


def _expecting(what: str, tok: Token) -> JqlError:
    """``Expecting X but got 'y'.`` or, at the end of input, ``... before the end ...``."""
    if tok.kind is Kind.EOF:
        return _error(f"Expecting {what} before the end of the query.", tok)
    return _error(f"Expecting {what} but got '{tok.text}'.", tok)


def _is_and(tok: Token) -> bool:
    return tok.kind is Kind.AMPERSAND or tok.word() == "and"


def _is_or(tok: Token) -> bool:
    return tok.kind is Kind.PIPE or tok.word() == "or"


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind is not Kind.EOF:
            self.i += 1
        return tok

    # -- boolean structure -------------------------------------------------------------

    def query(self) -> Query:
        where: Expr | None = None
        if self.peek().kind is not Kind.EOF and self.peek().word() != "order":
            where = self.or_expr(0)
        order_by: tuple[SortKey, ...] = ()
        if self.peek().word() == "order":
            order_by = self.order_by()
        tok = self.peek()
        if tok.kind is not Kind.EOF:
            raise _error(f"Expecting either 'OR' or 'AND' but got '{tok.text}'.", tok)
        return Query(where, order_by)

    def or_expr(self, depth: int) -> Expr:
        children = [self.and_expr(depth)]
        while _is_or(self.peek()):
            self.advance()
            children.append(self.and_expr(depth))
        if len(children) == 1:
            return children[0]
        flat = (g for c in children for g in (c.children if isinstance(c, Or) else (c,)))
        return Or(tuple(flat))

    def and_expr(self, depth: int) -> Expr:
        children = [self.not_expr(depth)]
        while _is_and(self.peek()):
            self.advance()
            children.append(self.not_expr(depth))
        if len(children) == 1:
            return children[0]
        flat = (g for c in children for g in (c.children if isinstance(c, And) else (c,)))
        return And(tuple(flat))

    def not_expr(self, depth: int) -> Expr:
        # NOT chains are counted in a loop and reduced to their parity: NOT NOT x is exactly
        # x (Jira pushes NOT down onto clauses), and a long chain cannot nest the tree deeply.
        negations = 0
        while self.peek().kind is Kind.BANG or self.peek().word() == "not":
            self.advance()
            negations += 1
        tok = self.peek()
        if tok.kind is Kind.LPAREN:
            if depth >= _MAX_DEPTH:
                raise _error("The query is nested too deeply.", tok)
            self.advance()
            inner = self.or_expr(depth + 1)
            if self.peek().kind is not Kind.RPAREN:
                raise _expecting("')'", self.peek())
            self.advance()
        else:
            inner = self.clause()
        return Not(inner) if negations % 2 else inner

    # -- clauses -------------------------------------------------------------------------

    def clause(self) -> Clause:
        field = self.field()
        operator = self.operator()
        operand = None if operator is Operator.CHANGED else self.operand()
        predicates: list[HistoryPredicate] = []
        if operator in HISTORY_OPERATORS:
            while (word := self.peek().word()) in _HISTORY_WORDS:
                self.advance()
                predicates.append(HistoryPredicate(str(word), self.operand()))
        return Clause(field, operator, operand, tuple(predicates))

    def field(self) -> Field:
        tok = self.peek()
        word = tok.word()
        if tok.kind is Kind.STRING:
            self.advance()
            return Field(tok.text, None, tok.pos)
        if word == "cf" and self.peek(1).kind is Kind.LBRACKET:
            return self.custom_field()
        if tok.kind is Kind.EOF:
            raise _expecting("a field name", tok)
        if tok.kind is not Kind.WORD or word in _KEYWORDS:
            raise _error(
                f"Expecting a field name but got '{tok.text}'. You must surround "
                f"'{tok.text}' in quotation marks to use it as a field name.",
                tok,
            )
        if word in RESERVED_WORDS:
            raise _reserved(tok)
        self.advance()
        return Field(tok.text, None, tok.pos)

    def custom_field(self) -> Field:
        start = self.advance()
        self.advance()  # the '[' checked by the caller
        number = self.peek()
        if number.kind is not Kind.WORD or not number.text.isdigit():
            raise _expecting("a custom field id", number)
        self.advance()
        if self.peek().kind is not Kind.RBRACKET:
            raise _expecting("']'", self.peek())
        self.advance()
        return Field(f"cf[{number.text}]", int(number.text), start.pos)

    def operator(self) -> Operator:
        tok = self.peek()
        word = tok.word()
        if tok.kind is Kind.OPERATOR:
            self.advance()
            return Operator(tok.text)
        if word in ("in", "is", "not", "was", "changed"):
            self.advance()
            return self.word_operator(str(word))
        if tok.kind is Kind.EOF:
            raise _error(f"Expecting operator before the end of the query. {_VALID_OPERATORS}", tok)
        raise _error(f"Expecting operator but got '{tok.text}'. {_VALID_OPERATORS}", tok)

    def word_operator(self, word: str) -> Operator:
        """Finish a keyword operator whose first word has been consumed."""
        if word == "in":
            return Operator.IN
        if word == "changed":
            return Operator.CHANGED
        if word == "not":
            if self.peek().word() != "in":
                raise _expecting("'IN'", self.peek())
            self.advance()
            return Operator.NOT_IN
        negated = self.peek().word() == "not"
        if negated:
            self.advance()
        if word == "is":
            return Operator.IS_NOT if negated else Operator.IS
        listed = self.peek().word() == "in"
        if listed:
            self.advance()
        return _WAS_OPERATORS[(negated, listed)]

    # -- operands ------------------------------------------------------------------------

    def operand(self) -> Operand:
        if self.peek().kind is Kind.LPAREN:
            return self.value_list()
        return self.value()

    def value_list(self) -> ValueList:
        start = self.advance()
        items = [self.value()]
        while self.peek().kind is Kind.COMMA:
            self.advance()
            items.append(self.value())
        tok = self.peek()
        if tok.kind is not Kind.RPAREN:
            raise _expecting("')'" if tok.kind is Kind.EOF else "either ',' or ')'", tok)
        self.advance()
        return ValueList(tuple(items), start.pos)

    def value(self) -> SingleOperand:
        tok = self.peek()
        word = tok.word()
        if tok.kind is Kind.STRING:
            self.advance()
            return Literal(tok.text, True, tok.pos)
        if word in _EMPTY_WORDS:
            self.advance()
            return Empty(tok.pos)
        if tok.kind is Kind.WORD and self.peek(1).kind is Kind.LPAREN:
            return self.function_call()
        if tok.kind is Kind.EOF:
            raise _expecting("either a value, list or function", tok)
        if tok.kind is not Kind.WORD or word in _KEYWORDS:
            raise _error(
                f"Expecting either a value, list or function but got '{tok.text}'. You must "
                f"surround '{tok.text}' in quotation marks to use it as a value.",
                tok,
            )
        if word in RESERVED_WORDS:
            raise _reserved(tok)
        self.advance()
        return Literal(tok.text, False, tok.pos)

    def function_call(self) -> FunctionCall:
        name = self.advance()
        self.advance()  # the '(' checked by the caller
        args: list[str] = []
        if self.peek().kind is Kind.RPAREN:
            self.advance()
            return FunctionCall(name.text, (), name.pos)
        while True:
            arg = self.peek()
            if arg.kind not in (Kind.WORD, Kind.STRING):
                raise _expecting("a function argument", arg)
            args.append(self.advance().text)
            sep = self.advance()
            if sep.kind is Kind.RPAREN:
                return FunctionCall(name.text, tuple(args), name.pos)
            if sep.kind is not Kind.COMMA:
                raise _expecting("')'" if sep.kind is Kind.EOF else "either ',' or ')'", sep)

    # -- ORDER BY ------------------------------------------------------------------------

    def order_by(self) -> tuple[SortKey, ...]:
        self.advance()  # ORDER
        if self.peek().word() != "by":
            raise _expecting("'BY'", self.peek())
        self.advance()
        keys = [self.sort_key()]
        while self.peek().kind is Kind.COMMA:
            self.advance()
            keys.append(self.sort_key())
        return tuple(keys)

    def sort_key(self) -> SortKey:
        field = self.field()
        word = self.peek().word()
        if word in ("asc", "desc"):
            self.advance()
            key = SortKey(field, "asc" if word == "asc" else "desc")
            after = self.peek()
            if after.kind not in (Kind.COMMA, Kind.EOF):
                raise _expecting("','", after)
            return key
        after = self.peek()
        if after.kind not in (Kind.COMMA, Kind.EOF):
            raise _expecting("either 'ASC' or 'DESC'", after)
        return SortKey(field, None)


def parse(text: str) -> Query:
    """Parse JQL text into a :class:`Query`; raises :class:`JqlError` with Jira's wording."""
    return _Parser(tokenize(text)).query()
