"""Change reads: keyset paging over ``modifiedtime`` or the ``sync`` operation.

The keyset query is ``WHERE modifiedtime > 'W' OR modifiedtime = 'W' AND id > 'X' ORDER BY
modifiedtime, id LIMIT 100;`` — with 1-second timestamps and hundreds of records per second an
offset or a plain ``>`` would skip or repeat records. The owner filter of the default scope is
distributed over the OR (VTQL has no parentheses).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.client import VtigerClient
from ccsync.connectors.vtiger.describe import MODULE, OWNER_FIELD
from ccsync.errors import SkippableRecordError

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DST_OVERLAP = 3600
MAX_SYNC_PAGES = 10_000


def to_epoch(text: str, zone: ZoneInfo) -> int:
    """Epoch seconds of a naive ``YYYY-MM-DD HH:MM:SS`` in the server's zone (0 if unparsable)."""
    try:
        naive = datetime.strptime(text, TIME_FORMAT)  # noqa: DTZ007 - the zone is attached below
    except (TypeError, ValueError):
        return 0
    return int(naive.replace(tzinfo=zone).timestamp())


def to_text(epoch: int, zone: ZoneInfo) -> str:
    """The server-zone ``YYYY-MM-DD HH:MM:SS`` of an epoch second."""
    return datetime.fromtimestamp(epoch, UTC).astimezone(zone).strftime(TIME_FORMAT)


def lookback(watermark: int, now: float, zone: ZoneInfo) -> int:
    """Seconds to re-read below the watermark: an hour when a DST change lies in between.

    Naive local timestamps repeat an hour when clocks go back, so a strict ``>`` on text would
    skip changes written in the repeated hour.
    """
    before = datetime.fromtimestamp(watermark - DST_OVERLAP, UTC).astimezone(zone).utcoffset()
    after = datetime.fromtimestamp(max(now, watermark), UTC).astimezone(zone).utcoffset()
    return DST_OVERLAP if before != after else 0


@dataclass(slots=True)
class FeedResult:
    """What one change read found.

    Attributes:
        records: records not returned before, oldest first, each id once.
        deleted: ids the ``sync`` operation reported deleted.
        newest: the newest ``modifiedtime`` (epoch) among all rows read, returned or not.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    newest: int | None = None


def version_of(row: Mapping[str, Any], stamp: int) -> tuple[int, str]:
    """A record version: its ``modifiedtime`` second and a digest of its content.

    Two saves in the same second share a ``modifiedtime``; only the content tells them apart.
    """
    raw = json.dumps(row, sort_keys=True, default=str).encode()
    return stamp, hashlib.blake2b(raw, digest_size=8).hexdigest()


class _Collector:
    """Keeps each id once (its latest version) and skips versions already returned."""

    def __init__(self, seen: Mapping[str, tuple[int, str]], zone: ZoneInfo) -> None:
        self._seen = seen
        self._zone = zone
        self._records: dict[str, tuple[int, dict[str, Any]]] = {}
        self.newest: int | None = None

    def offer(self, row: dict[str, Any]) -> None:
        record_id = str(row.get("id", ""))
        stamp = to_epoch(str(row.get("modifiedtime", "")), self._zone)
        self.newest = stamp if self.newest is None else max(self.newest, stamp)
        if not record_id:
            return
        known = self._seen.get(record_id)
        if known is not None and known[0] == stamp and known == version_of(row, stamp):
            return
        self._records.pop(record_id, None)
        self._records[record_id] = (stamp, row)

    def records(self) -> list[dict[str, Any]]:
        ordered = sorted(self._records.values(), key=lambda item: (item[0], _number(item[1])))
        return [row for _, row in ordered]


def _number(row: Mapping[str, Any]) -> int:
    try:
        return vtql.record_number(str(row.get("id", "")))
    except SkippableRecordError:
        return 0  # a malformed id sorts first rather than failing the read


def keyset_query(since: str | None, position: tuple[str, str] | None, owner: str | None) -> str:
    """One page of the keyset change query."""
    if position is not None:
        stamp, last_id = position
        where: list[list[str]] = [
            [vtql.cond("modifiedtime", ">", stamp)],
            [vtql.cond("modifiedtime", "=", stamp), vtql.cond("id", ">", last_id)],
        ]
    elif since is not None:
        where = [[vtql.cond("modifiedtime", ">", since)]]
    else:
        where = []
    also = [vtql.cond(OWNER_FIELD, "=", owner)] if owner else []
    return vtql.select(MODULE, where=where, also=also, order_by="modifiedtime, id")


def keyset_feed(
    client: VtigerClient,
    *,
    since: str | None,
    owner: str | None,
    seen: Mapping[str, tuple[int, str]],
    zone: ZoneInfo,
) -> FeedResult:
    """Every record changed after ``since`` (server-zone text; None = all), page by page."""
    collector = _Collector(seen, zone)
    position: tuple[str, str] | None = None
    while True:
        rows = client.query(keyset_query(since, position, owner))
        for row in rows:
            collector.offer(row)
        # Real Vtiger applies sharing inside the SQL, so a short page is the last one.
        if len(rows) < vtql.MAX_ROWS:
            break
        last = rows[-1]
        position = (str(last.get("modifiedtime", "")), str(last.get("id", "")))
    return FeedResult(records=collector.records(), newest=collector.newest)


def sync_feed(
    client: VtigerClient,
    *,
    since: int,
    sync_type: str | None,
    seen: Mapping[str, tuple[int, str]],
    zone: ZoneInfo,
) -> FeedResult:
    """Every record changed after epoch ``since`` through the ``sync`` operation."""
    collector = _Collector(seen, zone)
    deleted: dict[str, None] = {}
    cursor = since
    for _ in range(MAX_SYNC_PAGES):
        page = client.sync(cursor, MODULE, sync_type)
        for row in page.get("updated") or []:
            if isinstance(row, dict):
                collector.offer(row)
        for record_id in page.get("deleted") or []:
            deleted[str(record_id)] = None
        last = int(page.get("lastModifiedTime") or cursor)
        # ``more`` without progress would loop forever; the next run picks up from here.
        if not page.get("more") or last <= cursor:
            break
        cursor = last
    records = collector.records()
    live = {str(r.get("id")) for r in records}
    return FeedResult(
        records=records,
        deleted=[i for i in deleted if i not in live],
        newest=collector.newest,
    )
