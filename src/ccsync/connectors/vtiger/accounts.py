"""Organisation names for ``account_id``: the connector shows names and accepts names.

A Contact's ``account_id`` is a reference (``11x2``) to an ``Accounts`` record. The sync works with
the organisation's *name* (it is Constant Contact's ``company_name``), so the connector swaps
the reference for the name in every record it returns, and a name for the reference on write:

* id → name: one ``SELECT id, accountname FROM Accounts WHERE id IN (...)`` per up to 100 ids
  not cached yet; names are cached by id for a day (kept in the connector's change-read state,
  so a later run re-reads nothing it knows, and a quiet run reads no account at all). An id that
  cannot be read (deleted, not visible to the user) shows as ``""``: never an id in a name.
* name → id: one ``SELECT id, accountname FROM Accounts WHERE accountname = '...'`` per distinct
  name (cached for the connector's life). Exactly one organisation with exactly that name →
  its id; none or several → ``None``, and the caller leaves the contact's organisation alone.

Example::

    names = AccountNames(client.query)
    names.show(rows)              # rows' account_id: "11x2" → "Acme Corp"
    names.id_of("Acme Corp")      # "11x2", or None
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from ccsync.connectors.vtiger import vtql
from ccsync.domain.normalize import clean

FIELD = "account_id"
MODULE = "Accounts"
TTL_S = 86400.0
_WS_ID_RE = re.compile(r"^\d+x\d+$")

Query = Callable[[str], list[dict[str, Any]]]


class AccountNames:
    """Cached ``Accounts`` id ⇄ name look-ups of one Vtiger connection.

    Args:
        query: runs one VTQL query and returns its rows.
        clock: seconds since the epoch (tests move it).
        ttl: how long a name read by id stays trusted.
    """

    def __init__(
        self, query: Query, clock: Callable[[], float] = time.time, ttl: float = TTL_S
    ) -> None:
        self._query = query
        self._clock = clock
        self._ttl = ttl
        self._by_id: dict[str, tuple[str, float]] = {}
        self._by_name: dict[str, str | None] = {}

    # -- the cache kept in the change-read state ---------

    def load(self, cached: dict[str, list[Any]]) -> None:
        """Adopt names cached by an earlier run (``{id: [name, read_at]}``); stale ones drop."""
        floor = self._clock() - self._ttl
        for account_id, entry in cached.items():
            try:
                name, read_at = str(entry[0]), float(entry[1])
            except (IndexError, TypeError, ValueError):
                continue
            if read_at >= floor and account_id not in self._by_id:
                self._by_id[account_id] = (name, read_at)

    def dump(self) -> dict[str, list[Any]]:
        """The fresh part of the cache, to keep in the change-read state."""
        floor = self._clock() - self._ttl
        return {k: [name, at] for k, (name, at) in sorted(self._by_id.items()) if at >= floor}

    # -- id → name ---------

    def show(self, rows: Iterable[MutableMapping[str, Any]]) -> None:
        """Replace every row's ``account_id`` reference by the organisation's name (in place)."""
        batch = [row for row in rows if FIELD in row]
        self._read_ids(str(row[FIELD]) for row in batch)
        for row in batch:
            row[FIELD] = self.name_of(str(row[FIELD]))

    def name_of(self, value: str) -> str:
        """The name behind a reference already read (``""`` when unknown or empty)."""
        value = value.strip()
        if not _WS_ID_RE.match(value):
            return ""
        entry = self._by_id.get(value)
        return entry[0] if entry else ""

    def _read_ids(self, values: Iterable[str]) -> None:
        floor = self._clock() - self._ttl
        wanted = []
        for value in dict.fromkeys(v.strip() for v in values):
            entry = self._by_id.get(value)
            if _WS_ID_RE.match(value) and (entry is None or entry[1] < floor):
                wanted.append(value)
        for start in range(0, len(wanted), vtql.MAX_ROWS):
            chunk = wanted[start : start + vtql.MAX_ROWS]
            now = self._clock()
            sql = vtql.select(MODULE, columns="id,accountname", where=[[vtql.in_list("id", chunk)]])
            found = {str(r.get("id", "")): clean(r.get("accountname")) for r in self._query(sql)}
            for account_id in chunk:
                # not readable (deleted, or hidden from this user): shown as no organisation
                self._by_id[account_id] = (found.get(account_id, ""), now)

    # -- name → id ---------

    def id_of(self, name: str) -> str | None:
        """The id of the one organisation named exactly ``name``; None if none or several."""
        wanted = clean(name)
        if not wanted:
            return None
        if wanted not in self._by_name:
            sql = vtql.select(
                MODULE, columns="id,accountname", where=[[vtql.cond("accountname", "=", wanted)]]
            )
            rows = self._query(sql)
            ids = [str(r.get("id", "")) for r in rows if clean(r.get("accountname")) == wanted]
            self._by_name[wanted] = ids[0] if len(ids) == 1 else None
            now = self._clock()
            for account_id in ids:
                self._by_id[account_id] = (wanted, now)
        return self._by_name[wanted]
