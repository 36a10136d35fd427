"""The invariants checked at a quiet point, and the history the machine keeps to check them.

Each check fails with its own message and at its own line, so Hypothesis reports distinct
failures as distinct bugs (``report_multiple_bugs``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ccsync.engine.mapping import cc_to_canonical, crm_to_canonical, default_mapping
from ccsync.engine.result import RunResult
from ccsync.store.models import Attention, Link, RetryEntry, Run, RunItem
from integration.engine.harness import World
from statemachine.world import cc_email, crm_email, key, on_list, permission

MAPPING = default_mapping()
VTIGER_ID = re.compile(r"^\d+x\d+$")
# reasons that say why a live record has no live counterpart, while they still hold
STANDING = {
    "no_email", "invalid_email", "cc_no_email", "no_last_name", "email_too_long",
    "crm_opted_out_not_in_cc", "direction_filtered", "out_of_scope", "delete_ignored",
    "dead_letter", "value_too_long", "cc_unsubscribed_off_list", "cc_twin_deleted",
}  # fmt: skip
__all__ = ["History", "cc_email", "key", "no_crm_duplicate_created", "verify"]


@dataclass
class History:
    """What people did, by step, and every pair ccsync ever linked."""

    direction: str = "both"
    scope: str = "account"
    list_id: str = ""
    orgs: dict[str, str] = field(default_factory=dict)
    step: int = 0
    touched: dict[str, int] = field(default_factory=dict)
    """record id or normalised email → the last step a person changed it."""
    deletes: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    """(side, deleted id, its partner at the time, step)."""
    linked: set[tuple[str, str]] = field(default_factory=set)
    resubscribed: set[str] = field(default_factory=set)
    owner_created: set[str] = field(default_factory=set)
    seen_unsubscribed: set[str] = field(default_factory=set)
    killed: list[int] = field(default_factory=list)
    """Runs of killed ``ccsync sync`` processes."""
    synced_step: int = 0
    """The step of the latest sync."""
    concurrent_from: dict[str, int] = field(default_factory=dict)
    """Deleted Vtiger id → the step of the latest sync before the delete."""

    def touch(self, record_id: str | None, *emails: str) -> None:
        """A person changed ``record_id`` (and the addresses it had or got)."""
        self.step += 1
        for name in (record_id, *(key(e) for e in emails)):
            if name:
                self.touched[name] = self.step

    def deleted(self, side: str, record_id: str, partner: str | None) -> None:
        """A person deleted ``record_id`` while it was linked to ``partner``."""
        self.step += 1
        self.deletes.append((side, record_id, partner, self.step))
        if side == "crm":
            self.concurrent_from[record_id] = self.synced_step

    def observe_links(self, pairs: list[tuple[str, str]]) -> None:
        """Remember every pair ccsync has linked (tombstoned and archived ones included)."""
        self.linked.update(pairs)

    def changed_since(self, step: int, *names: str | None) -> bool:
        """Whether a person changed any of ``names`` after ``step``."""
        return any(self.touched.get(n or "", -1) > step for n in names)


def no_crm_duplicate_created(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> None:
    """ccsync never creates a Vtiger contact for an email a live Vtiger contact already has
    (and keeps: a pair that moved to another address in the same run lets go of the old one)."""
    old_ids = {r["id"] for r in before}
    kept = {crm_email(r) for r in after if r["id"] in old_ids} - {""}
    made = [r for r in after if r["id"] not in old_ids and r.get("source") != "CRM"]
    twice = Counter(crm_email(r) for r in made)
    dupes = [r for r in made if crm_email(r) in kept or (crm_email(r) and twice[crm_email(r)] > 1)]
    assert not dupes, ("ccsync created a Vtiger duplicate", dupes)


def not_busy(result: RunResult) -> None:
    """No run is refused as busy: the only other holder of the lease was killed."""
    assert result.status != "busy", ("a run is refused as busy after a kill", result.error)


def killed_run_logged(world: World, log: History) -> None:
    """A killed run's writes appear in the Sync Log: its counts cover its items; it has ended."""
    with world.sessions.begin() as session:
        for run_id in log.killed:
            run = session.get(Run, run_id)
            assert run is not None
            stmt = select(RunItem.action).where(RunItem.run_id == run_id)
            written = [a for a in session.scalars(stmt) if a != "skipped"]
            counts = run.counts or {}
            counted = sum(
                int(side.get(action, 0))
                for side in counts.values()
                if isinstance(side, dict)
                for action in ("created", "updated", "deleted")
            )
            shown = (run_id, run.status, counts, len(written))
            assert run.status != "running", ("a killed run is running forever", shown)
            assert counted >= len(written), ("a killed run's writes missing from its counts", shown)


