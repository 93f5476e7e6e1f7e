"""JQL tokenizer.

Follows Jira's lexical rules: unquoted words run until whitespace or a structural character,
strings use double or single quotes, both accept Jira's backslash escapes, and Jira's
reserved characters are refused outside strings with Jira's own wording.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from enum import Enum, auto

from roadmap_sync.jql.ast import JqlError, Position


class Kind(Enum):
    """Token kinds; keywords are WORD tokens recognised by the parser, as in Jira."""

    WORD = auto()
    STRING = auto()
    LPAREN = auto()
    RPAREN = auto()
    LBRACKET = auto()
    RBRACKET = auto()
    COMMA = auto()
    OPERATOR = auto()
    BANG = auto()
    AMPERSAND = auto()
    PIPE = auto()
    EOF = auto()


@dataclass(frozen=True, slots=True)
class Token:
    """A token; ``text`` is the decoded value for words/strings and the symbol otherwise."""

    kind: Kind
    text: str
    pos: Position

    def word(self) -> str | None:
        """The lower-cased text of an unquoted word (keywords are case-insensitive)."""
        return self.text.lower() if self.kind is Kind.WORD else None


# Characters Jira reserves outside quoted strings.
RESERVED_CHARACTERS = frozenset("{}*%+^$#@?;")
_SINGLE = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    "[": Kind.LBRACKET,
    "]": Kind.RBRACKET,
    ",": Kind.COMMA,
}
# Characters that end an unquoted word without being part of it.
_WORD_STOP = frozenset(" \t\n\r\f\"'=!<>()~,[]|&")
_SIMPLE_ESCAPES = {'"': '"', "'": "'", "t": "\t", "n": "\n", "r": "\r", "\\": "\\", " ": " "}
_HEX = frozenset("0123456789abcdefABCDEF")


def _syntax(message: str, pos: Position) -> JqlError:
    return JqlError([f"Error in the JQL Query: {message} {pos.suffix()}"])


class _Lexer:
    """Single-pass scanner; positions are computed lazily from line starts."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line_starts = [0] + [n + 1 for n, ch in enumerate(text) if ch == "\n"]

    def pos(self, index: int) -> Position:
        line = bisect.bisect_right(self.line_starts, index)
        return Position(line, index - self.line_starts[line - 1] + 1)

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text = self.text
        while True:
            while self.i < len(text) and text[self.i].isspace():
                self.i += 1
            if self.i >= len(text):
                out.append(Token(Kind.EOF, "", self.pos(self.i)))
                return out
            out.append(self._next(text[self.i]))

    def _next(self, ch: str) -> Token:
        start = self.i
        if ch in _SINGLE:
            self.i += 1
            return Token(_SINGLE[ch], ch, self.pos(start))
        if ch in "\"'":
            return self._string(ch)
        if ch in "=<>~!":
            return self._operator(ch)
        if ch in "&|":
            # Jira accepts '&', '&&', '|' and '||' as AND / OR.
            self.i += 2 if self.text.startswith(ch * 2, start) else 1
            kind = Kind.AMPERSAND if ch == "&" else Kind.PIPE
            return Token(kind, self.text[start : self.i], self.pos(start))
        return self._word()

    def _operator(self, ch: str) -> Token:
        start = self.i
        two = self.text[start : start + 2]
        if two in ("!=", "!~", "<=", ">="):
            self.i += 2
            return Token(Kind.OPERATOR, two, self.pos(start))
        self.i += 1
        kind = Kind.BANG if ch == "!" else Kind.OPERATOR
        return Token(kind, ch, self.pos(start))

    def _string(self, quote: str) -> Token:
        start = self.i
        self.i += 1
        chars: list[str] = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == quote:
                self.i += 1
                return Token(Kind.STRING, "".join(chars), self.pos(start))
            if ch == "\\":
                chars.append(self._escape())
            else:
                chars.append(ch)
                self.i += 1
        raise _syntax(
            f"The quoted string '{self.text[start + 1 :]}' has not been completed.",
            self.pos(start),
        )

    def _word(self) -> Token:
        start = self.i
        chars: list[str] = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in _WORD_STOP or ch.isspace():
                break
            if ch == "\\":
                chars.append(self._escape())
                continue
            _check_character(ch, self.pos(self.i))
            chars.append(ch)
            self.i += 1
        return Token(Kind.WORD, "".join(chars), self.pos(start))

    def _escape(self) -> str:
        """Decode the escape at ``self.i`` (a backslash) and advance past it."""
        start = self.i
        nxt = self.text[start + 1 : start + 2]
        if nxt in _SIMPLE_ESCAPES:
            self.i += 2
            return _SIMPLE_ESCAPES[nxt]
        digits = self.text[start + 2 : start + 6]
        if nxt == "u" and len(digits) == 4 and set(digits) <= _HEX:
            self.i += 6
            return chr(int(digits, 16))
        shown = self.text[start : start + 6] if nxt == "u" else self.text[start : start + 2]
        raise _syntax(
            f"'{shown}' is an illegal JQL escape sequence. The valid escape sequences are "
            "\\', \\\", \\t, \\n, \\r, \\\\, '\\ ' and \\uXXXX.",
            self.pos(start),
        )


def _check_character(ch: str, pos: Position) -> None:
    """Refuse reserved and control characters in unquoted text, worded like Jira."""
    if ch in RESERVED_CHARACTERS:
        raise _syntax(
            f"The character '{ch}' is a reserved JQL character. You must enclose it in a "
            f"string or use the escape '\\u{ord(ch):04x}' instead.",
            pos,
        )
    if ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0:
        raise _syntax(f"The character '\\u{ord(ch):04x}' is an illegal JQL character.", pos)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, always ending with an EOF token."""
    return _Lexer(text).tokens()
