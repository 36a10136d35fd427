"""Bulk contact export: start ``contact_exports``, poll it, stream and parse the CSV.

Why this does **not** replace the paged full read (``GET /contacts?status=all&include=…``):
the export CSV carries ``Email address, First name, Last name, Job title, Company, Email
permission status, Phone number, Created At, Updated At`` (the emulator's
``EXPORT_COLUMNS``; CC documents a similar set of ``fields``, none of them ``contact_id``).
It has no ``contact_id``, no list memberships (real CC names lists, it does not give ids), no
custom fields by id, no street addresses, no birthday/anniversary, one phone without its
``kind``, no opt-out source/date, and (emulator: always; CC: by default) only active
contacts, never deleted ones. Links, ``PUT`` and ``DELETE`` address contacts by id, and the
only way to learn ids is the paged read itself, so an export cannot yield ``RemoteRecord``s the
engine could use. This module therefore yields *partial* contact resources (same key shape as
``ContactResource`` for what the CSV has), keyed by email, for callers that only need those
columns (e.g. a consent or name snapshot of every active contact in O(1) calls).

The CSV is parsed as it arrives (``httpx2`` streaming + ``csv.reader``), so memory stays flat
in the number of contacts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2

from ccsync.connectors.constantcontact.client import ACTIVITY_RUNNING, CCClient
from ccsync.connectors.constantcontact.errors import transport_error
from ccsync.errors import RetriableError, UnavailableOperation

EXPORT_PATH = "/activities/contact_exports"
_EMAIL = ("email_address", "address")
# normalised CSV header (casefolded, "_" → " ") → where the value goes in a contact resource
COLUMNS: dict[str, tuple[str, ...]] = {
    "email address": _EMAIL,
    "email": _EMAIL,
    "email permission status": ("email_address", "permission_to_send"),
    "first name": ("first_name",),
    "last name": ("last_name",),
    "job title": ("job_title",),
    "company": ("company_name",),
    "company name": ("company_name",),
    "phone number": ("phone_numbers",),
    "created at": ("created_at",),
    "updated at": ("updated_at",),
}


@dataclass(slots=True)
class ExportRun:
    """What one export did.

    Attributes:
        activity_id: the export activity.
        expected: ``status.items_total_count`` of the completed activity.
        rows: contacts yielded.
        calls: API calls spent (start, polls, download), set once the CSV is fully read.
        skipped: ``(CSV line, reason)`` of rows that could not be read.
        unmapped: CSV columns this module does not map (ignored).
    """

    activity_id: str = ""
    expected: int = 0
    rows: int = 0
    calls: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def export_contacts(
    client: CCClient, run: ExportRun, list_ids: Sequence[str] = ()
) -> Iterator[dict[str, Any]]:
    """Export contacts (all, or members of ``list_ids``) and yield them as partial resources.

    Args:
        client: the API client.
        run: filled in with the activity id, counts and skipped rows.
        list_ids: export only members of these lists (≤ 50); empty exports the account.

    Raises:
        RetriableError: the activity is still running after the polling timeout, or the
            download broke off.
        UnavailableOperation: the activity ended other than ``completed``, or gave no file.
    """
    before = client.api_calls
    body: dict[str, Any] = {"list_ids": list(list_ids)} if list_ids else {}
    # re-sending after a lost answer only leaves an unused export activity behind
    started: dict[str, Any] = client.retrying()(
        lambda: dict(client.send("POST", EXPORT_PATH, json=body).json())
    )
    run.activity_id = str(started.get("activity_id"))
    href = _results_link(client.wait_activity(started), run)
    yield from parse_csv(_download(client, href), run)
    run.calls = client.api_calls - before


def _results_link(final: dict[str, Any], run: ExportRun) -> str:
    state = final.get("state")
    if state in ACTIVITY_RUNNING:
        raise RetriableError(f"export activity {run.activity_id} still running after the timeout")
    href = ((final.get("_links") or {}).get("results") or {}).get("href")
    if state != "completed" or not href:
        raise UnavailableOperation(
            f"export activity {run.activity_id} ended {state} without a file"
        )
    run.expected = int((final.get("status") or {}).get("items_total_count") or 0)
    return str(href)


# --- download ----------------------------------------------------------------------------


def _download(client: CCClient, href: str) -> Iterator[bytes]:
    """The CSV body in chunks, as it arrives (the response is closed when exhausted)."""
    response = client.retrying()(lambda: _open(client, href))
    try:
        yield from response.iter_bytes()
    except httpx2.TransportError as exc:
        raise transport_error(exc) from None
    finally:
        response.close()


def _open(client: CCClient, href: str) -> httpx2.Response:
    """The export file, streamed through the client's budget, limiter and token."""
    return client.send("GET", href, stream=True, accept="text/csv")


class _ChunkReader(io.RawIOBase):
    """A readable binary file over an iterator of byte chunks (so ``io`` decodes lines)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        size = min(len(buffer), len(self._left))
        buffer[:size] = self._left[:size]
        self._left = self._left[size:]
        return size


# --- parsing ------------------------------------------------------------------------------


def parse_csv(chunks: Iterator[bytes], run: ExportRun) -> Iterator[dict[str, Any]]:
    """Contacts from an export CSV given as byte chunks, read incrementally.

    Quoted cells may hold commas and line breaks; a UTF-8 BOM is dropped and invalid UTF-8 is
    replaced. Rows with a wrong number of cells or without an email are recorded in
    ``run.skipped`` and left out.

    Raises:
        UnavailableOperation: the file is empty or has no email column.
    """
    text = io.TextIOWrapper(
        io.BufferedReader(_ChunkReader(chunks)), encoding="utf-8-sig", errors="replace", newline=""
    )
    reader = csv.reader(text)
    paths = _header(next(reader, None), run)
    for cells in reader:
        if not any(cells):
            continue
        contact = _contact(paths, cells, reader.line_num, run)
        if contact is not None:
            run.rows += 1
            yield contact


def _header(cells: list[str] | None, run: ExportRun) -> list[tuple[str, ...] | None]:
    if not cells:
        raise UnavailableOperation("the export file is empty (no header row)")
    names = [cell.strip().casefold().replace("_", " ") for cell in cells]
    paths = [COLUMNS.get(name) for name in names]
    if _EMAIL not in paths:
        raise UnavailableOperation(f"the export file has no email column (columns: {cells[:20]})")
    run.unmapped = [cell for cell, path in zip(cells, paths, strict=True) if path is None]
    return paths


def _contact(
    paths: list[tuple[str, ...] | None], cells: list[str], line: int, run: ExportRun
) -> dict[str, Any] | None:
    """One row as a partial contact resource (empty cells leave their key out)."""
    if len(cells) != len(paths):
        run.skipped.append((line, f"row has {len(cells)} cells, the header has {len(paths)}"))
        return None
    email: dict[str, Any] = {}
    contact: dict[str, Any] = {"email_address": email}
    for path, value in zip(paths, cells, strict=True):
        if path == ("phone_numbers",):
            # the CSV has one phone and no kind: the contact's first phone, kind unknown
            contact["phone_numbers"] = [{"phone_number": value}] if value else []
        elif path is not None and value:
            (email if path[0] == "email_address" else contact)[path[-1]] = value
    if not email.get("address"):
        run.skipped.append((line, "row without an email address"))
        return None
    return contact
