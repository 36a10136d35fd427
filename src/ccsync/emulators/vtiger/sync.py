"""``sync`` (GetUpdates.php) as it works where it is not broken: windows of modifiedtime."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterator

from ccsync.emulators.vtiger.errors import VtigerError, denied_for_name
from ccsync.emulators.vtiger.records import render
from ccsync.emulators.vtiger.state import Record, Store, User

SYNC_LIMIT = 100
_BIG = 1 << 62
SYNC_TYPES = ("user", "userandgroup", "application")


def run(
    store: Store,
    user: User,
    modified_time: str | None,
    element_type: str | None,
    sync_type: str = "user",
) -> dict[str, object]:
    """Answer ``sync``.

    The window is fixed by the first 100 rows changed after ``modifiedTime`` (ascending); every
    record changed up to and including the last of those seconds is returned, so a page can hold
    more than 100 records. Only records owned by ``user`` count unless ``sync_type`` is
    ``application`` (admins only).

    Args:
        store: The emulator state (the caller holds its lock).
        user: The caller.
        modified_time: Epoch seconds (string) of the previous ``lastModifiedTime``.
        element_type: One module, or None for all.
        sync_type: ``user``, ``userandgroup`` (no groups here: same as user) or ``application``.

    Returns:
        ``{"updated", "deleted", "more", "lastModifiedTime"}``.
    """
    since_epoch = _epoch(modified_time)
    modules = _modules(store, element_type)
    if sync_type not in SYNC_TYPES:
        raise VtigerError("ACCESS_DENIED", "Invalid sync type")
    if sync_type == "application" and not user.is_admin:
        raise VtigerError("ACCESS_DENIED", "Only admin users can perform application sync")
    since = store.stamp_of(since_epoch)
    entries = _owned(store, _changed_after(store, modules, since), user, sync_type)
    window, more = _window(entries)
    if not window:
        return {"updated": [], "deleted": [], "more": False, "lastModifiedTime": since_epoch}
    updated = [render(store, r, user, label=False) for r in window if not r.deleted]
    deleted = [store.ws_id(r) for r in window if r.deleted]
    last = store.epoch_of(window[-1].values["modifiedtime"])
    return {"updated": updated, "deleted": deleted, "more": more, "lastModifiedTime": last}


def _epoch(raw: str | None) -> int:
    try:
        return int(float(raw or "0"))
    except ValueError as exc:
        raise VtigerError("INVALID_MODIFIED_TIME", "Invalid modifiedTime") from exc


def _modules(store: Store, element_type: str | None) -> list[str]:
    if not element_type:
        return list(store.schemas)
    if element_type not in store.schemas:
        raise denied_for_name(element_type)
    return [element_type]


def _changed_after(store: Store, modules: list[str], since: str) -> Iterator[tuple[str, int]]:
    slices = []
    for module in modules:
        index = store.by_mtime[module]
        slices.append(index[bisect.bisect_right(index, (since, _BIG)) :])
    return heapq.merge(*slices)


def _owned(
    store: Store, entries: Iterator[tuple[str, int]], user: User, sync_type: str
) -> Iterator[Record]:
    for _, crmid in entries:
        record = store.records[crmid]
        if sync_type == "application" or record.owner == user.number:
            yield record


def _window(records: Iterator[Record]) -> tuple[list[Record], bool]:
    """The first 100 records plus every record sharing the last one's second; and ``more``."""
    window: list[Record] = []
    for record in records:
        if len(window) < SYNC_LIMIT:
            window.append(record)
            continue
        if record.values["modifiedtime"] == window[-1].values["modifiedtime"]:
            window.append(record)
            continue
        return window, True
    return window, False
