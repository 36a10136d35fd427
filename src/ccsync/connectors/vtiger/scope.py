"""Telling a deleted record from one that only left the connector's view.

* Admin, default scope: the missing ids are listed again without the owner filter; those still
  there were reassigned (out of scope), the rest are deleted. One call per 100 ids.
* Non-admin: records of other users may be invisible, and an invisible record drops out of
  ``count(*)`` and ``id IN (...)`` exactly like a deleted one. ``retrieve`` still tells them
  apart: a hidden record answers ``ACCESS_DENIED`` "Permission to read given object is denied",
  a deleted or unknown one "Permission to perform the operation is denied"
  (fixtures ``non_admin_user.json``, ``reassign_and_restore.json``). One call per missing id
  that is not visible any more.
* Admin, all contacts: nothing can leave the view; missing means deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.client import VtigerClient
from ccsync.connectors.vtiger.deletions import ScopeQueries
from ccsync.connectors.vtiger.errors import RecordGone


@dataclass(slots=True)
class Verdict:
    """Missing record numbers split into deleted and out of scope."""

    deleted: list[int] = field(default_factory=list)
    out_of_scope: list[int] = field(default_factory=list)


def classify(
    missing: Sequence[int],
    queries: ScopeQueries,
    client: VtigerClient,
    *,
    is_admin: bool,
) -> Verdict:
    """Decide for each missing record number whether it was deleted or left the scope."""
    verdict = Verdict()
    if not missing:
        return verdict
    if queries.owner is None and is_admin:
        verdict.deleted.extend(missing)
        return verdict
    unseen: list[int] = []
    for start in range(0, len(missing), vtql.MAX_ROWS):
        chunk = missing[start : start + vtql.MAX_ROWS]
        visible = queries.present(chunk, scoped=False)
        verdict.out_of_scope.extend(n for n in chunk if n in visible)
        unseen.extend(n for n in chunk if n not in visible)
    if is_admin:
        verdict.deleted.extend(unseen)
        return verdict
    for number in unseen:
        _probe(number, queries.prefix, client, verdict)
    return verdict


def _probe(number: int, prefix: str, client: VtigerClient, verdict: Verdict) -> None:
    try:
        client.retrieve(vtql.ws_id(prefix, number))
    except RecordGone as gone:
        (verdict.out_of_scope if gone.hidden else verdict.deleted).append(number)
        return
    # Readable but not counted in scope: it belongs to someone else now.
    verdict.out_of_scope.append(number)
