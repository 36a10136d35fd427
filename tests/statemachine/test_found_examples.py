"""The failing examples the harsh-world machine found on the code of 2026-12-03, one per item of
issue 9, replayed step by step (each failed then, at the invariant named in its docstring).

They run the same rules and the same checks as the random machine, so once the items are fixed
they keep them fixed whatever Hypothesis draws next.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from statemachine.machine import Context, SyncMachine

Steps = Callable[[SyncMachine], None]


def _replay(steps: Steps) -> None:
    machine = SyncMachine()
    try:
        steps(machine)
    except BaseException:
        machine.world.close()
        raise
    machine.teardown()


def item1_company_ids(m: SyncMachine) -> None:
    """Item 1 (seed 1): ``companies_are_names`` — CC company_name "11x3"."""
    m.configure(direction="both", scope="account", crm=[], cc=[], first_run=False)
    m.run_killed(apply=True, k=6, side="cc")
    m.crm_delete_and_recreate(case=2, pick=2)
    m.crm_edit(field="mailingcity", pick=3, value=2)
    m.cc_delete(pick=0)
    m.expire_lease()
    m.run_killed(apply=False, k=4, side="cc")
    m.crm_set_company(org=0, pick=9)
    m.crm_create(base="p1@example.com", case=2, name="Dee", optout="1", org=0)
    m.crm_delete(pick=3)
    m.crm_create(base="p0@example.com", case=1, name="Cy", optout="0", org=1)


def item2_list_scope_unsubscribe(m: SyncMachine) -> None:
    """Item 2 (seed 3): ``consent_reaches_crm`` — list scope, the linked contact unsubscribes,
    Email Opt Out stays 0."""
    crm = [("p0@example.com", 2, "0", 1), ("p0@example.com", 2, "0", 1)]
    cc = [("p2@example.com", 1, True), ("p0@example.com", 2, True), ("p0@example.com", 2, True)]
    m.configure(scope="lists", crm=crm, cc=cc, first_run=True, direction="both")
    m.contact_unsubscribes(pick=2)
    m.cc_edit(body={"company_name": "Initech"}, pick=11)
    m.run()


def item3_failed_delete(m: SyncMachine) -> None:
    """Item 3: ``retries_settled`` — a CC DELETE answered 500 stays at attempt 1 forever."""
    m.configure(direction="both", scope="account", crm=[("p1@example.com", 0, "0", 2)], cc=[],
                first_run=True)  # fmt: skip
    m.crm_delete(pick=0)
    m.run_with_faults(side="cc", kind=500, probability=1.0, seed=1, writes="DELETE")


def item4_duplicate_opted_out(m: SyncMachine) -> None:
    """Item 4 (seed 3): ``no_subscribed_opted_out`` — a second Vtiger contact with the email is
    opted out, the CC contact stays subscribed."""
    crm = [("p1@example.com", 1, "0", 2), ("p4@example.com", 1, "0", 2)]
    crm += [("p0@example.com", 0, "1", 2), ("p3@example.com", 2, "1", 2)]
    cc = [("p5@example.com", 2, True), ("p1@example.com", 1, True)]
    m.configure(scope="lists", cc=cc, crm=crm, direction="both", first_run=True)
    m.crm_create(base="p2@example.com", case=0, name="Cy", optout="0", org=2)
    m.cc_edit(body={"first_name": "Ann"}, pick=4)
    m.crm_create(base="p4@example.com", case=0, name="Ann", optout="1", org=2)
    m.contact_resubscribes(pick=8)
    m.run()


def item5_delete_and_recreate(m: SyncMachine) -> None:
    """Item 5: ``counterparts`` — the re-created Vtiger contact is skipped
    ``email_already_linked`` against the link the same run deletes; its CC contact is deleted."""
    m.configure(direction="both", scope="account", crm=[("p5@example.com", 0, "0", 2)], cc=[],
                first_run=True)  # fmt: skip
    m.crm_delete_and_recreate(case=0, pick=0)
    m.run()


def item6_refused_email_change(m: SyncMachine) -> None:
    """Item 6: ``same_email`` — the email refused with ``cc_email_in_use`` is absorbed by a CC
    edit; the pair keeps two emails, unlogged."""
    crm, cc = [("p1@example.com", 0, "0", 2)], [("p2@example.com", 0, False)]
    m.configure(direction="both", scope="account", crm=crm, cc=cc, first_run=True)
    m.cc_delete(pick=0)
    m.run()
    m.crm_change_email(pick=0, base="p2@example.com", case=0)
    m.run()
    m.cc_edit(pick=0, body={"first_name": "Bo"})
    m.run()


def item7_killed_run(m: SyncMachine) -> None:
    """Item 7: ``not_busy`` — after a kill the next run is refused as busy for 120 s; and
    ``killed_run_logged`` — the killed run's counts stay empty although its items exist."""
    m.configure(direction="both", scope="account", crm=[], cc=[], first_run=False)
    for n in range(5):
        m.cc_create(base=f"p{n}@example.com", case=0, name="Ann", listed=False)
    m.run_killed("crm", 3, True)
    m.run()


