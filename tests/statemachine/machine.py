"""The Hypothesis state machine of the whole sync (PRODUCT 3.4 invariants under random work).

People act on both sides through the emulators' controls (creates, edits, deletes, opt-outs,
unsubscribes and re-subscriptions by the contact, email changes), runs happen in between, some
with faults (429, 5xx, dropped connections) and some crashing at a random write. At every quiet
point — faults cleared, due retries and held actions released, runs repeated until one writes
nothing — the invariants are checked.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule
from sqlalchemy import update

from ccsync.domain.normalize import email_key
from ccsync.engine import outcome
from ccsync.engine.mapping import cc_to_canonical, crm_to_canonical, default_mapping
from ccsync.store import repos
from ccsync.store.models import RetryEntry
from integration.engine.harness import Emulators, World

EMAILS = [f"p{n}@example.com" for n in range(6)]
NAMES = ["Ann", "Bo", "Cy", "Dee"]
CITIES = ["Oslo", "Lima", ""]
MAPPING = default_mapping()


class SimulatedCrash(BaseException):
    """Stands for a kill of the run at one write: nothing uncommitted survives."""


class Context:
    """What every example shares: the emulators, a template installation, a work directory.

    Every example works in the same data directory (the CC limiter's file and its background
    thread live there across examples) on a fresh copy of the template's database.
    """

    emus: Emulators
    template: Path
    workdir: Path


def fresh_database(template: Path, workdir: Path) -> None:
    """Give ``workdir`` a fresh copy of the template's database (and its key files)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        (workdir / f"ccsync.db{suffix}").unlink(missing_ok=True)
    for name in ("ccsync.db", "secret.key", "session.key"):
        shutil.copy2(template / name, workdir / name)
    vtiger = template / "vtiger"
    if vtiger.exists():
        shutil.copytree(vtiger, workdir / "vtiger", dirs_exist_ok=True)


def live_crm(world: World) -> list[dict[str, Any]]:
    """Live Vtiger contacts."""
    return world.crm_all()


def live_cc(world: World) -> list[dict[str, Any]]:
    """Live CC contacts."""
    return world.cc_all()


def _email(row: dict[str, Any], cc: bool) -> str:
    raw = row["email_address"]["address"] if cc else row.get("email", "")
    return email_key(raw) or "" if raw else ""


