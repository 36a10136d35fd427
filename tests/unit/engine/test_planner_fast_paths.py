"""The planner's fast paths give the same plans as the plain rules they shortcut."""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from ccsync.domain.contact import Consent, fingerprint
from ccsync.engine.merge import three_way
from ccsync.engine.plan_types import Action, LinkState, PlanInput, SideRecord
from ccsync.engine.planner import SWEEP_EVERY, build_plan
from ccsync.engine.validation import validate_for_cc

from .builders import MAPPING, at, cc, cc_values, crm, crm_values, link, settings


def test_action_fields_keep_the_order_the_planner_builds_them_in() -> None:
    # context.Context._add passes them positionally (half the cost of keywords).
    assert [f.name for f in fields(Action)] == [
        "kind",
        "target",
        "crm_id",
        "cc_id",
        "values",
        "diff",
        "reason",
        "message",
        "conflicts",
        "consent",
        "source",
        "name",
        "note",
        "warnings",
        "new",
        "fingerprint",
        "import_ok",
        "snapshots",
        "candidates",
        "attention",
    ]


def test_a_planned_update_carries_every_field_in_its_place() -> None:
    pair = link(email="ann@example.com")
    change = crm(minutes=5, title="T" * 60, emailoptout="1")
    plan = build_plan(PlanInput(crm_changes=[change], links=[pair]), settings())
    (update,) = plan.cc
    assert (update.kind, update.target, update.crm_id, update.cc_id) == (
        "update",
        "cc",
        "12x1",
        "c1",
    )
    assert update.values["title"] == "T" * 50 and update.diff == {"title": ("", "T" * 50)}
    assert (update.consent, update.source, update.name, update.note) == (
        "unsubscribed",
        "crm",
        "12x1",
        "",
    )
    assert [w.code for w in update.warnings] == ["truncated"]
    assert (update.new, update.fingerprint, update.import_ok) == (True, "", False)
    assert update.snapshots == (change.canonical, pair.cc_snapshot)
    assert update.conflicts == [] and update.candidates == () and update.reason == ""


def test_one_sided_change_to_the_other_sides_number_in_another_format_writes_nothing() -> None:
    pair = LinkState(
        "12x1",
        "c1",
        crm_values(phone="+1 202 555 0100"),
        cc_values(phone="(202) 555-0199"),
        "implicit",
    )
    change = crm(minutes=5, phone="202-555-0199")  # the CC number, formatted differently
    plan = build_plan(PlanInput(crm_changes=[change], links=[pair]), settings())
    assert plan.cc == [] and plan.crm == []
    assert [a.kind for a in plan.links] == ["resnapshot"]


def test_three_way_reads_a_snapshot_taken_before_a_field_was_mapped() -> None:
    old_crm = {k: v for k, v in crm_values().items() if k != "title"}
    old_cc = {k: v for k, v in cc_values().items() if k != "title"}
    for now_crm, now_cc in [
        (crm_values(title="CEO"), old_cc),
        (crm_values(title="CEO"), cc_values(mobile="555")),
        (old_crm, cc_values(title="Boss")),
    ]:
        merge = three_way(MAPPING, now_crm, now_cc, old_crm, old_cc, "crm")
        expected_cc = {"title": "CEO"} if now_crm.get("title") else {}
        assert merge.to_cc == expected_cc
        assert merge.to_crm == {k: v for k, v in now_cc.items() if v and k in ("mobile", "title")}


def test_both_sides_changed_merges_fields_in_mapping_order() -> None:
    changes = PlanInput(
        crm_changes=[crm(minutes=5, title="CEO", firstname="Anne")],
        cc_changes=[cc(minutes=6, mobile="555", mailingcity="Oslo", firstname="Annie")],
        links=[link()],
    )
    plan = build_plan(changes, settings())
    assert list(plan.crm[0].values) == ["firstname", "mobile", "mailingcity"]
    assert list(plan.cc[0].diff) == ["title"]
    assert [(c.field, c.winner) for c in plan.crm[0].conflicts] == [("firstname", "cc")]


def test_fingerprint_is_the_digest_of_every_field_in_key_order() -> None:
    contact = {"lastname": "Lee", "email": "zoë@example.com", "firstname": ""}
    consent = Consent("unsubscribed", "Contact")
    digest = hashlib.blake2b(digest_size=12)
    for key in sorted(contact):
        digest.update(f"{key}\x1f{contact[key]}\x1e".encode())
    assert fingerprint(contact) == digest.hexdigest()
    digest.update(f"\x1d{consent.permission}\x1f{consent.opt_out_source}".encode())
    assert fingerprint(contact, consent) == digest.hexdigest()


def _all_changed(pairs: int) -> PlanInput:
    links = [
        LinkState(f"12x{i}", f"c{i}", crm_values(), cc_values(), "implicit") for i in range(pairs)
    ]
    records = [SideRecord(f"12x{i}", at(5), crm_values(title=f"T{i}")) for i in range(pairs)]
    return PlanInput(crm_changes=records, links=links)


@contextmanager
def _watching() -> Iterator[list[int]]:
    """The generations the cyclic collector walks inside the block."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def test_planning_sweeps_the_youngest_generation_and_never_walks_the_input() -> None:
    inp = _all_changed(3 * SWEEP_EVERY)
    assert gc.isenabled()
    with _watching() as seen:
        plan = build_plan(inp, settings())
    assert len(plan.cc) == 3 * SWEEP_EVERY and gc.isenabled()
    assert seen.count(0) >= 3 and 2 not in seen


def test_planning_never_collects_when_the_caller_paused_the_collector() -> None:
    inp = _all_changed(3 * SWEEP_EVERY)
    gc.disable()
    try:
        with _watching() as seen:
            plan = build_plan(inp, settings())
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert len(plan.cc) == 3 * SWEEP_EVERY and seen == []


def test_cc_issues_come_in_the_order_of_the_values() -> None:
    # A set's order changes with the hash seed of the process: the first blocking issue (the
    # skip reason) and the warnings must not.
    names = ["title", "mailingcity", "firstname", "mailingstate", "lastname"]
    values = {name: "X" * 60 for name in names}
    assert [i.field for i in validate_for_cc(values, MAPPING, partial=True)] == names
