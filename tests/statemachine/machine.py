"""The Hypothesis state machine of the whole sync in a harsh world (the sync rules of
docs/sync-rules.md under random work).

Emails come from a pool of six addresses in three spellings each, so values collide: duplicates
in the CRM, email changes onto addresses in use, delete-and-recreate with the same email, CC
contacts unsubscribing and re-subscribing themselves, opt-out flips, organisations. Each example
draws a direction and a CC scope (the whole account or the target list, with people adding and
removing members). Runs happen in between: clean, with HTTP faults (500/503, dropped
connections, requests applied whose answer is lost) or killed — a ``ccsync sync`` subprocess
SIGKILLed at its k-th write. At quiet points (faults cleared, retries due, held actions
confirmed, runs repeated until two in a row write nothing) ``checks.verify`` checks the
invariants.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from sqlalchemy import select, update

from ccsync.engine.result import RunResult
from ccsync.store.models import Link, RetryEntry, RunLease
from integration.engine.harness import Emulators, World
from statemachine import checks
from statemachine.world import (
    BASES,
    ORGS,
    create_orgs,
    create_target_list,
    crm_email,
    killed_sync,
    permission,
    variant,
)

NAMES = ["Ann", "Bo", "Cy", "Dee"]
CITIES = ["Oslo", "Lima", ""]
SETTLE_RUNS = 10
PICK = st.integers(0, 11)
OPTOUT = st.sampled_from(["0", "0", "1"])
ORG = st.integers(0, 2)
"""Which of the live rows a person acts on (by position, so failing steps print short)."""


class Context:
    """What every example shares: the emulators, a template installation, a work directory.

    Every example works in the same data directory on a fresh copy of the template's database.
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