def list_member_deleted(m: SyncMachine) -> None:
    """Found after merging the fixes of items 1-8: ``no_resurrection`` — in list scope a linked
    list member deleted in CC is never noticed (no item, the link stays live, Vtiger keeps it)."""
    m.configure(direction="both", scope="lists", cc=[("p1@example.com", 0, True)], crm=[],
                first_run=True)  # fmt: skip
    m.cc_delete(pick=0)
    m.run()


def ambiguity_resolved(m: SyncMachine) -> None:
    """Found on the code of 2026-12-03 and still after the fixes: ``counterparts`` — once one of
    two Vtiger duplicates is deleted, the other (unchanged) stays skipped ``ambiguous`` for good
    and never reaches CC."""
    crm = [("p4@example.com", 0, "0", 2), ("p4@example.com", 1, "0", 2)]
    m.configure(direction="both", scope="account", crm=crm, cc=[], first_run=True)
    m.crm_delete(pick=0)
    m.run()


def email_changes_under_faults(m: SyncMachine) -> None:
    """Found by the slow run of 2026-12-05 (``--hypothesis-seed=11``): ``same_email`` — a pair
    left with two emails and no refusal logged, after CC email changes onto an address three
    Vtiger duplicates share and a CRM email change, with faults and kills."""
    crm = [("p1@example.com", 0, "0", 0)] + [("p0@example.com", 0, "0", 0)] * 3
    m.configure(direction="both", cc=[], scope="account", crm=crm, first_run=False)
    m.run_with_faults(kind=500, probability=0.2, seed=596, side="cc", writes=None)
    m.run_with_faults(kind=500, probability=0.2, seed=63, side="cc", writes="DELETE")
    m.cc_change_email(base="p0@example.com", case=0, pick=11)
    m.run()
    m.run_killed(apply=True, k=1, side="cc")
    m.run()
    m.cc_change_email(base="p0@example.com", case=0, pick=0)
    m.run()
    m.cc_change_email(base="p0@example.com", case=1, pick=0)
    m.crm_change_email(base="p2@example.com", case=1, pick=0)
    m.run()
    m.crm_change_email(base="p2@example.com", case=1, pick=8)
    m.run_killed(apply=False, k=2, side="crm")


SEED21_CRM = [
    ("p3@example.com", 0, "0", 0),
    ("p0@example.com", 0, "1", 0),
    ("p5@example.com", 0, "0", 0),
    ("p0@example.com", 0, "0", 0),
]


def _seed21_world(m: SyncMachine) -> None:
    """The start of every seed-21 example: four Vtiger contacts, one CC contact."""
    m.configure(direction="both", first_run=False, crm=SEED21_CRM,
                cc=[("p3@example.com", 0, True)], scope="account")  # fmt: skip


def _seed21_faulted_run(m: SyncMachine) -> None:
    """Seed 21's world, then a run with half its CC writes answered 500."""
    _seed21_world(m)
    m.contact_resubscribes(pick=0)
    m.crm_change_email(base="p2@example.com", case=0, pick=9)
    m.run_with_faults(kind=500, probability=0.5, seed=448, side="cc",
                      writes="POST|PUT|PATCH|DELETE")  # fmt: skip


def cc_delete_after_faulted_run(m: SyncMachine) -> None:
    """Seed 21 (450 slow examples): ``no_resurrection`` — a CC contact deleted after a run
    with half its CC writes answered 500 is live again (the failed PUT was retried as a
    revival)."""
    _seed21_faulted_run(m)
    m.cc_delete(pick=0)
    m.quiet_point()


def ambiguity_left_behind(m: SyncMachine) -> None:
    """Seed 21 (450 slow examples): ``counterparts`` — two Vtiger contacts share p0; one
    changes its email away; the one left never reaches CC."""
    _seed21_world(m)
    m.run()
    m.cc_delete(pick=8)
    m.quiet_point()
    m.crm_change_email(base="p5@example.com", case=1, pick=8)
    m.crm_set_company(org=1, pick=8)
    m.quiet_point()


def cc_delete_after_resubscribes(m: SyncMachine) -> None:
    """Seed 21 (450 slow examples): ``no_resurrection`` — after a run with half its CC writes
    answered 500, a CC contact deleted by a person is live again."""
    _seed21_faulted_run(m)
    m.crm_delete_and_recreate(case=0, pick=0)
    m.quiet_point()
    m.contact_resubscribes(pick=1)
    m.crm_delete(pick=11)
    m.contact_resubscribes(pick=0)
    m.contact_resubscribes(pick=5)
    m.crm_create(base="p2@example.com", case=1, name="Bo", optout="0", org=2)
    m.crm_edit(field="mailingcity", pick=1, value=1)
    m.cc_delete(pick=8)