@dataclass
class Snapshot:
    """Both sides and the store at a quiet point."""

    crm: dict[str, dict[str, Any]]
    cc: dict[str, dict[str, Any]]
    links: list[Link]
    items: dict[str, list[RunItem]]
    attention: set[str]
    retries: list[RetryEntry]

    def live_crm(self) -> list[dict[str, Any]]:
        return [r for r in self.crm.values() if not r.get("deleted")]

    def live_cc(self) -> list[dict[str, Any]]:
        return [r for r in self.cc.values() if not r.get("deleted_at")]

    def crm_live(self, crm_id: str | None) -> bool:
        row = self.crm.get(crm_id or "")
        return row is not None and not row.get("deleted")

    def cc_live(self, cc_id: str | None) -> bool:
        row = self.cc.get(cc_id or "")
        return row is not None and not row.get("deleted_at")


def snapshot(world: World) -> Snapshot:
    """Read both emulators and the store."""
    crm = {r["id"]: r for r in world.crm_all(deleted=True)}
    cc = {r["contact_id"]: r for r in world.cc_all(deleted=True)}
    items: dict[str, list[RunItem]] = defaultdict(list)
    with world.sessions.begin() as session:
        links = list(session.scalars(select(Link).where(Link.archived.is_(False))))
        for item in session.scalars(select(RunItem).order_by(RunItem.id)):
            for record_id in (item.crm_id, item.cc_id):
                if record_id:
                    items[record_id].append(item)
        attention = {key(a.email) for a in session.scalars(select(Attention))}
        retries = list(session.scalars(select(RetryEntry)))
        session.expunge_all()
    return Snapshot(crm, cc, links, items, attention, retries)


def verify(world: World, log: History) -> None:
    """Every invariant of a quiet point."""
    snap = snapshot(world)
    live_links = [x for x in snap.links if x.tombstoned_at is None]
    pairs_unique(live_links)
    retries_settled(snap)
    killed_run_logged(world, log)
    companies_are_names(snap, log)
    consent_reaches_crm(snap, log)
    no_subscribed_opted_out(snap, log)
    if log.scope == "lists":
        linked_contacts_on_list(snap, live_links, log)
    no_resubscription(snap, log)
    no_resurrection(snap, live_links, log)
    for link in live_links:
        if snap.crm_live(link.crm_id) and snap.cc_live(link.cc_id):
            equal_pair(snap.crm[link.crm_id], snap.cc[link.cc_id], log)
            same_email(snap, link, log)
    counterparts(snap, live_links, log)


def pairs_unique(links: list[Link]) -> None:
    """No record is in two live links."""
    assert len({x.crm_id for x in links}) == len(links), "a Vtiger contact in two links"
    assert len({x.cc_id for x in links}) == len(links), "a CC contact in two links"


def retries_settled(snap: Snapshot) -> None:
    """After settling, every retry entry has succeeded (gone) or is a dead letter."""
    stuck = [(r.side, r.record_id, r.attempts, r.last_error) for r in snap.retries if not r.dead]
    assert not stuck, ("retry entries neither done nor dead", stuck)


def companies_are_names(snap: Snapshot, log: History) -> None:
    """CC company names are organisation names, never Vtiger ids."""
    ids = [(r["contact_id"], r.get("company_name")) for r in snap.live_cc()]
    bad = [(c, name) for c, name in ids if VTIGER_ID.match(str(name or ""))]
    assert not bad, ("a Vtiger id as CC company name", bad)
    if log.direction != "both":
        return
    for link in snap.links:
        crm, cc = snap.crm.get(link.crm_id), snap.cc.get(link.cc_id)
        if link.tombstoned_at or not snap.crm_live(link.crm_id) or not snap.cc_live(link.cc_id):
            continue
        assert crm is not None and cc is not None
        org = log.orgs.get(crm.get("account_id") or "", "")
        name = cc.get("company_name") or ""
        if name and name not in log.orgs.values():
            continue  # no organisation has the CC company's name: Vtiger keeps its own (logged)
        if org or name in log.orgs.values():
            assert org == name, ("linked pair: organisation vs company name", org, name, crm["id"])