class SyncMachine(RuleBasedStateMachine):
    """Random work on both sides with runs in between; invariants at quiet points."""

    def __init__(self) -> None:
        super().__init__()
        Context.emus.reset()
        fresh_database(Context.template, Context.workdir)
        self.world = World(Context.emus, Context.workdir, existing=True)
        self.log = checks.History()
        self.synced = False

    def teardown(self) -> None:
        try:
            if self.synced:
                self.settle()
        finally:
            self.world.close()

    @initialize(
        direction=st.sampled_from(["both", "both", "crm_to_cc", "cc_to_crm"]),
        scope=st.sampled_from(["account", "lists"]),
        crm=st.lists(st.tuples(st.sampled_from(BASES), st.integers(0, 2), OPTOUT, ORG), max_size=4),
        cc=st.lists(
            st.tuples(st.sampled_from(BASES), st.integers(0, 2), st.booleans()), max_size=3
        ),
        first_run=st.booleans(),
    )
    def configure(
        self,
        direction: str,
        scope: str,
        crm: list[tuple[str, int, str, int]],
        cc: list[tuple[str, int, bool]],
        first_run: bool,
    ) -> None:
        """Direction and scope of this example, then the people already on both sides."""
        self.world.set(direction=direction, cc_scope=scope)
        self.log.direction, self.log.scope = direction, scope
        self.log.orgs = create_orgs(self.world)
        self.log.list_id = create_target_list(self.world)
        for base, case, optout, org in crm:
            self.crm_create(base, case, NAMES[case], optout, org)
        for base, case, listed in cc:
            self.cc_create(base, case, NAMES[case], listed)
        if first_run:
            self.run()

    # -- Vtiger users ----------------------------------------------------------------------

    def _crm_rows(self) -> list[dict[str, Any]]:
        return self.world.crm_all()

    def _cc_rows(self) -> list[dict[str, Any]]:
        return self.world.cc_all()

    @rule(
        base=st.sampled_from(BASES),
        case=st.integers(0, 2),
        name=st.sampled_from(NAMES),
        optout=OPTOUT,
        org=ORG,
    )
    def crm_create(self, base: str, case: int, name: str, optout: str, org: int) -> None:
        fields = {"firstname": name, "lastname": "Crm", "email": variant(base, case)}
        fields["emailoptout"] = optout
        if org < len(ORGS):
            fields["account_id"] = list(self.log.orgs)[org]
        self.log.touch(self.world.crm_create(**fields), base)

    @rule(
        pick=PICK,
        field=st.sampled_from(["firstname", "mailingcity", "title"]),
        value=st.integers(0, 3),
    )
    def crm_edit(self, pick: int, field: str, value: int) -> None:
        rows = self._crm_rows()
        if rows:
            row = rows[pick % len(rows)]
            choices = CITIES if field == "mailingcity" else NAMES
            self.world.crm_edit(row["id"], **{field: choices[value % len(choices)]})
            self.log.touch(row["id"], crm_email(row))

    @rule(pick=PICK, org=st.integers(0, 2))
    def crm_set_company(self, pick: int, org: int) -> None:
        rows = self._crm_rows()
        if rows:
            row = rows[pick % len(rows)]
            value = list(self.log.orgs)[org] if org < len(ORGS) else ""
            self.world.crm_edit(row["id"], account_id=value)
            self.log.touch(row["id"], crm_email(row))

    @rule(pick=PICK, flag=st.sampled_from(["0", "1"]))
    def crm_opt_out(self, pick: int, flag: str) -> None:
        rows = self._crm_rows()
        if rows:
            row = rows[pick % len(rows)]
            self.world.crm_edit(row["id"], emailoptout=flag)
            self.log.touch(row["id"], crm_email(row))

    @rule(pick=PICK, base=st.sampled_from(BASES), case=st.integers(0, 2))
    def crm_change_email(self, pick: int, base: str, case: int) -> None:
        rows = self._crm_rows()
        if rows:
            row = rows[pick % len(rows)]
            self.world.crm_edit(row["id"], email=variant(base, case))
            self.log.touch(row["id"], crm_email(row), base)

    @rule(pick=PICK)
    def crm_delete(self, pick: int) -> None:
        rows = self._crm_rows()
        if rows:
            crm_id = rows[pick % len(rows)]["id"]
            self.log.deleted("crm", crm_id, self._partner("crm", crm_id))
            self.world.crm_delete(crm_id)

    @rule(pick=PICK, case=st.integers(0, 2))
    def crm_delete_and_recreate(self, pick: int, case: int) -> None:
        rows = [r for r in self._crm_rows() if crm_email(r)]
        if rows:
            row = rows[pick % len(rows)]
            self.log.deleted("crm", row["id"], self._partner("crm", row["id"]))
            self.world.crm_delete(row["id"])
            fields = {"firstname": row.get("firstname") or "Re", "lastname": "Crm"}
            address = variant(crm_email(row), case)
            new_id = self.world.crm_create(**fields, email=address, emailoptout="0")
            self.log.touch(new_id, crm_email(row))

    # -- Constant Contact: the owner and the contacts --------------------------------------------

    def _owner(self, method: str, path: str, body: Any = None) -> bool:
        """An owner action in the CC web app; False when CC refuses it (409: email in use)."""
        url = f"{self.world.emus.cc.base_url}/_emulator/accounts/1/contacts{path}"
        answer = self.world.emus.http.request(method, url, json=body)
        if answer.status_code == 409:
            return False
        answer.raise_for_status()
        return True

    @rule(
        base=st.sampled_from(BASES),
        case=st.integers(0, 2),
        name=st.sampled_from(NAMES),
        listed=st.booleans(),
    )
    def cc_create(self, base: str, case: int, name: str, listed: bool) -> None:
        body: dict[str, Any] = {"email_address": {"address": variant(base, case)}}
        body.update(first_name=name, last_name="Cc")
        if listed:
            body["list_memberships"] = [self.log.list_id]
        if self._owner("POST", "", body):
            self.log.touch(None, base)
            self.log.owner_created.add(checks.key(base))

    @rule(
        pick=PICK,
        body=st.one_of(
            st.fixed_dictionaries({"first_name": st.sampled_from(NAMES)}),
            st.fixed_dictionaries({"company_name": st.sampled_from([*ORGS, "Acme"])}),
        ),
    )
    def cc_edit(self, pick: int, body: dict[str, str]) -> None:
        rows = self._cc_rows()
        if rows:
            row = rows[pick % len(rows)]
            self._owner("PATCH", f"/{row['contact_id']}", body)
            self.log.touch(row["contact_id"], checks.cc_email(row))

    @rule(pick=PICK, base=st.sampled_from(BASES), case=st.integers(0, 2))
    def cc_change_email(self, pick: int, base: str, case: int) -> None:
        rows = self._cc_rows()
        if rows:
            row = rows[pick % len(rows)]
            body = {"email_address": {"address": variant(base, case)}}
            if self._owner("PATCH", f"/{row['contact_id']}", body):
                self.log.touch(row["contact_id"], checks.cc_email(row), base)

    @rule(pick=PICK, member=st.booleans())
    def cc_list_membership(self, pick: int, member: bool) -> None:
        rows = self._cc_rows()
        if rows:
            row = rows[pick % len(rows)]
            body = {"list_memberships": [self.log.list_id] if member else []}
            self._owner("PATCH", f"/{row['contact_id']}", body)
            self.log.touch(row["contact_id"], checks.cc_email(row))

    @rule(pick=PICK)
    def cc_delete(self, pick: int) -> None:
        rows = self._cc_rows()
        if rows:
            cc_id = rows[pick % len(rows)]["contact_id"]
            self.log.deleted("cc", cc_id, self._partner("cc", cc_id))
            self.world.cc_delete(cc_id)

    @rule(pick=PICK)
    def contact_unsubscribes(self, pick: int) -> None:
        rows = [r for r in self._cc_rows() if permission(r) != "unsubscribed"]
        if rows:
            row = rows[pick % len(rows)]
            self.world.cc_unsubscribe(row["contact_id"])
            self.log.touch(row["contact_id"], checks.cc_email(row))

    @rule(pick=PICK)
    def contact_resubscribes(self, pick: int) -> None:
        rows = [r for r in self._cc_rows() if permission(r) == "unsubscribed"]
        if rows:
            row = rows[pick % len(rows)]
            self.world.cc_resubscribe(row["contact_id"])
            self.log.touch(row["contact_id"], checks.cc_email(row))
            self.log.resubscribed.add(checks.cc_email(row))

    # -- runs ---------

    def _sync(self) -> RunResult:
        before = self.world.crm_all()
        result = self.world.sync()
        checks.not_busy(result)
        checks.no_crm_duplicate_created(before, self.world.crm_all())
        self.log.observe_links(self._all_links())
        self.log.synced_step = self.log.step
        self.synced = True
        return result

    @rule()
    def run(self) -> None:
        result = self._sync()
        assert result.status in ("succeeded", "partial"), result.error

    @rule(
        side=st.sampled_from(["cc", "crm"]),
        kind=st.sampled_from([500, 503, "drop", "lost", "lost"]),
        probability=st.sampled_from([0.2, 0.5, 1.0]),
        seed=st.integers(0, 1000),
        writes=st.sampled_from([None, None, "POST|PUT|PATCH|DELETE", "DELETE"]),
    )
    def run_with_faults(
        self, side: str, kind: Any, probability: float, seed: int, writes: str | None = None
    ) -> None:
        rule_: dict[str, Any] = {"count": None, "probability": probability}
        rule_.update({"kind": kind} if isinstance(kind, str) else {"status": kind})
        if writes and side == "cc":
            rule_["method"] = writes
        elif writes:
            rule_["operation"] = "delete" if writes == "DELETE" else "create|update|revise|delete"
        if side == "cc":
            rule_["path_prefix"] = "/v3"
        self.world.faults(side, [rule_], seed=seed)
        try:
            result = self._sync()
        finally:
            self._clear_faults()
        assert result.status in ("succeeded", "partial", "failed"), (result.status, result.error)

    @rule(side=st.sampled_from(["cc", "crm"]), k=st.integers(1, 3), apply=st.booleans())
    def run_killed(self, side: str, k: int, apply: bool) -> None:
        """SIGKILL a ``ccsync sync`` subprocess at its k-th write on ``side``, then go on."""
        before = self.world.crm_all()
        kill = killed_sync(self.world, side, k, apply)
        self.synced = True
        checks.no_crm_duplicate_created(before, self.world.crm_all())
        if kill.killed and kill.run_id is not None:
            self.log.killed.append(kill.run_id)
        self.log.observe_links(self._all_links())

    @precondition(lambda self: self.synced)
    @rule()
    def quiet_point(self) -> None:
        self.settle()

    # -- quiet points ---------

    def settle(self) -> None:
        """Release faults, make retries due, confirm held actions; run until two runs are quiet."""
        self._clear_faults()
        quiet = 0
        for _ in range(SETTLE_RUNS):
            self._make_retries_due()
            if self._held():
                self.world.held(confirm=True)
            result = self._sync()
            assert result.status in ("succeeded", "partial"), (result.status, result.error)
            quiet = quiet + 1 if result.writes == 0 else 0
            if quiet == 2:
                break
        assert quiet == 2, f"not quiet after {SETTLE_RUNS} runs: {result.counts}"
        checks.verify(self.world, self.log)

    # -- helpers ---------

    def _partner(self, side: str, record_id: str) -> str | None:
        with self.world.sessions.begin() as session:
            column = Link.crm_id if side == "crm" else Link.cc_id
            stmt = select(Link).where(column == record_id, Link.archived.is_(False))
            stmt = stmt.where(Link.tombstoned_at.is_(None))
            link = session.scalars(stmt).first()
            if link is None:
                return None
            return link.cc_id if side == "crm" else link.crm_id

    def _all_links(self) -> list[tuple[str, str]]:
        with self.world.sessions.begin() as session:
            return [(r.crm_id, r.cc_id) for r in session.scalars(select(Link))]

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

    def _held(self) -> bool:
        from ccsync.store import repos

        with self.world.sessions.begin() as session:
            return bool(repos.list_held(session, self.world.connector_id))

    def expire_lease(self) -> None:
        """Expire the run lease (for exploring past the known lease bug only)."""
        with self.world.sessions.begin() as session:
            session.execute(update(RunLease).values(expires_at=RunLease.acquired_at))
