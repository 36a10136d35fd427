"""Deletion detection in O(d · log N) calls for d deletions among N records.

Real Vtiger never returns deleted rows, so deletions are found by comparing counts with the
inventory of live ids in scope: one ``SELECT count(*) ... WHERE id <= '<max known>'`` per run;
when it is lower than the inventory, the sorted inventory is bisected with counts over id
ranges (Vtiger compares ids numerically) and a range of at most 100 ids is resolved with one
``id IN (...)`` query. A count above the inventory means records the feed never showed us (a
Recycle-Bin restore, a missed change): that, and a daily schedule, trigger a full id listing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.client import VtigerClient
from ccsync.connectors.vtiger.describe import MODULE, OWNER_FIELD

LEAF_SIZE = vtql.MAX_ROWS


class InventoryMismatch(Exception):
    """A range holds more live records than the inventory knows: only a full scan can tell."""


@dataclass(slots=True)
class ScopeQueries:
    """Count and list queries over record numbers, restricted to the connector's scope.

    Attributes:
        client: the Vtiger client.
        prefix: the Contacts id prefix.
        owner: the owner filter of the default scope (None for all contacts).
    """

    client: VtigerClient
    prefix: str
    owner: str | None

    def _also(self, *clauses: str) -> list[str]:
        owner = [vtql.cond(OWNER_FIELD, "=", self.owner)] if self.owner else []
        return [*clauses, *owner]

    def count_upto(self, high: int | None) -> int:
        """Live records in scope with a number ≤ ``high`` (all of them when None)."""
        clauses = [vtql.cond("id", "<=", vtql.ws_id(self.prefix, high))] if high else []
        query = vtql.select(MODULE, columns="count(*)", also=self._also(*clauses), limit=None)
        return self.client.count(query)

    def count_range(self, low: int, high: int) -> int:
        """Live records in scope with ``low`` ≤ number ≤ ``high``."""
        clauses = [
            vtql.cond("id", ">=", vtql.ws_id(self.prefix, low)),
            vtql.cond("id", "<=", vtql.ws_id(self.prefix, high)),
        ]
        query = vtql.select(MODULE, columns="count(*)", also=self._also(*clauses), limit=None)
        return self.client.count(query)

    def present(self, numbers: Sequence[int], *, scoped: bool = True) -> dict[int, str]:
        """Which of ``numbers`` (≤ 100) are live and visible: ``{number: owner id}``."""
        if not numbers:
            return {}
        ids = [vtql.ws_id(self.prefix, n) for n in numbers]
        also = self._also() if scoped else []
        query = vtql.select(
            MODULE,
            columns=f"id, {OWNER_FIELD}",
            where=[[vtql.in_list("id", ids)]],
            also=also,
        )
        rows = self.client.query(query)
        return {vtql.record_number(str(r["id"])): str(r.get(OWNER_FIELD, "")) for r in rows}

    def all_numbers(self) -> list[int]:
        """Every live record number in scope (a full listing, 100 per call)."""
        numbers: list[int] = []
        last: int | None = None
        while True:
            where = [[vtql.cond("id", ">", vtql.ws_id(self.prefix, last))]] if last else []
            query = vtql.select(MODULE, columns="id", where=where, also=self._also(), order_by="id")
            rows = self.client.query(query)
            numbers.extend(vtql.record_number(str(r["id"])) for r in rows)
            if len(rows) < vtql.MAX_ROWS:
                return sorted(set(numbers))
            last = numbers[-1]


@dataclass(slots=True)
class Bisection:
    """Finds the inventory members the server no longer counts."""

    count_range: Callable[[int, int], int]
    present: Callable[[Sequence[int]], dict[int, str]]
    calls: int = 0
    missing: list[int] = field(default_factory=list)

    def run(self, inventory: Sequence[int], server_count: int) -> list[int]:
        """Missing members of the sorted ``inventory`` given the server's count over all of it.

        Raises:
            InventoryMismatch: some range holds records the inventory does not know.
        """
        self.missing = []
        self._split(inventory, server_count)
        return sorted(self.missing)

    def _split(self, segment: Sequence[int], server_count: int) -> None:
        expected = len(segment)
        if server_count == expected:
            return
        if server_count > expected:
            raise InventoryMismatch(f"{server_count} live records where {expected} were known")
        if server_count == 0:
            self.missing.extend(segment)
            return
        if expected <= LEAF_SIZE:
            self._resolve(segment, server_count)
            return
        middle = expected // 2
        left, right = segment[:middle], segment[middle:]
        self.calls += 1
        left_count = self.count_range(left[0], left[-1])
        self._split(left, left_count)
        self._split(right, server_count - left_count)

    def _resolve(self, segment: Sequence[int], server_count: int) -> None:
        self.calls += 1
        alive = self.present(segment)
        if len(alive) != server_count:
            raise InventoryMismatch("an id range holds records the inventory does not know")
        self.missing.extend(n for n in segment if n not in alive)