def recreated_after_opt_in(m: SyncMachine) -> None:
    """Seed 21 (450 slow examples): ``no_crm_duplicate_created`` — ccsync created a Vtiger
    contact for an address a live Vtiger contact already had."""
    _seed21_world(m)
    m.run()
    m.quiet_point()
    m.crm_opt_out(flag="0", pick=0)
    m.run()
    m.cc_delete(pick=2)
    m.crm_delete_and_recreate(case=0, pick=0)
    m.run()
    m.crm_create(base="p0@example.com", case=2, name="Dee", optout="1", org=1)
    m.crm_delete(pick=11)
    m.crm_change_email(base="p3@example.com", case=0, pick=5)
    m.crm_create(base="p2@example.com", case=1, name="Bo", optout="0", org=2)
    m.crm_edit(field="mailingcity", pick=1, value=1)
    m.cc_change_email(base="p2@example.com", case=1, pick=8)
    m.crm_delete_and_recreate(case=2, pick=5)


def delete_under_crm_faults(m: SyncMachine) -> None:
    """Seed 21 (450 slow examples): ``no_resurrection`` — a Vtiger contact deleted after a run
    with half its Vtiger writes answered 500; its CC partner stays live."""
    crm = [("p3@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 2),
           ("p5@example.com", 1, "0", 1), ("p0@example.com", 1, "0", 1)]  # fmt: skip
    m.configure(crm=crm, first_run=False, direction="both", cc=[("p3@example.com", 1, True)],
                scope="account")  # fmt: skip
    m.cc_list_membership(member=False, pick=6)
    m.crm_change_email(base="p2@example.com", case=2, pick=9)
    m.run_with_faults(kind=500, probability=0.5, seed=448, side="crm",
                      writes="POST|PUT|PATCH|DELETE")  # fmt: skip
    m.cc_delete(pick=8)
    m.crm_change_email(base="p0@example.com", case=1, pick=0)
    m.crm_create(base="p0@example.com", case=2, name="Dee", optout="1", org=1)
    m.crm_delete(pick=11)
    m.crm_change_email(base="p3@example.com", case=0, pick=5)
    m.crm_create(base="p2@example.com", case=1, name="Bo", optout="0", org=2)
    m.crm_edit(field="mailingcity", pick=1, value=1)
    m.cc_change_email(base="p2@example.com", case=1, pick=8)
    m.crm_delete_and_recreate(case=2, pick=5)
    m.contact_unsubscribes(pick=4)
    m.crm_delete(pick=0)


def duplicate_after_pair_deleted(m: SyncMachine) -> None:
    """Seed 21 (120 slow examples): ``counterparts`` — a second Vtiger contact with a linked
    address is skipped ``email_already_linked``; a person deletes the CC contact of the pair;
    the duplicate is never looked at again."""
    m.configure(direction="both", crm=[], cc=[], scope="account", first_run=True)
    m.crm_create(base="p0@example.com", case=0, name="Ann", optout="0", org=0)
    m.quiet_point()
    m.crm_create(base="p0@example.com", case=0, name="Ann", optout="0", org=0)
    m.cc_delete(pick=0)
    m.quiet_point()


def _linked_and_duplicate(m: SyncMachine) -> None:
    """A pair, then a second Vtiger contact with its email, skipped ``email_already_linked``."""
    m.configure(direction="both", crm=[], cc=[], scope="account", first_run=True)
    m.crm_create(base="p0@example.com", case=0, name="Ann", optout="0", org=0)
    m.quiet_point()
    m.crm_create(base="p0@example.com", case=1, name="Bo", optout="0", org=1)
    m.quiet_point()


def duplicate_left_by_cc_delete(m: SyncMachine) -> None:
    """``counterparts``: the CC contact of a pair is deleted; the Vtiger duplicate skipped
    ``email_already_linked`` keeps that reason although nothing holds the email any more."""
    _linked_and_duplicate(m)
    m.cc_delete(pick=0)
    m.quiet_point()


def duplicate_left_by_crm_delete(m: SyncMachine) -> None:
    """``counterparts``: the Vtiger contact of a pair is deleted while a duplicate with its
    email lives on; the duplicate should take the CC contact over, not be left behind."""
    _linked_and_duplicate(m)
    m.crm_delete(pick=0)
    m.quiet_point()


def duplicate_moves_away_from_pair(m: SyncMachine) -> None:
    """Seed 22 (120 slow examples): ``counterparts`` — a Vtiger contact once skipped
    ``email_already_linked`` and ``ambiguous_crm_duplicates`` is left alone on its own address."""
    crm = [("p0@example.com", 0, "1", 0), ("p0@example.com", 0, "0", 0),
           ("p0@example.com", 0, "0", 0), ("p2@example.com", 0, "0", 0)]  # fmt: skip
    m.configure(direction="both", crm=crm, cc=[], first_run=True, scope="account")
    m.run_killed(apply=True, k=1, side="cc")
    m.cc_create(base="p0@example.com", case=0, listed=True, name="Ann")
    m.run()
    m.cc_change_email(base="p0@example.com", case=0, pick=0)
    m.run()
    m.cc_edit(body={"first_name": "Cy"}, pick=9)
    m.crm_change_email(base="p2@example.com", case=2, pick=5)
    m.run()
    m.cc_create(base="p5@example.com", case=2, listed=False, name="Cy")
    m.crm_set_company(org=2, pick=6)
    m.crm_set_company(org=0, pick=8)
    m.crm_change_email(base="p3@example.com", case=2, pick=2)
    m.cc_change_email(base="p3@example.com", case=1, pick=6)
    m.run()


def deleted_twin_of_moved_pair(m: SyncMachine) -> None:
    """Seeds 21 and 22 (1,000 slow examples): not quiet — every run deletes a Vtiger contact
    and updates a CC contact."""
    m.configure(direction="both", scope="account", crm=SEED21_CRM, cc=[], first_run=False)
    m.crm_change_email(base="p2@example.com", case=0, pick=9)
    m.run()
    m.cc_delete(pick=8)
    m.crm_change_email(base="p0@example.com", case=0, pick=0)
    m.crm_create(base="p0@example.com", case=0, name="Ann", optout="1", org=0)
    m.quiet_point()


def _seed22_world(m: SyncMachine) -> None:
    """Seed 22's start: two Vtiger contacts share p0, one unlisted CC contact has it."""
    crm = [("p0@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0),
           ("p5@example.com", 0, "0", 0), ("p3@example.com", 0, "0", 0)]  # fmt: skip
    m.configure(direction="both", first_run=True, cc=[("p0@example.com", 0, False)],
                scope="account", crm=crm)  # fmt: skip
    m.run_with_faults(kind=500, probability=0.2, seed=360, side="cc", writes=None)
    m.crm_edit(field="firstname", pick=0, value=0)
    m.quiet_point()


def cc_contact_left_ambiguous(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples): ``counterparts`` — a CC contact last skipped
    ``ambiguous_crm_duplicates`` after the duplicates are gone."""
    _seed22_world(m)
    m.crm_change_email(base="p3@example.com", case=1, pick=1)
    m.cc_change_email(base="p2@example.com", case=1, pick=1)
    m.run_with_faults(kind="lost", probability=0.5, seed=226, side="cc", writes=None)
    m.crm_delete(pick=8)
    m.quiet_point()


def company_of_moved_pair(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples): ``companies_are_names`` — a linked pair with Vtiger
    organisation Initech and CC company Globex."""
    _seed22_world(m)
    m.quiet_point()
    m.crm_delete(pick=5)
    m.contact_resubscribes(pick=2)
    m.crm_change_email(base="p5@example.com", case=1, pick=11)
    m.cc_edit(body={"first_name": "Bo"}, pick=8)
    m.crm_delete(pick=10)
    m.crm_set_company(org=0, pick=4)
    m.quiet_point()
    m.crm_set_company(org=1, pick=11)
    m.cc_delete(pick=10)
    m.crm_change_email(base="p5@example.com", case=2, pick=8)


def ambiguous_left_alone(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples): ``counterparts`` — the last Vtiger contact of an
    ambiguous pair keeps ``ambiguous_crm_duplicates`` although it is alone now."""
    m.configure(direction="both", scope="account", first_run=False,
                crm=[("p0@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0)],
                cc=[("p3@example.com", 0, False)])  # fmt: skip
    m.contact_unsubscribes(pick=0)
    m.run_with_faults(kind=500, probability=0.2, seed=0, side="cc", writes=None)
    m.quiet_point()
    m.crm_delete_and_recreate(case=0, pick=0)
    m.quiet_point()
    m.crm_delete(pick=0)
    m.cc_change_email(base="p0@example.com", case=0, pick=0)
    m.cc_delete(pick=0)


def crm_duplicate_created(m: SyncMachine) -> None:
    """Seed 21 (1,000 slow examples): ``no_crm_duplicate_created`` — ccsync created a Vtiger
    contact for P2, which a live Vtiger contact had."""
    _seed21_world(m)
    m.cc_delete(pick=0)
    m.crm_change_email(base="p2@example.com", case=0, pick=9)
    m.run_with_faults(kind=500, probability=0.2, seed=448, side="cc", writes=None)
    m.cc_list_membership(member=False, pick=0)
    m.quiet_point()
    m.contact_resubscribes(pick=1)
    m.crm_delete(pick=11)
    m.contact_resubscribes(pick=0)
    m.contact_resubscribes(pick=5)
    m.crm_create(base="p2@example.com", case=1, name="Bo", optout="0", org=2)
    m.crm_edit(field="mailingcity", pick=1, value=1)
    m.cc_change_email(base="p2@example.com", case=1, pick=8)


def _seed22_synced(m: SyncMachine, seed: int = 360) -> None:
    """Seed 22's world with its first faulted run settled."""
    crm = [("p0@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0),
           ("p5@example.com", 0, "0", 0), ("p3@example.com", 0, "0", 0)]  # fmt: skip
    m.configure(direction="both", first_run=True, cc=[("p0@example.com", 0, False)],
                scope="account", crm=crm)  # fmt: skip
    m.run_with_faults(kind=500, probability=0.2, seed=seed, side="cc", writes=None)
    m.quiet_point()


def company_after_cc_edits(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples, second try): ``companies_are_names`` — Vtiger
    organisation Globex, CC company Acme on a linked pair."""
    _seed22_synced(m)
    m.crm_delete_and_recreate(case=0, pick=0)
    m.quiet_point()
    m.contact_unsubscribes(pick=9)
    m.contact_resubscribes(pick=7)
    m.contact_unsubscribes(pick=8)
    m.cc_edit(body={"company_name": "Acme"}, pick=1)
    m.cc_change_email(base="p4@example.com", case=1, pick=1)
    m.cc_edit(body={"company_name": "Acme"}, pick=8)
    m.crm_change_email(base="p2@example.com", case=2, pick=10)


def cc_delete_after_killed_runs(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples, second try): ``no_resurrection`` — a CC contact deleted
    after two killed runs is live again."""
    _seed22_synced(m)
    m.contact_resubscribes(pick=3)
    m.run_killed(apply=False, k=2, side="crm")
    m.run_killed(apply=False, k=3, side="cc")
    m.contact_resubscribes(pick=6)
    m.crm_create(base="p0@example.com", case=2, name="Bo", optout="1", org=2)
    m.cc_delete(pick=0)
    m.contact_resubscribes(pick=5)
    m.quiet_point()


def ambiguous_after_recreate(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples, second try): ``counterparts`` — the Vtiger contact left
    of an ambiguous pair keeps ``ambiguous_crm_duplicates``."""
    _seed22_synced(m, seed=0)
    m.crm_delete_and_recreate(case=0, pick=0)
    m.quiet_point()
    m.crm_delete(pick=0)
    m.cc_change_email(base="p0@example.com", case=0, pick=0)
    m.cc_delete(pick=0)


SEED21B_CRM = [("p4@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0),
               ("p0@example.com", 0, "1", 0)]  # fmt: skip


def ambiguity_after_faulted_kills(m: SyncMachine) -> None:
    """Seed 21 (1,000 slow examples, third try): ``counterparts`` — a Vtiger contact alone
    with its address keeps ``ambiguous_crm_duplicates`` after killed and faulted runs."""
    m.configure(direction="both", first_run=False, cc=[], scope="account", crm=SEED21B_CRM)
    m.contact_resubscribes(pick=0)
    m.crm_delete_and_recreate(case=0, pick=0)
    m.run_killed(apply=True, k=1, side="cc")
    m.crm_delete(pick=4)
    m.run_killed(apply=True, k=2, side="cc")
    m.run_with_faults(kind=500, probability=1.0, seed=121, side="cc",
                      writes="POST|PUT|PATCH|DELETE")  # fmt: skip
    m.crm_edit(field="firstname", pick=8, value=0)
    m.contact_resubscribes(pick=3)
    m.run_killed(apply=False, k=3, side="cc")
    m.crm_opt_out(flag="1", pick=8)
    m.crm_edit(field="firstname", pick=6, value=2)
    m.crm_opt_out(flag="0", pick=10)
    m.quiet_point()


def company_of_unsubscribed_member(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples, fourth try): ``companies_are_names`` — list scope, a
    linked member who unsubscribed (and so left the list) never gets its new company."""
    m.configure(direction="both", scope="lists", crm=[("p0@example.com", 0, "0", 0)], cc=[],
                first_run=False)  # fmt: skip
    m.run_killed(apply=False, k=1, side="cc")
    m.quiet_point()
    m.cc_create(base="p0@example.com", case=0, listed=False, name="Ann")
    m.quiet_point()
    m.contact_unsubscribes(pick=0)
    m.quiet_point()
    m.crm_set_company(org=1, pick=6)
    m.contact_resubscribes(pick=3)


def duplicate_beside_moved_member(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples, fourth try): ``counterparts`` — list scope, a second
    Vtiger contact with a pair's address keeps ``email_already_linked`` after the pair moved."""
    m.configure(direction="both", scope="lists", crm=[("p0@example.com", 0, "0", 0)], cc=[],
                first_run=False)  # fmt: skip
    m.run()
    m.crm_edit(field="firstname", pick=1, value=3)
    m.run()
    m.quiet_point()
    m.cc_create(base="p5@example.com", case=2, listed=True, name="Dee")
    m.crm_opt_out(flag="0", pick=5)
    m.cc_list_membership(member=True, pick=3)
    m.crm_create(base="p0@example.com", case=2, name="Bo", optout="0", org=2)
    m.cc_change_email(base="p2@example.com", case=2, pick=1)
    m.crm_create(base="p3@example.com", case=0, name="Ann", optout="1", org=0)
    m.crm_change_email(base="p4@example.com", case=1, pick=8)
    m.run()
    m.contact_resubscribes(pick=7)
    m.cc_list_membership(member=False, pick=0)


def cc_delete_after_crm_faults(m: SyncMachine) -> None:
    """Seed 22 (1,000 slow examples, fifth try, 22 minutes in): ``no_resurrection`` — a CC
    contact deleted after a run with half its Vtiger calls answered 500 is live again."""
    m.configure(direction="both", first_run=False, crm=[("p3@example.com", 0, "0", 0)],
                cc=[("p3@example.com", 0, True)], scope="account")  # fmt: skip
    m.run_with_faults(kind=500, probability=0.5, seed=620, side="crm", writes=None)
    m.cc_delete(pick=0)
    m.quiet_point()


def refused_email_in_list_scope(m: SyncMachine) -> None:
    """Seed 21 (1,000 slow examples, fifth try, 19 minutes in): ``counterparts`` — a Vtiger
    contact keeps ``cc_email_in_use`` though no CC contact has its address any more."""
    m.configure(cc=[("p1@example.com", 2, False)], crm=[("p1@example.com", 2, "0", 2)],
                direction="both", scope="lists", first_run=True)  # fmt: skip
    m.cc_change_email(base="p2@example.com", case=1, pick=8)
    m.crm_opt_out(flag="1", pick=6)
    m.cc_change_email(base="p2@example.com", case=1, pick=1)
    m.crm_opt_out(flag="1", pick=4)
    m.cc_change_email(base="p4@example.com", case=0, pick=5)
    m.crm_opt_out(flag="0", pick=4)
    m.crm_opt_out(flag="1", pick=1)
    m.cc_change_email(base="p1@example.com", case=1, pick=4)
    m.crm_opt_out(flag="1", pick=10)
    m.crm_opt_out(flag="1", pick=7)
    m.cc_change_email(base="p4@example.com", case=1, pick=7)
    m.crm_opt_out(flag="0", pick=3)
    m.crm_opt_out(flag="0", pick=7)
    m.crm_opt_out(flag="0", pick=4)


def resubscribed_stays_subscribed(m: SyncMachine) -> None:
    """Seed 23 (400 slow examples, 14 minutes in): ``no_resubscription`` — the checker kept an
    address seen unsubscribed after the person re-subscribed, and blamed ccsync a quiet point
    later (a checker bug: the person's re-subscription stands)."""
    m.configure(direction="both", crm=[("p0@example.com", 0, "1", 0)], first_run=True,
                scope="account", cc=[("p0@example.com", 0, False)])  # fmt: skip
    m.quiet_point()
    m.contact_resubscribes(pick=0)
    m.quiet_point()
    m.quiet_point()


def resubscribed_beside_opted_out_duplicate(m: SyncMachine) -> None:
    """Seed 24 (1,000 slow examples, 6 minutes in): ``consent`` — 'subscribed in CC while opted
    out in Vtiger': a new Vtiger contact with p1 opted out, then the CC contact with p1
    re-subscribes."""
    m.configure(direction="both", cc=[("p0@example.com", 0, False), ("p0@example.com", 0, False),
                ("p1@example.com", 0, True)], scope="account", first_run=False, crm=[])  # fmt: skip
    m.run()
    m.quiet_point()
    m.quiet_point()
    m.crm_create(base="p1@example.com", case=0, name="Ann", optout="1", org=0)
    m.contact_resubscribes(pick=0)
    m.cc_delete(pick=0)
    m.run()
    m.crm_change_email(base="p0@example.com", case=0, pick=0)
    m.crm_edit(field="firstname", pick=0, value=0)
    m.contact_resubscribes(pick=0)
    m.cc_create(base="p0@example.com", case=0, listed=False, name="Ann")
    m.run()
    m.run()
    m.run()


def resubscribed_one_way_beside_opted_out(m: SyncMachine) -> None:
    """Seed 23 (1,000 slow examples, 14 minutes in), direction crm_to_cc: ``consent`` —
    'subscribed in CC while opted out in Vtiger' (p4, implicit)."""
    m.configure(direction="crm_to_cc", crm=[("p5@example.com", 0, "1", 0)], first_run=True,
                scope="account", cc=[("p0@example.com", 0, True), ("p4@example.com", 0, True),
                                     ("p5@example.com", 0, True)])  # fmt: skip
    m.quiet_point()
    m.cc_create(base="p0@example.com", case=0, listed=False, name="Ann")
    m.cc_create(base="p0@example.com", case=0, listed=False, name="Ann")
    m.run()
    m.crm_edit(field="firstname", pick=2, value=2)
    m.contact_resubscribes(pick=7)
    m.cc_list_membership(member=False, pick=11)
    m.cc_change_email(base="p1@example.com", case=0, pick=3)
    m.crm_change_email(base="p4@example.com", case=1, pick=9)
    m.cc_edit(body={"company_name": "Globex"}, pick=2)
    m.contact_unsubscribes(pick=8)
    m.crm_create(base="p5@example.com", case=0, name="Cy", optout="0", org=0)
    m.crm_set_company(org=0, pick=8)
    m.cc_list_membership(member=False, pick=3)


def _faulted_list_scope(m: SyncMachine) -> None:
    m.configure(direction="both", first_run=False, crm=[], scope="lists",
                cc=[("p0@example.com", 0, True), ("p5@example.com", 0, False)])  # fmt: skip
    m.cc_list_membership(member=True, pick=0)
    m.run_with_faults(kind=500, probability=0.2, seed=136, side="cc", writes=None)


def member_off_list_after_faults(m: SyncMachine) -> None:
    """The longer CI machine on 2026-12-06: ``linked_contacts_on_list`` — a CC contact whose
    Vtiger create failed (500) left the list before the retry; the retry read it by id and
    created it in Vtiger, off the list. Retried records read by id are now scope-checked."""
    _faulted_list_scope(m)
    m.cc_list_membership(member=True, pick=0)
    m.crm_opt_out(flag="0", pick=3)
    m.crm_opt_out(flag="0", pick=2)
    m.cc_list_membership(member=True, pick=3)
    m.crm_opt_out(flag="0", pick=5)
    m.crm_opt_out(flag="0", pick=7)
    m.cc_list_membership(member=True, pick=7)
    m.cc_list_membership(member=True, pick=11)
    m.run_with_faults(kind=500, probability=1.0, seed=214, side="crm",
                      writes="POST|PUT|PATCH|DELETE")  # fmt: skip
    m.cc_list_membership(member=False, pick=9)
    m.crm_opt_out(flag="0", pick=1)
    m.run_with_faults(kind="drop", probability=0.5, seed=342, side="cc", writes="DELETE")


def unsubscribe_of_moved_member(m: SyncMachine) -> None:
    """The longer CI machine on 2026-12-06: ``consent_reaches_crm`` — list scope, 'CC
    unsubscribe never reached Vtiger' (p4): a checker bug. The pair left the list, its CC
    contact moved to p4 and was unsubscribed for an opted-out Vtiger contact of p4; the former
    partner (p0) does not share the email any more (sync rule C7)."""
    _faulted_list_scope(m)
    m.crm_create(base="p2@example.com", case=1, name="Bo", optout="0", org=2)
    m.cc_create(base="p2@example.com", case=0, listed=True, name="Dee")
    m.crm_create(base="p4@example.com", case=2, name="Cy", optout="0", org=1)
    m.cc_list_membership(member=False, pick=3)
    m.cc_list_membership(member=False, pick=3)
    m.crm_create(base="p4@example.com", case=0, name="Dee", optout="1", org=2)
    m.cc_create(base="p5@example.com", case=2, listed=True, name="Bo")
    m.cc_change_email(base="p5@example.com", case=2, pick=9)
    m.cc_create(base="p3@example.com", case=0, listed=True, name="Dee")
    m.cc_create(base="p0@example.com", case=1, listed=True, name="Bo")
    m.cc_list_membership(member=True, pick=3)
    m.cc_change_email(base="p4@example.com", case=2, pick=4)


def new_holder_of_moved_address(m: SyncMachine) -> None:
    """Seed 32 (1,000 slow examples, 13 minutes in), direction cc_to_crm:
    ``no_crm_duplicate_created`` — a checker bug: in one run the pair moved to p5 and a new CC
    contact with p0 was created in Vtiger; the checker compared with the addresses before the
    run, not with those the old contacts keep."""
    m.configure(direction="cc_to_crm", first_run=True, cc=[], scope="account",
                crm=[("p0@example.com", 0, "0", 0)])  # fmt: skip
    m.cc_edit(body={"first_name": "Ann"}, pick=0)
    m.quiet_point()
    m.cc_create(base="p0@example.com", case=0, listed=False, name="Ann")
    m.quiet_point()
    m.run_killed(apply=False, k=3, side="cc")
    m.cc_change_email(base="p5@example.com", case=0, pick=0)
    m.cc_create(base="p0@example.com", case=2, listed=False, name="Dee")


def _seed31_start(m: SyncMachine) -> None:
    m.configure(direction="both", scope="lists", first_run=True,
                cc=[("p0@example.com", 0, True), ("p0@example.com", 0, False),
                    ("p3@example.com", 0, True)],
                crm=[("p2@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0),
                     ("p0@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0)])  # fmt: skip
    m.contact_resubscribes(pick=0)


def _seed31_off_list(m: SyncMachine) -> None:
    _seed31_start(m)
    m.cc_list_membership(member=False, pick=0)
    m.run_with_faults(kind=500, probability=0.2, seed=997, side="cc", writes=None)
    m.cc_list_membership(member=False, pick=0)
    m.contact_unsubscribes(pick=2)


def unsubscribe_after_lost_writes(m: SyncMachine) -> None:
    """Seed 31 (1,000 slow examples, 15 minutes in): ``consent_reaches_crm`` — list scope,
    'CC unsubscribe never reached Vtiger' (p5) after writes whose answers were lost."""
    _seed31_off_list(m)
    m.contact_unsubscribes(pick=6)
    m.contact_resubscribes(pick=7)
    m.cc_change_email(base="p2@example.com", case=2, pick=0)
    m.cc_change_email(base="p5@example.com", case=1, pick=1)
    m.crm_create(base="p5@example.com", case=1, name="Cy", optout="0", org=2)
    m.cc_delete(pick=8)
    m.run_with_faults(kind="lost", probability=1.0, seed=837, side="cc",
                      writes="POST|PUT|PATCH|DELETE")  # fmt: skip
    m.crm_set_company(org=0, pick=6)
    m.contact_unsubscribes(pick=0)


def crm_delete_in_list_scope(m: SyncMachine) -> None:
    """Seed 31: ``no_resurrection`` — 'the delete never reached the other side': a checker bug.
    The pair's Vtiger contact had moved to p3 (refused: p3 was taken), its CC contact kept p2,
    another Vtiger contact moved to p2, then the pair's Vtiger contact was deleted: the other
    one took the CC contact over, as it should; the checker knew only the deleted one's email."""
    _seed31_start(m)
    m.cc_delete(pick=1)
    m.cc_edit(body={"company_name": "Acme"}, pick=4)
    m.crm_change_email(base="p3@example.com", case=0, pick=0)
    m.contact_unsubscribes(pick=11)
    m.crm_set_company(org=2, pick=11)
    m.crm_set_company(org=1, pick=8)
    m.cc_change_email(base="p0@example.com", case=2, pick=8)
    m.quiet_point()
    m.crm_set_company(org=1, pick=1)
    m.cc_change_email(base="p5@example.com", case=1, pick=6)
    m.run_with_faults(kind=503, probability=0.5, seed=382, side="crm", writes=None)
    m.crm_change_email(base="p2@example.com", case=1, pick=5)
    m.crm_delete(pick=0)


def opted_out_beside_resubscribed_member(m: SyncMachine) -> None:
    """Seed 31: ``no_subscribed_opted_out`` — list scope, p2 'explicit' in CC while a new
    Vtiger contact with p2 is opted out."""
    _seed31_off_list(m)
    m.contact_resubscribes(pick=0)
    m.cc_create(base="p0@example.com", case=0, listed=True, name="Ann")
    m.quiet_point()
    m.crm_create(base="p2@example.com", case=0, name="Ann", optout="1", org=0)
    m.quiet_point()


def _seed33_start(m: SyncMachine) -> None:
    m.configure(direction="both", scope="lists", cc=[], first_run=False,
                crm=[("p0@example.com", 0, "1", 0), ("p5@example.com", 0, "1", 0),
                     ("p1@example.com", 0, "0", 0), ("p0@example.com", 0, "0", 0)])  # fmt: skip
    m.cc_change_email(base="p0@example.com", case=0, pick=0)
    m.crm_edit(field="firstname", pick=0, value=0)
    m.cc_change_email(base="p0@example.com", case=0, pick=0)
    m.cc_create(base="p3@example.com", case=0, listed=False, name="Ann")
    m.run()
    m.quiet_point()
    m.contact_unsubscribes(pick=5)
    m.contact_resubscribes(pick=0)
    m.quiet_point()


def resubscribed_member_moves_email(m: SyncMachine) -> None:
    """Seed 33 (1,000 slow examples, 17 minutes in): ``consent_reaches_crm`` — list scope, a
    member unsubscribes after re-subscribing, its Vtiger contact changes its email (failed on
    the code of the run, passes with the off-list consent lookups of the same day)."""
    _seed33_start(m)
    m.contact_unsubscribes(pick=3)
    m.crm_change_email(base="p1@example.com", case=1, pick=8)


def resubscribed_member_opted_out(m: SyncMachine) -> None:
    """Seed 33: ``no_subscribed_opted_out`` — list scope, p1 'explicit' in CC while its Vtiger
    contact is opted out (failed on the code of the run; passes since the same day's fixes)."""
    _seed33_start(m)
    m.crm_opt_out(flag="1", pick=10)
    m.contact_unsubscribes(pick=6)


@pytest.mark.parametrize(
    "steps",
    [
        item1_company_ids,
        item2_list_scope_unsubscribe,
        item3_failed_delete,
        item4_duplicate_opted_out,
        item5_delete_and_recreate,
        item6_refused_email_change,
        item7_killed_run,
        list_member_deleted,
        ambiguity_resolved,
        email_changes_under_faults,
        cc_delete_after_faulted_run,
        ambiguity_left_behind,
        cc_delete_after_resubscribes,
        recreated_after_opt_in,
        delete_under_crm_faults,
        duplicate_after_pair_deleted,
        duplicate_left_by_cc_delete,
        duplicate_left_by_crm_delete,
        duplicate_moves_away_from_pair,
        deleted_twin_of_moved_pair,
        cc_contact_left_ambiguous,
        company_of_moved_pair,
        ambiguous_left_alone,
        crm_duplicate_created,
        company_after_cc_edits,
        cc_delete_after_killed_runs,
        ambiguous_after_recreate,
        ambiguity_after_faulted_kills,
        company_of_unsubscribed_member,
        duplicate_beside_moved_member,
        resubscribed_stays_subscribed,
        cc_delete_after_crm_faults,
        resubscribed_beside_opted_out_duplicate,
        resubscribed_one_way_beside_opted_out,
        refused_email_in_list_scope,
        member_off_list_after_faults,
        unsubscribe_of_moved_member,
        new_holder_of_moved_address,
        unsubscribe_after_lost_writes,
        crm_delete_in_list_scope,
        opted_out_beside_resubscribed_member,
        resubscribed_member_moves_email,
        resubscribed_member_opted_out,
    ],
)
def test_found_example(machine_context: type[Context], steps: Steps) -> None:
    _replay(steps)
