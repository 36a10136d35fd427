"""Adapter: tell the Vtiger change-read state about the records this run created or deleted.

The Vtiger connector finds deletions by comparing ``count(*)`` with an inventory of the ids its
reads returned. A contact ccsync itself creates is not in that inventory until a later read
returns it — and if a person deletes it before that, the delete is never noticed and the pair
stays linked to a deleted record. The connector has no API for "ids written by the caller", so
the runner adds them to the state it stores (and drops the ids it deleted) through the
connector's own ``VtigerState`` codec. Gap reported: the connector should offer this itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.state import VtigerState
from ccsync.errors import SkippableRecordError


def with_written(raw: str, created: Sequence[str], deleted: Sequence[str]) -> str:
    """``raw`` with ``created`` ids added to the inventory and ``deleted`` ids removed.

    A state this adapter does not understand (another version) is returned unchanged.
    """
    if not created and not deleted:
        return raw
    try:
        who = str(json.loads(raw).get("who", ""))
    except (ValueError, AttributeError):
        return raw
    state = VtigerState.load(raw, who)
    if state.first_run:
        return raw
    for record_id, add in [*((i, True) for i in created), *((i, False) for i in deleted)]:
        _apply(state, record_id, add=add)
    return state.dump()


def _apply(state: VtigerState, record_id: str, *, add: bool) -> None:
    try:
        prefix, number = vtql.split_id(record_id)
    except SkippableRecordError:
        return
    if not state.prefix:
        state.prefix = prefix
    if prefix != state.prefix:
        return
    if add:
        state.add(number)
    else:
        state.remove(number)
