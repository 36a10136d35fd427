"""Scope and record life: non-admin users, reassignment, restore, ids, writes, lossy chars."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ccsync.connectors.base import ChangeSet
from ccsync.connectors.vtiger import VtigerConnector, VtigerSettings
from ccsync.errors import RetriableError, SkippableRecordError

from .vtemu import VtigerEmulator


@dataclass
class Reader:
    """Runs reads for one user with fresh connectors, keeping the state between them."""

    emu: VtigerEmulator
    tmp: Path
    user: str = "admin"
    state: str | None = None
    open: list[VtigerConnector] = field(default_factory=list)

    def read(self) -> ChangeSet:
        self.emu.advance(2)
        connector = self.emu.connector(self.tmp, user=self.user)
        try:
            changes = connector.read_changes(self.state)
        finally:
            connector.close()
        self.state = changes.next_state
        self.emu.advance(2)
        return changes


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VtigerEmulator]:
    tmp = tmp_path_factory.mktemp("vt-scope")
    emulator = VtigerEmulator.start(tmp, "--seed-contacts", "150", name="vt-scope")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def admin(emu: VtigerEmulator, tmp_path: Path) -> Reader:
    reader = Reader(emu, tmp_path / "admin")
    reader.tmp.mkdir()
    reader.read()
    return reader


@pytest.fixture
def sales(emu: VtigerEmulator, tmp_path: Path) -> Reader:
    reader = Reader(emu, tmp_path / "sales", user="sales1")
    reader.tmp.mkdir()
    reader.read()
    return reader


@pytest.fixture
def connector(emu: VtigerEmulator, tmp_path: Path) -> Iterator[VtigerConnector]:
    built = emu.connector(tmp_path)
    yield built
    built.close()


def _user_id(emu: VtigerEmulator, name: str) -> str:
    users = emu.control.get("/users").json()
    return str(next(u["userId"] for u in users if u["name"] == name))


def test_non_admin_reads_only_its_own_contacts(emu: VtigerEmulator, tmp_path: Path) -> None:
    reader = Reader(emu, tmp_path)
    reader.user = "sales1"
    changes = reader.read()
    sales_id = _user_id(emu, "sales1")
    expected = {c["id"] for c in emu.live_contacts() if c["assigned_user_id"] == sales_id}
    assert expected and {r.id for r in changes.records} == expected
    assert all(r.fields["assigned_user_id"] == sales_id for r in changes.records)


def test_reassigned_contact_is_out_of_scope_not_deleted(
    emu: VtigerEmulator, admin: Reader, sales: Reader
) -> None:
    made = emu.ui_create({"lastname": "Moves Away", "email": "moves@example.com"})
    assert [r.id for r in admin.read().records] == [made["id"]]
    emu.post(f"/ui/contacts/{made['id']}/reassign", {"to_user": "sales1"})
    changes = admin.read()
    assert changes.out_of_scope_ids == [made["id"]]
    assert changes.deleted_ids == [] and changes.records == []
    assert [r.id for r in sales.read().records] == [made["id"]]


def test_non_admin_tells_hidden_from_deleted(emu: VtigerEmulator, sales: Reader) -> None:
    given = emu.ui_create({"lastname": "Given Away"}, user="sales1")
    doomed = emu.ui_create({"lastname": "Doomed"}, user="sales1")
    assert sorted(r.id for r in sales.read().records) == sorted([given["id"], doomed["id"]])
    emu.post(f"/ui/contacts/{given['id']}/reassign", {"to_user": "admin"})
    emu.ui_delete(doomed["id"])
    changes = sales.read()
    assert changes.out_of_scope_ids == [given["id"]]
    assert changes.deleted_ids == [doomed["id"]]
    assert changes.calls <= 4 + 2 * 8 + 2  # login, feed, count, bisection, IN, two retrieves


def test_create_and_delete_in_the_same_id_range(emu: VtigerEmulator, admin: Reader) -> None:
    admin_id = _user_id(emu, "admin")
    old = next(c for c in emu.live_contacts() if c["assigned_user_id"] == admin_id)
    emu.ui_delete(old["id"])
    made = emu.ui_create({"lastname": "Newcomer"})
    changes = admin.read()
    assert [r.id for r in changes.records] == [made["id"]]
    assert changes.deleted_ids == [old["id"]]
    again = admin.read()
    assert again.records == [] and again.deleted_ids == []


def test_recycle_bin_restore_comes_back_as_a_change(emu: VtigerEmulator, admin: Reader) -> None:
    made = emu.ui_create({"lastname": "Phoenix", "email": "phoenix@example.com"})
    admin.read()
    emu.ui_delete(made["id"])
    assert admin.read().deleted_ids == [made["id"]]
    emu.post(f"/ui/contacts/{made['id']}/restore")
    changes = admin.read()
    assert [r.id for r in changes.records] == [made["id"]]
    assert changes.deleted_ids == [] and not changes.records[0].deleted
    quiet = admin.read()
    assert quiet.records == [] and quiet.deleted_ids == []


def test_emoji_come_back_as_question_marks(connector: VtigerConnector) -> None:
    created = connector.create({"firstname": "Emo\U0001f600ji", "lastname": "Party \U0001f389"})
    assert created.fields["firstname"] == "Emo????ji"
    assert created.fields["lastname"] == "Party ????"
    with pytest.raises(SkippableRecordError) as info:
        connector.create({"lastname": "\U0001f600" * 21})
    assert info.value.reason == "value_too_long"
    assert info.value.message == "lastname is 84 characters; Vtiger keeps 80"


def test_writes_assign_validate_and_clear(emu: VtigerEmulator, connector: VtigerConnector) -> None:
    created = connector.create({"lastname": "Writer", "title": "Boss", "assigned_user_id": "19x5"})
    assert created.fields["assigned_user_id"] == connector.user_id
    cleared = connector.update(created.id, {"title": ""})
    assert cleared.fields["title"] == "" and cleared.fields["lastname"] == "Writer"
    with pytest.raises(SkippableRecordError) as info:
        connector.update(created.id, {"firstname": "F" * 41})
    assert info.value.message == "firstname is 41 characters; Vtiger keeps 40"
    connector.delete(created.id)
    with pytest.raises(SkippableRecordError) as gone:
        connector.update(created.id, {"title": "x"})
    assert gone.value.reason == "not_found"


def test_new_mandatory_field_is_learnt_after_one_refusal(
    emu: VtigerEmulator, connector: VtigerConnector
) -> None:
    assert "department" not in connector.schema().mandatory
    emu.post("/ui/fields/department/mandatory", {"mandatory": True})
    try:
        with pytest.raises(SkippableRecordError) as server:
            connector.create({"lastname": "NoDept"})
        assert server.value.reason == "missing_mandatory"
        before = emu.calls()
        with pytest.raises(SkippableRecordError) as local:
            connector.create({"lastname": "NoDeptAgain"})
        assert local.value.reason == "missing_mandatory"
        assert emu.calls() - before == 1  # the fresh describe; the create is refused locally
    finally:
        emu.post("/ui/fields/department/mandatory", {"mandatory": False})


def test_custom_field_appears_in_the_schema(emu: VtigerEmulator, tmp_path: Path) -> None:
    name = emu.post("/ui/fields", {"label": "External Ref", "type": "string", "length": 20})["name"]
    connector = emu.connector(tmp_path / "cf")
    try:
        info = connector.schema().fields[name]
        assert info.custom and info.label == "External Ref"
        created = connector.create({"lastname": "Custom", name: "EXT-1"})
        assert created.fields[name] == "EXT-1"
    finally:
        connector.close()


def test_create_many_runs_in_parallel_and_reports_per_record(
    connector: VtigerConnector,
) -> None:
    items = [{"lastname": f"Bulk {i}", "email": f"bulk{i}@example.com"} for i in range(8)]
    items.insert(3, {"lastname": "L" * 81})
    results = connector.create_many(items)
    assert len(results) == 9
    assert isinstance(results[3], SkippableRecordError) and results[3].reason == "value_too_long"
    made = [r for r in results if not isinstance(r, Exception)]
    assert len(made) == 8 and len({r.id for r in made}) == 8
    found = connector.find_by_email("BULK5@example.com")
    assert [r.fields["lastname"] for r in found] == ["Bulk 5"]


def test_a_create_whose_answer_was_lost_is_found_by_email(
    emu: VtigerEmulator, tmp_path: Path
) -> None:
    impatient = emu.connector(tmp_path / "lost", timeout=0.5)
    try:
        impatient.schema()
        emu.post("/faults", {"rules": [{"kind": "slow", "delay": 1.5, "operation": "create"}]})
        with pytest.raises(RetriableError):
            impatient.create({"lastname": "Lost Answer", "email": "Lost.Answer@example.com"})
    finally:
        emu.control.delete("/faults")
        impatient.close()
    # The emulator runs the create once its injected delay is over; poll its own view for it.
    deadline = time.monotonic() + 10
    while not any(c["lastname"] == "Lost Answer" for c in emu.live_contacts()):
        assert time.monotonic() < deadline, "the delayed create never ran"
        time.sleep(0.05)
    patient = emu.connector(tmp_path / "lost")
    try:
        found = patient.find_by_email("lost.answer@example.com")
    finally:
        patient.close()
    assert [r.fields["lastname"] for r in found] == ["Lost Answer"]


def test_a_change_the_feed_missed_triggers_a_full_scan(emu: VtigerEmulator, admin: Reader) -> None:
    sales_id = _user_id(emu, "sales1")
    moved = next(c for c in emu.live_contacts() if c["assigned_user_id"] == sales_id)
    emu.advance(-3600)  # a server clock that jumped back: the save lands behind the watermark
    try:
        emu.post(f"/ui/contacts/{moved['id']}/reassign", {"to_user": "admin"})
    finally:
        emu.advance(3600)
    before = emu.counters()["by_operation"]
    changes = admin.read()
    assert [r.id for r in changes.records] == [moved["id"]]
    after = emu.counters()["by_operation"]
    pages = len([c for c in emu.live_contacts() if c["assigned_user_id"] == "19x1"]) // 100 + 1
    assert after["query"] - before["query"] >= 2 + pages  # keyset, count(*), the id listing
    again = admin.read()
    assert again.records == [] and again.deleted_ids == []


def test_scheduled_full_scan_finds_deletions(emu: VtigerEmulator, tmp_path: Path) -> None:
    settings = dict(url=emu.proc.base_url, username="admin", access_key="demoAccessKey0123")
    state = None
    for _ in range(2):
        connector = VtigerConnector(
            VtigerSettings(**settings, full_scan_interval=0), state_dir=tmp_path
        )
        try:
            changes = connector.read_changes(state)
        finally:
            connector.close()
        state = changes.next_state
        if changes.complete:
            victim = changes.records[-1].id
            emu.ui_delete(victim)
            emu.advance(2)
    assert changes.deleted_ids == [victim] and not changes.complete
