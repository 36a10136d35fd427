"""Building VTQL safely.

VTQL has no parentheses, so a filter that must hold for every alternative (the owner filter of
the default scope) is distributed over the OR: ``A OR B`` with ``owner`` becomes
``A AND owner OR B AND owner`` (AND binds tighter, as in SQL). String literals escape a quote by
doubling it. Id and reference columns are compared with webservice ids (``12x345``), which real
Vtiger compares numerically on the record number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ccsync.errors import SkippableRecordError

MAX_ROWS = 100
_COLUMN_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
_WS_ID_RE = re.compile(r"^(\d+)x(\d+)$")
_OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">=", "LIKE"})

Clause = str
Conjunction = Sequence[Clause]


def literal(value: str) -> str:
    """A VTQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def cond(column: str, operator: str, value: str) -> Clause:
    """``column <op> 'value'`` with the column and operator checked."""
    if not _COLUMN_RE.match(column):
        raise ValueError(f"not a VTQL column name: {column!r}")
    if operator not in _OPERATORS:
        raise ValueError(f"not a VTQL operator: {operator!r}")
    return f"{column} {operator} {literal(value)}"


def in_list(column: str, values: Iterable[str]) -> Clause:
    """``column IN ('a','b',...)``."""
    if not _COLUMN_RE.match(column):
        raise ValueError(f"not a VTQL column name: {column!r}")
    items = ",".join(literal(v) for v in values)
    return f"{column} IN ({items})"


def select(
    module: str,
    *,
    columns: str = "*",
    where: Sequence[Conjunction] = (),
    also: Conjunction = (),
    order_by: str = "",
    limit: int | None = MAX_ROWS,
) -> str:
    """A complete VTQL statement, trailing ``;`` included.

    Args:
        module: the module (``Contacts``).
        columns: ``*``, ``count(*)`` or a comma-separated column list.
        where: alternatives joined by OR; each is a list of clauses joined by AND.
        also: clauses every alternative must satisfy (distributed over the OR).
        order_by: ``modifiedtime, id`` and the like.
        limit: rows per page (capped at 100 by the server anyway); None for no LIMIT.
    """
    alternatives = [list(group) + list(also) for group in where] or ([list(also)] if also else [])
    sql = f"SELECT {columns} FROM {module}"
    if alternatives:
        sql += " WHERE " + " OR ".join(" AND ".join(group) for group in alternatives)
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {min(limit, MAX_ROWS)}"
    return sql + ";"


def ws_id(prefix: str, number: int) -> str:
    """The webservice id ``<prefix>x<number>``."""
    return f"{prefix}x{number}"


def split_id(record_id: str) -> tuple[str, int]:
    """``("12", 345)`` from ``"12x345"``.

    Raises:
        SkippableRecordError: the id is not a webservice id.
    """
    match = _WS_ID_RE.match(record_id)
    if not match:
        raise SkippableRecordError("invalid_id", f"{record_id!r} is not a Vtiger record id")
    return match.group(1), int(match.group(2))


def record_number(record_id: str) -> int:
    """The numeric part of a webservice id (its ``crmid``)."""
    return split_id(record_id)[1]
