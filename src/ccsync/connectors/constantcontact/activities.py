"""Bulk activities: JSON import, bulk delete, and the read-back of imported contacts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccsync.connectors.constantcontact.bulk import batches, chunks, dumps, row_problem
from ccsync.connectors.constantcontact.client import ACTIVITY_RUNNING, CCClient
from ccsync.errors import RetriableError


@dataclass(slots=True)
class ImportResult:
    """What a bulk import (or bulk delete) did.

    Attributes:
        activities: activities started.
        calls: API calls spent (start, status polls).
        rows: rows sent.
        errors: ``activity_errors`` texts and rows refused before sending (for the log only;
            reasons are never parsed from them).
        rejected: rows not sent because they break an import limit, with the reason.
        activity_ids: ids of the activities, in order.
        batch_bytes: serialised size of each request body.
    """

    activities: int = 0
    calls: int = 0
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    rejected: list[tuple[Mapping[str, Any], str]] = field(default_factory=list)
    activity_ids: list[str] = field(default_factory=list)
    batch_bytes: list[int] = field(default_factory=list)


def import_contacts(
    client: CCClient, rows: Sequence[Mapping[str, Any]], list_ids: list[str]
) -> ImportResult:
    """Import ``rows`` (flat ``JsonImportContact`` objects) into ``list_ids``.

    All activities are started first, then polled, so CC processes them while we wait.
    """
    before = client.api_calls
    result = ImportResult()
    good = []
    for row in rows:
        problem = row_problem(row)
        if problem:
            result.rejected.append((row, problem))
        else:
            good.append(row)
    started = [
        _start_import(client, batch.rows, list_ids, result, batch.size)
        for batch in batches(good, list_ids)
    ]
    for activity in started:
        _finish(client, activity, result)
    result.calls = client.api_calls - before
    return result


def _start_import(
    client: CCClient,
    rows: list[Mapping[str, Any]],
    list_ids: list[str],
    result: ImportResult,
    size: int,
) -> dict[str, Any]:
    body = {"import_data": rows, "list_ids": list_ids}
    content = dumps(body).encode()
    activity = _post_activity(client, "/activities/contacts_json_import", content)
    result.activities += 1
    result.rows += len(rows)
    result.batch_bytes.append(size)
    result.activity_ids.append(str(activity.get("activity_id")))
    return activity


def _post_activity(client: CCClient, path: str, content: bytes) -> dict[str, Any]:
    # Re-sending an import after a lost answer is harmless: rows are matched by email.
    def attempt() -> dict[str, Any]:
        response = client.send("POST", path, content=content)
        return dict(response.json())

    result: dict[str, Any] = client.retrying()(attempt)
    return result


def _finish(client: CCClient, activity: dict[str, Any], result: ImportResult) -> None:
    final = client.wait_activity(activity)
    if final.get("state") in ACTIVITY_RUNNING:
        raise RetriableError(f"activity {final.get('activity_id')} still running after the timeout")
    if final.get("state") != "completed":
        result.errors.append(f"activity {final.get('activity_id')} ended {final.get('state')}")
    for error in final.get("activity_errors") or []:
        result.errors.append(str(error.get("message") if isinstance(error, dict) else error))


def delete_many(client: CCClient, ids: Sequence[str]) -> ImportResult:
    """Soft-delete ``ids`` with ``contact_delete`` activities of at most 500 ids each."""
    before = client.api_calls
    result = ImportResult()
    started = []
    for chunk in chunks(list(ids)):
        content = dumps({"contact_ids": chunk}).encode()
        started.append(_post_activity(client, "/activities/contact_delete", content))
        result.activities += 1
        result.rows += len(chunk)
        result.activity_ids.append(str(started[-1].get("activity_id")))
    for activity in started:
        _finish(client, activity, result)
    result.calls = client.api_calls - before
    return result