def consent_reaches_crm(snap: Snapshot, log: History) -> None:
    """A CC unsubscribe sets Email Opt Out on every Vtiger contact ever linked to it; once the
    pair was unlinked (it left the list scope), only while the two still share the email (sync
    rule C7: an off-list contact's unsubscribe reaches the Vtiger contacts with its email)."""
    current = {(x.crm_id, x.cc_id) for x in snap.links}  # archived (unlinked) pairs are not
    for crm_id, cc_id in log.linked:
        cc_row = snap.cc.get(cc_id)
        if cc_row is None or cc_row.get("deleted_at") or permission(cc_row) != "unsubscribed":
            continue
        if snap.crm_live(crm_id):
            crm_row = snap.crm[crm_id]
            if (crm_id, cc_id) not in current and crm_email(crm_row) != cc_email(cc_row):
                continue
            assert crm_row.get("emailoptout") == "1", (
                "CC unsubscribe never reached Vtiger",
                cc_email(cc_row),
                crm_id,
                cc_id,
            )


def no_subscribed_opted_out(snap: Snapshot, log: History) -> None:
    """No person is subscribed in CC while a Vtiger contact with that email is opted out."""
    opted_out = {crm_email(r) for r in snap.live_crm() if r.get("emailoptout") == "1"}
    ever_linked = {cc for _, cc in log.linked}
    for row in snap.live_cc():
        email = cc_email(row)
        if email not in opted_out or permission(row) == "unsubscribed":
            continue
        in_scope = log.scope == "account" or on_list(row, log.list_id)
        if not in_scope and row["contact_id"] not in ever_linked:
            continue
        if log.direction == "crm_to_cc" and email in log.resubscribed:
            continue  # the contact re-subscribed; that cannot flow back to Vtiger
        crm = [(r["id"], r.get("emailoptout")) for r in snap.live_crm() if crm_email(r) == email]
        assert False, ("subscribed in CC while opted out in Vtiger", email, permission(row), crm)


def no_resubscription(snap: Snapshot, log: History) -> None:
    """An address seen unsubscribed stays so unless the contact re-subscribed (or is new)."""
    for row in snap.live_cc():
        email = cc_email(row)
        if email in log.seen_unsubscribed and permission(row) != "unsubscribed":
            allowed = email in log.resubscribed or email in log.owner_created
            assert allowed, ("re-subscribed without the contact's action", email, row)
            log.seen_unsubscribed.discard(email)  # the person's own choice, seen: it stands
    for row in snap.cc.values():
        if permission(row) == "unsubscribed":
            log.seen_unsubscribed.add(cc_email(row))
    log.resubscribed.clear()
    log.owner_created.clear()


def no_resurrection(snap: Snapshot, links: list[Link], log: History) -> None:
    """A delete is mirrored (as the direction allows) and never undone without a newer change.

    A Vtiger contact deleted while another live one has its email (a merge of duplicates) is
    not mirrored: that other contact takes the CC contact over.
    """
    taken = {x.cc_id: x.crm_id for x in links if snap.crm_live(x.crm_id)}
    for side, dead, partner, step in log.deletes:
        dead_row = snap.crm.get(dead) if side == "crm" else snap.cc.get(dead)
        email = (crm_email if side == "crm" else cc_email)(dead_row or {})
        if log.changed_since(step, dead, partner, email):
            continue
        if side == "crm" and log.changed_since(log.concurrent_from.get(dead, step), partner):
            # Vtiger does not say when a record was deleted: a CC change since the last run
            # and the delete are concurrent to ccsync, and sync rule D6 lets the change win
            continue
        revived = snap.crm_live(dead) if side == "crm" else snap.cc_live(dead)
        assert not revived, ("a deleted contact is live again", side, dead, email)
        mirrors = {"crm": ("both", "crm_to_cc"), "cc": ("both", "cc_to_crm")}[side]
        heir = taken.get(partner or "")
        # took over by the duplicate left: it has the dead contact's email or the CC contact's
        # (the pair's email change was refused, so the two sides differed)
        held = {email, cc_email(snap.cc.get(partner or "") or {})}
        if side == "crm" and heir and heir != dead and crm_email(snap.crm[heir]) in held:
            continue
        if partner and log.direction in mirrors:
            alive = snap.cc_live(partner) if side == "crm" else snap.crm_live(partner)
            assert not alive, ("the delete never reached the other side", side, dead, partner)


def linked_contacts_on_list(snap: Snapshot, links: list[Link], log: History) -> None:
    """In list scope every linked live CC contact is on the target list (or is or was
    unsubscribed: CC takes unsubscribed contacts off every list, the pair stays linked for
    consent, and re-subscribing does not put them back)."""
    off = [
        (x.crm_id, x.cc_id, permission(snap.cc[x.cc_id]))
        for x in links
        if snap.cc_live(x.cc_id)
        and not on_list(snap.cc[x.cc_id], log.list_id)
        and permission(snap.cc[x.cc_id]) != "unsubscribed"
        and cc_email(snap.cc[x.cc_id]) not in log.seen_unsubscribed | log.resubscribed
    ]
    assert not off, ("linked CC contacts off the target list", off)


