"""Bulk contact export (``contact_exports``): O(1) calls, same values as the paged read."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ccsync.connectors.constantcontact.export import ExportRun, parse_csv
from ccsync.connectors.trace import TraceEntry
from ccsync.errors import UnavailableOperation

from .ccemu import Emulator, connector_for, settings_for, start_emulator

SEEDED = 2000
EXPORT_KEYS = ("first_name", "last_name", "job_title", "company_name", "created_at", "updated_at")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """An emulator of its own holding exactly ``SEEDED`` contacts (nothing else writes to it)."""
    path = tmp_path_factory.mktemp("cc-export")
    args = ("--seed-contacts", str(SEEDED), "--activity-rate", "100000", "--auto-approve")
    emulator = start_emulator(path, *args)
    yield emulator
    emulator.stop()


def _view(contact: dict[str, Any]) -> dict[str, Any]:
    """What the CSV can carry, as the paged read shows it (first phone, without its kind)."""
    email = contact["email_address"]
    phones = contact.get("phone_numbers") or []
    return {
        "email": email["address"],
        "permission": email.get("permission_to_send"),
        "phone": phones[0]["phone_number"] if phones else None,
        **{key: contact.get(key) for key in EXPORT_KEYS},
    }


def _measure(emu: Emulator, tmp_path: Path) -> dict[str, Any]:
    """Paged read then export, each with its own call count and duration."""
    cc = connector_for(emu, tmp_path)
    try:
        emu.clear_counters()
        began = time.perf_counter()
        paged = [record.fields for record in cc.read_all()]
        paged_s, paged_calls = time.perf_counter() - began, emu.counters()
        emu.clear_counters()
        run, began = ExportRun(), time.perf_counter()
        exported = list(cc.export_contacts(run))
        export_s, export_calls = time.perf_counter() - began, emu.counters()
    finally:
        cc.close()
    return {
        "paged": paged, "paged_calls": paged_calls, "paged_s": paged_s, "run": run,
        "exported": exported, "export_calls": export_calls, "export_s": export_s,
    }  # fmt: skip


def _check(m: dict[str, Any], contacts: int) -> None:
    """Same values per email for every active contact; the export costs start+polls+download."""
    paged, exported, run = m["paged"], m["exported"], m["run"]
    assert len(paged) == contacts
    assert m["paged_calls"]["by_endpoint"] == {"GET /v3/contacts": math.ceil(contacts / 500)}
    active = {c["email_address"]["address"]: _view(c) for c in paged if not c.get("deleted_at")}
    assert 0 < len(active) < contacts  # the seed has deleted contacts, which the export omits
    assert {c["email_address"]["address"]: _view(c) for c in exported} == active
    assert run.rows == run.expected == len(exported) == len(active)
    assert run.skipped == [] and run.unmapped == []
    counts = m["export_calls"]["by_endpoint"]
    polls = counts.pop("GET /v3/activities/{activity_id}", 0)
    assert counts == {
        "POST /v3/activities/contact_exports": 1,
        "GET /v3/contact_exports/{file_export_id}": 1,
    }
    assert polls <= 8
    assert run.calls == m["export_calls"]["total"] == 2 + polls


def test_export_has_the_paged_values_in_constant_calls(seeded: Emulator, tmp_path: Path) -> None:
    """2,000 contacts: 4 paged calls vs start + polls + download, same values per email."""
    measured = _measure(seeded, tmp_path)
    _check(measured, SEEDED)
    print(
        f"\n{SEEDED} contacts: paged {measured['paged_calls']['total']} calls "
        f"{measured['paged_s']:.2f}s; export {measured['run'].calls} calls "
        f"{measured['export_s']:.2f}s"
    )


def test_export_with_debug_trace(seeded: Emulator, tmp_path: Path) -> None:
    """Debug Mode buffers the traced CSV but the export still yields every active contact."""
    entries: list[TraceEntry] = []
    cc = connector_for(seeded, tmp_path, trace=entries.append)
    try:
        token = cc.tokens.current().access_token
        emails = {c["email_address"]["address"] for c in cc.export_contacts()}
    finally:
        cc.close()
    active = {
        c["email_address"]["address"] for c in seeded.all_contacts() if not c.get("deleted_at")
    }
    assert emails == active
    download = [e for e in entries if "/contact_exports/" in e.url]
    assert len(download) == 1 and download[0].response_body.startswith("Email address,")
    assert token not in repr(entries)


def test_list_scope_exports_the_target_list(seeded: Emulator, tmp_path: Path) -> None:
    """List scope exports the members of the target list only (a seeded list)."""
    settings = settings_for(seeded, scope="lists", target_list="Newsletter")
    cc = connector_for(seeded, tmp_path, settings=settings)
    try:
        list_id = cc.ensure_list("Newsletter")
        exported = {c["email_address"]["address"] for c in cc.export_contacts()}
    finally:
        cc.close()
    members = {
        c["email_address"]["address"]
        for c in seeded.all_contacts()
        if list_id in c["list_memberships"] and not c.get("deleted_at")
    }
    assert 0 < len(members) < SEEDED and exported == members


@pytest.mark.bench
def test_export_calls_for_20000_contacts(tmp_path: Path) -> None:
    """20,000 contacts: 40 paged calls vs a constant number for the export."""
    args = ("--seed-contacts", "20000", "--activity-rate", "100000", "--auto-approve")
    emu = start_emulator(tmp_path, *args)
    try:
        measured = _measure(emu, tmp_path)
    finally:
        emu.stop()
    _check(measured, 20000)
    print(
        f"\n20000 contacts: paged {measured['paged_calls']['total']} calls "
        f"{measured['paged_s']:.2f}s; export {measured['run'].calls} calls "
        f"{measured['export_s']:.2f}s"
    )


# --- the CSV parser on its own (real CC quirks the emulator does not produce) ---------------

CSV = (
    "\ufeffEmail address,First name,Last name,Company,Phone number,Updated At,Source Name\r\n"
    'ann@example.com,Ann,"Lind, qvist",Acme,+46 8 555,2026-01-02T03:04:05Z,Web\r\n'
    'bo@example.com,"Bo\r\nBo",Öst,,,2026-01-03T00:00:00Z,Web\r\n'
    "short@example.com,Short\r\n"
    ",NoEmail,,,,,\r\n"
    "\r\n"
    "cy@example.com,Cy,,,,,\r\n"
)


def _chunks(data: bytes, size: int, taken: list[int]) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        taken.append(start)
        yield data[start : start + size]


def test_parse_csv_handles_quotes_bom_and_bad_rows() -> None:
    """Chunks split inside UTF-8 characters and CRLFs; bad rows are skipped with a reason."""
    run = ExportRun()
    contacts = list(parse_csv(_chunks(CSV.encode(), 7, []), run))
    assert contacts == [
        {
            "email_address": {"address": "ann@example.com"},
            "first_name": "Ann",
            "last_name": "Lind, qvist",
            "company_name": "Acme",
            "phone_numbers": [{"phone_number": "+46 8 555"}],
            "updated_at": "2026-01-02T03:04:05Z",
        },
        {
            "email_address": {"address": "bo@example.com"},
            "first_name": "Bo\r\nBo",
            "last_name": "Öst",
            "phone_numbers": [],
            "updated_at": "2026-01-03T00:00:00Z",
        },
        {"email_address": {"address": "cy@example.com"}, "first_name": "Cy", "phone_numbers": []},
    ]
    assert run.skipped == [
        (5, "row has 2 cells, the header has 7"),
        (6, "row without an email address"),
    ]
    assert run.unmapped == ["Source Name"] and run.rows == 3


def test_parse_csv_streams() -> None:
    """The first contact arrives after a few chunks of a large file, not after all of them."""
    rows = "".join(f"p{i}@example.com,P{i}\n" for i in range(20000))
    data = ("Email address,First name\n" + rows).encode()
    taken: list[int] = []
    contacts = parse_csv(_chunks(data, 4096, taken), ExportRun())
    assert next(contacts)["email_address"]["address"] == "p0@example.com"
    total = math.ceil(len(data) / 4096)
    assert len(taken) <= 4 < total
    assert sum(1 for _ in contacts) == 19999 and len(taken) == total


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "empty"), (b"First name,Last name\nAnn,Lind\n", "no email column")],
)
def test_parse_csv_refuses_a_file_it_cannot_read(data: bytes, message: str) -> None:
    """No header, or no email column: a clear error instead of contacts without addresses."""
    with pytest.raises(UnavailableOperation, match=message):
        list(parse_csv(iter([data]), ExportRun()))
