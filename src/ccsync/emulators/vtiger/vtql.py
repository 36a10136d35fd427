"""A parser for the VTQL subset that real Vtiger 8.2 accepts.

Grammar::

    SELECT (* | count(*) | col {, col}) FROM Module
        [WHERE cond {AND|OR cond}] [ORDER BY col {, col} [ASC|DESC]] [LIMIT [offset,] n] ;

``cond`` is ``col op value`` with ``op`` one of ``= < > <= >= != LIKE`` or ``col IN (v, ...)``.
There are no parentheses for grouping; AND binds tighter than OR (the real server pastes the
clause into SQL). Error messages copy the shape of the real server's lemon parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ccsync.emulators.vtiger.errors import VtigerError

ROW_CAP = 100
OPERATORS = ("=", "<", ">", "<=", ">=", "!=", "LIKE", "IN")
_KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "ORDER", "BY", "LIMIT", "ASC", "DESC", "IN"}
_KEYWORDS |= {"LIKE", "COUNT"}
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|[=<>])"
    r"|(?P<punct>[(),;*])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*)|(?P<bad>\S))"
)


@dataclass(slots=True, frozen=True)
class Token:
    """One lexical token: ``kind`` is the lemon token name, ``text`` the source text."""

    kind: str
    text: str


@dataclass(slots=True)
class Condition:
    """``column op value`` (``values`` holds the list of an IN)."""

    column: str
    op: str
    values: list[str]


@dataclass(slots=True)
class Query:
    """A parsed VTQL statement."""

    columns: list[str]
    module: str
    count: bool = False
    where: list[list[Condition]] = field(default_factory=list)  # OR of ANDs
    order_by: list[str] = field(default_factory=list)
    descending: bool = False
    offset: int = 0
    limit: int = ROW_CAP

    @property
    def star(self) -> bool:
        """Whether the statement selects every column."""
        return self.columns == ["*"]


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (strings keep their doubled quotes decoded)."""
    tokens: list[Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            break
        pos = match.end()
        tokens.append(_token_of(match))
    return tokens


def _token_of(match: re.Match[str]) -> Token:
    kinds = {"(": "PARENOPEN", ")": "PARENCLOSE", ",": "COMMA", ";": "SEMICOLON", "*": "STAR"}
    if match.group("str") is not None:
        return Token("VALUE", match.group("str")[1:-1].replace("''", "'"))
    if match.group("num") is not None:
        return Token("VALUE", match.group("num"))
    if match.group("op") is not None:
        op = match.group("op")
        return Token("OPERATOR", "!=" if op == "<>" else op)
    if match.group("punct") is not None:
        return Token(kinds[match.group("punct")], match.group("punct"))
    word = match.group("word")
    if word is not None:
        upper = word.upper()
        return Token(upper, word) if upper in _KEYWORDS else Token("COLUMNNAME", word)
    return Token("UNKNOWN", match.group("bad"))


class _Parser:
    """Recursive-descent parser over the token list."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def fail(self, expected: str) -> VtigerError:
        token = self.peek()
        if token is None:
            last = self.tokens[-1].text if self.tokens else ""
            found = "End of Input(0)"
        else:
            last = token.text
            found = f"{token.kind}({token.text})"
        message = f"Syntax Error on line 1: token '{last}' Unexpected {found}, expected one of: "
        return VtigerError("QUERY_SYNTAX_ERROR", message + expected)

    def take(self, kind: str, expected: str | None = None) -> Token:
        token = self.peek()
        if token is None or token.kind != kind:
            raise self.fail(expected or kind)
        self.pos += 1
        return token

    def accept(self, kind: str) -> Token | None:
        token = self.peek()
        if token is not None and token.kind == kind:
            self.pos += 1
            return token
        return None

    def parse(self) -> Query:
        self.take("SELECT")
        count, columns = self.select_list()
        self.take("FROM")
        module = self.take("COLUMNNAME").text
        query = Query(columns=columns, module=module, count=count)
        if self.accept("WHERE"):
            query.where = self.where_clause()
        if self.accept("ORDER"):
            self.take("BY")
            query.order_by, query.descending = self.order_clause()
        if self.accept("LIMIT"):
            query.offset, query.limit = self.limit_clause()
        self.take("SEMICOLON")
        if self.peek() is not None:
            raise self.fail("$")
        return query

    def select_list(self) -> tuple[bool, list[str]]:
        if self.accept("STAR"):
            return False, ["*"]
        if self.accept("COUNT"):
            self.take("PARENOPEN")
            self.take("STAR")
            self.take("PARENCLOSE")
            return True, []
        columns = [self.take("COLUMNNAME").text]
        while self.accept("COMMA"):
            columns.append(self.take("COLUMNNAME").text)
        token = self.peek()
        if token is not None and token.kind == "COLUMNNAME":
            # The real parser reports this odd expectation for "SELECT a b FROM".
            raise self.fail("SELECT")
        return False, columns

    def where_clause(self) -> list[list[Condition]]:
        groups = [[self.condition()]]
        while True:
            if self.accept("AND"):
                groups[-1].append(self.condition())
            elif self.accept("OR"):
                groups.append([self.condition()])
            else:
                return groups

    def condition(self) -> Condition:
        column = self.take("COLUMNNAME").text
        token = self.peek()
        if token is not None and token.kind in ("IN", "LIKE"):
            self.pos += 1
            if token.kind == "LIKE":
                return Condition(column, "LIKE", [self.take("VALUE").text])
            return Condition(column, "IN", self.value_list())
        op = self.take("OPERATOR").text
        return Condition(column, op, [self.take("VALUE").text])

    def value_list(self) -> list[str]:
        self.take("PARENOPEN")
        values = [self.take("VALUE").text]
        while self.accept("COMMA"):
            values.append(self.take("VALUE").text)
        self.take("PARENCLOSE")
        return values

    def order_clause(self) -> tuple[list[str], bool]:
        columns = [self.take("COLUMNNAME").text]
        while self.accept("COMMA"):
            columns.append(self.take("COLUMNNAME").text)
        descending = bool(self.accept("DESC"))
        if not descending:
            self.accept("ASC")
        return columns, descending

    def limit_clause(self) -> tuple[int, int]:
        first = int(float(self.take("VALUE").text))
        if self.accept("COMMA"):
            second = int(float(self.take("VALUE").text))
            return first, min(second, ROW_CAP)
        return 0, min(first, ROW_CAP)


def parse(text: str) -> Query:
    """Parse a VTQL statement.

    Args:
        text: The statement, including its mandatory trailing ``;``.

    Returns:
        The parsed query; LIMIT values already capped at 100 rows.

    Raises:
        VtigerError: ``QUERY_SYNTAX_ERROR`` with a message shaped like the real server's.
    """
    tokens = tokenize(text)
    return _Parser(tokens).parse()