class SyncMachine(RuleBasedStateMachine):
    """Random work on both sides with runs in between; invariants at quiet points."""

    def __init__(self) -> None:
        super().__init__()
        Context.emus.reset()
        fresh_database(Context.template, Context.workdir)
        self.world = World(Context.emus, Context.workdir, existing=True)
        self.resubscribed: set[str] = set()
        self.seen_unsubscribed: set[str] = set()
        self.synced = False

    def teardown(self) -> None:
        outcome.write_hook = None
        try:
            self.settle()
        finally:
            self.world.close()

    # -- Vtiger users ----------------------------------------------------------------------

    def _free_email(self, data: st.DataObject) -> str | None:
        used = {_email(r, False) for r in live_crm(self.world)}
        used |= {_email(r, True) for r in self.world.cc_all(deleted=True)}
        free = [e for e in EMAILS if e not in used]
        return data.draw(st.sampled_from(free)) if free else None

    @rule(data=st.data(), name=st.sampled_from(NAMES), optout=st.sampled_from(["0", "0", "1"]))
    def crm_create(self, data: st.DataObject, name: str, optout: str) -> None:
        used = {_email(r, False) for r in live_crm(self.world)}
        free = [e for e in EMAILS if e not in used]
        if free:
            email = data.draw(st.sampled_from(free))
            self.world.crm_create(firstname=name, lastname="Crm", email=email, emailoptout=optout)

    @rule(data=st.data(), field=st.sampled_from(["firstname", "mailingcity", "title"]))
    def crm_edit(self, data: st.DataObject, field: str) -> None:
        rows = live_crm(self.world)
        if rows:
            row = data.draw(st.sampled_from(rows))
            value = data.draw(st.sampled_from(NAMES if field != "mailingcity" else CITIES))
            self.world.crm_edit(row["id"], **{field: value})

    @rule(data=st.data(), flag=st.sampled_from(["0", "1"]))
    def crm_opt_out(self, data: st.DataObject, flag: str) -> None:
        rows = live_crm(self.world)
        if rows:
            self.world.crm_edit(data.draw(st.sampled_from(rows))["id"], emailoptout=flag)

    @rule(data=st.data())
    def crm_change_email(self, data: st.DataObject) -> None:
        rows = live_crm(self.world)
        used = {_email(r, False) for r in rows} | {_email(r, True) for r in live_cc(self.world)}
        free = [e for e in EMAILS if e not in used]
        if rows and free:
            row = data.draw(st.sampled_from(rows))
            self.world.crm_edit(row["id"], email=data.draw(st.sampled_from(free)))

    @rule(data=st.data())
    def crm_delete(self, data: st.DataObject) -> None:
        rows = live_crm(self.world)
        if rows:
            self.world.crm_delete(data.draw(st.sampled_from(rows))["id"])

    # -- Constant Contact: the owner and the contacts --------------------------------------------

    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def cc_create(self, data: st.DataObject, name: str) -> None:
        email = self._free_email(data)
        if email:
            self.world.cc_create(email, first_name=name, last_name="Cc")

    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def cc_edit(self, data: st.DataObject, name: str) -> None:
        rows = live_cc(self.world)
        if rows:
            self.world.cc_edit(data.draw(st.sampled_from(rows))["contact_id"], first_name=name)

    @rule(data=st.data())
    def cc_change_email(self, data: st.DataObject) -> None:
        rows = live_cc(self.world)
        email = self._free_email(data)
        if rows and email:
            row = data.draw(st.sampled_from(rows))
            self.world.cc_edit(row["contact_id"], email_address={"address": email})

    @rule(data=st.data())
    def cc_delete(self, data: st.DataObject) -> None:
        rows = live_cc(self.world)
        if rows:
            self.world.cc_delete(data.draw(st.sampled_from(rows))["contact_id"])

    @rule(data=st.data())
    def contact_unsubscribes(self, data: st.DataObject) -> None:
        rows = [r for r in live_cc(self.world) if _permission(r) != "unsubscribed"]
        if rows:
            self.world.cc_unsubscribe(data.draw(st.sampled_from(rows))["contact_id"])

    @rule(data=st.data())
    def contact_resubscribes(self, data: st.DataObject) -> None:
        rows = [r for r in live_cc(self.world) if _permission(r) == "unsubscribed"]
        if rows:
            cc_id = data.draw(st.sampled_from(rows))["contact_id"]
            self.world.cc_resubscribe(cc_id)
            self.resubscribed.add(cc_id)

    # -- runs ---------

    @rule()
    def run(self) -> None:
        result = self.world.sync()
        assert result.status in ("succeeded", "partial"), result.error
        self.synced = True

    @rule(
        side=st.sampled_from(["cc", "crm"]),
        kind=st.sampled_from([429, 500, 503, "drop"]),
        probability=st.sampled_from([0.2, 0.5]),
        seed=st.integers(0, 1000),
    )
    def run_with_faults(self, side: str, kind: Any, probability: float, seed: int) -> None:
        rule_ = {"count": None, "probability": probability}
        rule_.update({"kind": "drop"} if kind == "drop" else {"status": kind})
        if side == "cc":
            rule_["path_prefix"] = "/v3"
        self.world.faults(side, [rule_], seed=seed)
        try:
            result = self.world.sync()
        finally:
            self._clear_faults()
        assert result.status in ("succeeded", "partial", "failed"), (result.status, result.error)

    @rule(k=st.integers(1, 6))
    def run_crashing_at_write(self, k: int) -> None:
        seen = {"n": 0}

        def hook(kind: str) -> None:
            seen["n"] += 1
            if seen["n"] == k:
                raise SimulatedCrash(kind)

        outcome.write_hook = hook
        try:
            self.world.sync()
        except SimulatedCrash:
            self._expire_lease()
        finally:
            outcome.write_hook = None

    @precondition(lambda self: self.synced)
    @rule()
    def quiet_point(self) -> None:
        self.settle()

    # -- quiet points and invariants ---------

    def settle(self) -> None:
        """Release faults, retries and held actions; run until quiet; check 3.4."""
        self._clear_faults()
        for _ in range(3):
            self._make_retries_due()
            if self._held():
                self.world.held(confirm=True)
            self.world.until_quiet(limit=8)
            if not self._pending():
                break
        quiet = self.world.sync()
        assert quiet.writes == 0, ("the next run writes nothing", quiet.counts)
        self.verify_quiet_point()

    def verify_quiet_point(self) -> None:
        crm_rows, cc_rows = self.world.crm_all(deleted=True), self.world.cc_all(deleted=True)
        crm = {r["id"]: r for r in crm_rows}
        cc = {r["contact_id"]: r for r in cc_rows}
        links = [link for link in self.world.links() if not link.tombstoned]
        self._no_duplicates(crm_rows, cc_rows, links)
        dead = self._dead_ids()
        for link in links:
            if link.crm_id in dead or link.cc_id in dead:
                continue
            crm_row, cc_row = crm.get(link.crm_id), cc.get(link.cc_id)
            assert crm_row is not None and not crm_row.get("deleted"), ("live CRM", link)
            assert cc_row is not None and not cc_row.get("deleted_at"), ("live CC", link)
            _equal_pair(crm_row, cc_row)
        self._consent(cc_rows)

    def _no_duplicates(self, crm_rows: list[Any], cc_rows: list[Any], links: list[Any]) -> None:
        # people may give two Vtiger contacts one email (an email change synced from CC can
        # meet a contact someone just typed in); ccsync itself must never create a second one
        crm_emails = Counter(
            _email(r, False)
            for r in crm_rows
            if not r.get("deleted") and r.get("source") == "WEBSERVICE"
        )
        cc_emails = Counter(_email(r, True) for r in cc_rows if not r.get("deleted_at"))
        crm_emails.pop("", None)
        assert max(crm_emails.values(), default=1) == 1, ("CRM duplicate", crm_emails)
        assert max(cc_emails.values(), default=1) == 1, ("CC duplicate", cc_emails)
        assert len({link.crm_id for link in links}) == len(links)
        assert len({link.cc_id for link in links}) == len(links)

    def _consent(self, cc_rows: list[Any]) -> None:
        for row in cc_rows:
            cc_id, permission = row["contact_id"], _permission(row)
            if cc_id in self.seen_unsubscribed and cc_id not in self.resubscribed:
                assert permission == "unsubscribed", ("re-subscribed without the contact", row)
            if permission == "unsubscribed":
                self.seen_unsubscribed.add(cc_id)
        self.resubscribed.clear()

    # -- helpers ---------

    def _clear_faults(self) -> None:
        for proc in (self.world.emus.cc, self.world.emus.vt):
            self.world.emus.http.delete(proc.base_url + "/_emulator/faults").raise_for_status()

    def _make_retries_due(self) -> None:
        with self.world.sessions.begin() as session:
            session.execute(
                update(RetryEntry)
                .where(RetryEntry.dead.is_(False))
                .values(next_attempt_at=RetryEntry.created_at)
            )

    def _pending(self) -> bool:
        with self.world.sessions.begin() as session:
            return bool(repos.list_retries(session, self.world.connector_id, dead=False))

    def _held(self) -> bool:
        with self.world.sessions.begin() as session:
            return bool(repos.list_held(session, self.world.connector_id))

    def _dead_ids(self) -> set[str]:
        with self.world.sessions.begin() as session:
            dead = repos.list_retries(session, self.world.connector_id, dead=True)
        return {d.record_id for d in dead}

    def _expire_lease(self) -> None:
        from ccsync.store.models import RunLease

        with self.world.sessions.begin() as session:
            session.execute(update(RunLease).values(expires_at=RunLease.acquired_at))


def _permission(row: dict[str, Any]) -> str:
    return str(row.get("email_address", {}).get("permission_to_send") or "")


def _equal_pair(crm_row: dict[str, Any], cc_row: dict[str, Any]) -> None:
    """Mapped fields equal; Email Opt Out equals "CC says unsubscribed"."""
    crm = crm_to_canonical(crm_row, MAPPING)
    cc, consent = cc_to_canonical(cc_row, MAPPING)
    for name, value in cc.items():
        assert MAPPING.equal(name, crm.get(name, ""), value), (name, crm, cc)
    assert (crm.get("emailoptout", "0") == "1") == consent.unsubscribed, (crm, consent)