def equal_pair(crm_row: dict[str, Any], cc_row: dict[str, Any], log: History) -> None:
    """Mapped fields equal (both ways only); Email Opt Out equals "CC says unsubscribed"."""
    crm = crm_to_canonical(crm_row, MAPPING)
    cc, consent = cc_to_canonical(cc_row, MAPPING)
    if consent.unsubscribed:
        assert crm.get("emailoptout") == "1", ("linked: CC unsubscribed, Vtiger not", crm, cc)
    if log.direction != "both":
        return
    assert (crm.get("emailoptout", "0") == "1") == consent.unsubscribed, ("consent", crm, cc)
    for name, value in cc.items():
        if name not in ("account_id", "email"):  # companies_are_names compares organisations
            assert MAPPING.equal(name, crm.get(name, ""), value), ("pair differs", name, crm, cc)


def same_email(snap: Snapshot, link: Link, log: History) -> None:
    """A pair has one email, unless its last item refused the change and the refusal holds."""
    if log.direction != "both":
        return
    crm, cc = snap.crm[link.crm_id], snap.cc[link.cc_id]
    if crm_email(crm) == cc_email(cc):
        return
    items = sorted(snap.items.get(link.crm_id, []) + snap.items.get(link.cc_id, []), key=_id)
    last = items[-1].reason if items else None
    holders = [r["contact_id"] for r in snap.cc.values() if cc_email(r) == crm_email(crm)]
    refused = last == "cc_email_in_use" and bool(holders)
    assert refused, ("a pair with two emails", crm_email(crm), cc_email(cc), last, link.crm_id)


def _id(item: RunItem) -> int:
    return item.id


def counterparts(snap: Snapshot, links: list[Link], log: History) -> None:
    """Every live contact has a live counterpart or a logged reason that still holds."""
    by_crm = {x.crm_id: x for x in links if snap.cc_live(x.cc_id)}
    by_cc = {x.cc_id: x for x in links if snap.crm_live(x.crm_id)}
    crm_count = Counter(crm_email(r) for r in snap.live_crm())
    linked_emails = {crm_email(snap.crm[x.crm_id]) for x in by_crm.values()}
    linked_emails |= {cc_email(snap.cc[x.cc_id]) for x in by_cc.values()}
    cc_emails = {cc_email(r): r for r in snap.cc.values()}
    opted_out = {crm_email(r) for r in snap.live_crm() if r.get("emailoptout") == "1"}
    if log.direction != "cc_to_crm":
        for row in snap.live_crm():
            if row["id"] in by_crm:
                continue
            email = crm_email(row)
            reasons = {i.reason for i in snap.items.get(row["id"], []) if i.reason}
            ambiguous = email in snap.attention or "ambiguous_crm_duplicates" in reasons
            if reasons & STANDING or (crm_count[email] > 1 and ambiguous):
                continue
            if "email_already_linked" in reasons and email in linked_emails:
                continue
            if "cc_email_in_use" in reasons and email in cc_emails:
                continue
            if "crm_twin_opted_out" in reasons and email in opted_out:
                continue
            holder = cc_emails.get(email, {})
            cc_state = (holder.get("contact_id"), permission(holder), holder.get("deleted_at"))
            assert False, (
                "a live Vtiger contact without counterpart or reason",
                (row["id"], email, row.get("emailoptout"), row.get("source")),
                reasons,
                ("CC holder", cc_state),
                ("same email live", crm_count[email], "attention", email in snap.attention),
            )
    if log.direction != "crm_to_cc":
        for row in snap.live_cc():
            in_scope = log.scope == "account" or on_list(row, log.list_id)
            if row["contact_id"] in by_cc or not in_scope:
                continue
            email = cc_email(row)
            reasons = {i.reason for i in snap.items.get(row["contact_id"], []) if i.reason}
            ambiguous = email in snap.attention or "ambiguous_crm_duplicates" in reasons
            if reasons & STANDING or (crm_count[email] > 1 and ambiguous):
                continue
            if "email_already_linked" in reasons and email in linked_emails:
                continue
            crm = [
                (r["id"], r.get("emailoptout")) for r in snap.live_crm() if crm_email(r) == email
            ]
            assert False, (
                "a live CC contact without counterpart or reason",
                (row["contact_id"], email, permission(row)),
                reasons,
                ("Vtiger", crm),
            )
