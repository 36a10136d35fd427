"""One named test per consent, identity and deletion rule of docs/sync-rules.md.

The names keep the numbers of the product spec's list (the reason code or that number in each
name): 01–05 are sync rules C1–C5, 06 I3, 07 I4 and I5, 08 I7, 09 D1 and L3, 10 D4, 11 D5 and D3,
12 D6, 13 D8 and P3.
"""

from __future__ import annotations

from ccsync.connectors.base import FieldInfo, Schema, Side
from ccsync.connectors.vtiger.describe import COLUMN_SIZES
from ccsync.domain.contact import Consent
from ccsync.engine.breaker import apply_breaker, create_limit, delete_limit, discard
from ccsync.engine.plan_types import Plan, PlanInput, PlanSettings, SideRecord
from ccsync.engine.planner import build_plan

from .builders import cc, crm, link, settings


def kinds(plan: Plan, side: Side) -> list[tuple[str, str]]:
    return [(a.kind, a.reason) for a in plan.side(side)]


# --- consent -------------------------------------------------------------------------------


def test_rule_01_cc_unsubscribed_sets_crm_optout_in_every_direction() -> None:
    for direction in ("both", "crm_to_cc", "cc_to_crm"):
        plan = build_plan(
            PlanInput(cc_changes=[cc(minutes=5, permission="unsubscribed")], links=[link()]),
            settings(direction=direction),
        )
        [action] = plan.crm
        assert (action.kind, action.values) == ("update", {"emailoptout": "1"})
        assert action.reason == ""


def test_rule_01_account_opt_out_source_also_sets_crm_optout() -> None:
    record = cc(minutes=5, permission="unsubscribed")
    record = SideRecord(
        record.id, record.updated_at, record.canonical, Consent("unsubscribed", "Account")
    )
    plan = build_plan(PlanInput(cc_changes=[record], links=[link()]), settings())
    assert plan.crm[0].values == {"emailoptout": "1"}


def test_rule_02_crm_optout_unsubscribes_in_cc_in_every_direction() -> None:
    for direction in ("both", "crm_to_cc", "cc_to_crm"):
        plan = build_plan(
            PlanInput(crm_changes=[crm(minutes=5, emailoptout="1")], links=[link()]),
            settings(direction=direction),
        )
        [action] = plan.cc
        assert (action.kind, action.consent, action.import_ok) == ("update", "unsubscribed", False)
        assert action.diff == {}


def test_rule_03_optout_sticky_writes_1_back_while_cc_unsubscribed() -> None:
    pair = link(permission="unsubscribed", emailoptout="1")
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=5, emailoptout="0")], links=[pair]), settings()
    )
    [action] = plan.crm
    assert (action.values, action.reason) == ({"emailoptout": "1"}, "optout_sticky")
    assert plan.cc == []


def test_rule_03_crm_optout_1_to_0_never_changes_cc() -> None:
    pair = link(permission="implicit", emailoptout="1")
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=5, emailoptout="0")], links=[pair]), settings()
    )
    assert plan.cc == [] and plan.crm == []


def test_rule_04_cc_resubscribed_by_contact_clears_crm_optout() -> None:
    pair = link(permission="unsubscribed", emailoptout="1")
    plan = build_plan(
        PlanInput(cc_changes=[cc(minutes=5, permission="explicit")], links=[pair]), settings()
    )
    assert plan.crm[0].values == {"emailoptout": "0"}


def test_rule_04_other_permission_states_leave_crm_flag_alone() -> None:
    pair = link(permission="unsubscribed", emailoptout="1")
    plan = build_plan(
        PlanInput(cc_changes=[cc(minutes=5, permission="temp_hold")], links=[pair]), settings()
    )
    assert plan.crm == [] and plan.cc == []


def test_rule_05_crm_opted_out_not_in_cc_is_skipped() -> None:
    plan = build_plan(PlanInput(crm_changes=[crm(emailoptout="1")]), settings())
    assert kinds(plan, "cc") == [("skip", "crm_opted_out_not_in_cc")]


def test_rule_05_create_unsubscribed_posts_one_unsubscribed_contact() -> None:
    plan = build_plan(
        PlanInput(crm_changes=[crm(emailoptout="1")]), settings(create_unsubscribed=True)
    )
    [action] = plan.cc
    assert (action.kind, action.consent, action.import_ok) == ("create", "unsubscribed", False)


def test_rule_05_first_sync_of_crm_opt_outs_creates_no_sendable_cc_contact() -> None:
    records = [crm(f"12x{i}", email=f"p{i}@example.com", emailoptout="1") for i in range(20)]
    twin = cc("c5", email="p5@example.com", permission="explicit")
    dead = cc("c6", email="p6@example.com", permission="implicit", deleted=True, minutes=-1)
    plan = build_plan(
        PlanInput(
            crm_changes=records, crm_all=records, cc_all=[twin, dead], cc_changes=[twin, dead]
        ),
        settings(first_run=True),
    )
    sendable = [
        a
        for a in plan.cc
        if a.kind in ("create", "update", "revive") and a.consent != "unsubscribed"
    ]
    assert sendable == []
    assert not any(a.import_ok for a in plan.cc)
    assert {a.crm_id for a in plan.cc if a.consent == "unsubscribed"} == {"12x5", "12x6"}
    assert sum(1 for a in plan.cc if a.reason == "crm_opted_out_not_in_cc") == 18


# --- identity ------------------------------------------------------------------------------


def test_rule_06_no_email_is_skipped() -> None:
    plan = build_plan(PlanInput(crm_changes=[crm(email="")]), settings())
    assert kinds(plan, "cc") == [("skip", "no_email")]


def test_rule_06_invalid_email_is_skipped() -> None:
    plan = build_plan(PlanInput(crm_changes=[crm(email="ann@")]), settings())
    assert kinds(plan, "cc") == [("skip", "invalid_email")]
    assert plan.report.invalid_email == ["12x1"]


def test_rule_06_cc_no_email_is_skipped() -> None:
    plan = build_plan(PlanInput(cc_changes=[cc(email="")]), settings())
    assert kinds(plan, "crm") == [("skip", "cc_no_email")]


def test_rule_06_secondaryemail_is_ignored_unless_mapped() -> None:
    record = crm(email="")
    record.canonical["secondaryemail"] = "other@example.com"
    plan = build_plan(PlanInput(crm_changes=[record]), settings())
    assert kinds(plan, "cc") == [("skip", "no_email")]


def test_rule_07_ambiguous_crm_duplicates_names_all_candidates() -> None:
    twins = [crm("12x1"), crm("12x2", email="ANN@example.com")]
    plan = build_plan(PlanInput(crm_changes=twins, cc_changes=[cc()]), settings())
    assert {a.reason for a in plan.cc} == {"ambiguous_crm_duplicates"}
    assert plan.cc[0].candidates == ("12x1", "12x2")
    assert kinds(plan, "crm") == [("skip", "ambiguous_crm_duplicates")]
    assert plan.report.ambiguous == [("12x1", "12x2")]


def test_rule_07_ambiguous_is_counted_once_not_every_run() -> None:
    twins = [crm("12x1"), crm("12x2")]
    first = build_plan(PlanInput(crm_changes=twins), settings())
    seen = {a.skip_key: a.fingerprint for a in first.cc}
    again = build_plan(PlanInput(crm_changes=twins, last_skipped=seen), settings())
    assert first.counts()["cc"]["skipped"] == 2
    assert again.counts()["cc"]["skipped"] == 0
    assert len(again.cc) == 2


def test_rule_07_email_already_linked_for_a_new_crm_contact() -> None:
    plan = build_plan(PlanInput(crm_changes=[crm("12x9")], links=[link()]), settings())
    assert kinds(plan, "cc") == [("skip", "email_already_linked")]


def test_rule_08_email_change_is_written_to_the_linked_record() -> None:
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=5, email="new@example.com")], links=[link()]), settings()
    )
    [action] = plan.cc
    assert (action.kind, action.cc_id) == ("update", "c1")
    assert action.diff == {"email": ("ann@example.com", "new@example.com")}
    assert action.import_ok is False  # an email change is a PUT (409 → cc_email_in_use)


def test_rule_08_both_changed_email_conflict_policy_logs_losing_value() -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm(minutes=5, email="a@example.com")],
            cc_changes=[cc(minutes=9, email="b@example.com")],
            links=[link()],
        ),
        settings(),
    )
    [action] = plan.crm
    assert action.values == {"email": "b@example.com"}
    [conflict] = action.conflicts
    assert (conflict.crm_value, conflict.cc_value, conflict.winner) == (
        "a@example.com",
        "b@example.com",
        "cc",
    )


# --- deletion ------------------------------------------------------------------------------


def test_rule_09_crm_delete_mirror_deletes_in_cc_and_tombstones() -> None:
    plan = build_plan(PlanInput(crm_deleted=["12x1"], links=[link()]), settings())
    assert kinds(plan, "cc") == [("delete", "")]
    assert plan.links == [], "the pair is tombstoned once the delete is acknowledged"


def test_rule_09_crm_delete_unlist_removes_from_target_list() -> None:
    plan = build_plan(
        PlanInput(crm_deleted=["12x1"], links=[link()]), settings(crm_delete_policy="unlist")
    )
    assert kinds(plan, "cc") == [("unlist", "")]
    assert plan.links == [], "the pair is tombstoned once the unlist is acknowledged"


def test_rule_09_crm_delete_ignore_unlinks_with_delete_ignored() -> None:
    plan = build_plan(
        PlanInput(crm_deleted=["12x1"], links=[link()]), settings(crm_delete_policy="ignore")
    )
    assert kinds(plan, "cc") == [("skip", "delete_ignored")]
    assert [a.kind for a in plan.links] == ["tombstone"]


def test_rule_09_cc_delete_mirror_deletes_in_crm() -> None:
    plan = build_plan(PlanInput(cc_changes=[cc(deleted=True)], links=[link()]), settings())
    assert kinds(plan, "crm") == [("delete", "")]


def test_rule_09_cc_delete_ignore_keeps_crm_record() -> None:
    plan = build_plan(
        PlanInput(cc_deleted=["c1"], links=[link()]), settings(cc_delete_policy="ignore")
    )
    assert kinds(plan, "crm") == [("skip", "delete_ignored")]


def test_rule_09_out_of_scope_unlinks_and_never_deletes() -> None:
    plan = build_plan(PlanInput(crm_out_of_scope=["12x1"], links=[link()]), settings())
    assert plan.cc == [] and plan.crm == []
    assert [(a.kind, a.reason) for a in plan.links] == [("unlink", "out_of_scope")]


def test_rule_10_new_crm_contact_revives_deleted_cc_twin_with_put() -> None:
    dead = cc("c7", deleted=True, permission="unsubscribed", minutes=-1)
    plan = build_plan(PlanInput(crm_changes=[crm("12x5")], cc_twins=[dead]), settings())
    [action] = plan.cc
    assert (action.kind, action.cc_id, action.note, action.import_ok) == (
        "revive",
        "c7",
        "revived",
        False,
    )
    assert action.consent is None  # the PUT copies "unsubscribed" from the fresh read
    assert plan.counts()["cc"]["created"] == 1


def test_a_crm_contact_not_newer_than_the_cc_delete_revives_nothing() -> None:
    dead = cc("c7", deleted=True)
    plan = build_plan(PlanInput(crm_changes=[crm("12x5")], cc_twins=[dead]), settings())
    [action] = plan.cc
    assert (action.kind, action.reason) == ("skip", "cc_twin_deleted")


def test_rule_11_cc_revival_of_tombstoned_pair_creates_new_vtiger_record() -> None:
    tomb = link(tombstoned=True, cc_deleted=True)
    plan = build_plan(PlanInput(cc_changes=[cc(minutes=9)], links=[tomb]), settings())
    [action] = plan.crm
    assert (action.kind, action.crm_id, action.cc_id, action.note) == (
        "create",
        None,
        "c1",
        "revived",
    )


def test_rule_11_recycle_bin_restore_relinks_when_cc_alive() -> None:
    tomb = link(tombstoned=True, cc_deleted=False)
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=9)], cc_twins=[cc()], links=[tomb]), settings()
    )
    assert [(a.kind, a.note) for a in plan.links] == [("link", "restored")]
    assert plan.cc == [] and plan.crm == []


def test_rule_11_recycle_bin_restore_revives_deleted_cc_contact() -> None:
    tomb = link(tombstoned=True, cc_deleted=True)
    plan = build_plan(PlanInput(crm_changes=[crm(minutes=9)], links=[tomb]), settings())
    assert [(a.kind, a.note) for a in plan.cc] == [("revive", "restored")]


def test_rule_11_tombstoned_pair_not_recreated_without_cc_revival() -> None:
    tomb = link(tombstoned=True, cc_deleted=False)
    plan = build_plan(PlanInput(cc_changes=[cc(minutes=9)], links=[tomb]), settings())
    assert kinds(plan, "crm") == [("skip", "tombstoned")]


def test_rule_12_change_wins_over_delete_by_default() -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm(minutes=9, firstname="Anna")],
            cc_changes=[cc(deleted=True)],
            links=[link()],
        ),
        settings(),
    )
    assert kinds(plan, "cc") == [("revive", "")]
    assert plan.crm == []
    plan = build_plan(
        PlanInput(crm_deleted=["12x1"], cc_changes=[cc(minutes=9, title="CEO")], links=[link()]),
        settings(),
    )
    assert [(a.kind, a.note) for a in plan.crm] == [("create", "revived")]


def test_rule_12_delete_wins_when_admin_chose_it() -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm(minutes=9, firstname="Anna")],
            cc_changes=[cc(deleted=True)],
            links=[link()],
        ),
        settings(delete_wins=True),
    )
    assert kinds(plan, "crm") == [("delete", "")]
    assert plan.cc == []


# --- circuit breaker -----------------------------------------------------------------------


def test_rule_13_breaker_limits() -> None:
    assert [delete_limit(n) for n in (0, 50, 100, 500, 5000)] == [5, 5, 10, 50, 100]
    assert [create_limit(n) for n in (0, 200, 1000)] == [100, 100, 500]


def _deletes(n: int) -> PlanInput:
    links = [link(f"12x{i}", f"c{i}", email=f"p{i}@example.com") for i in range(n)]
    return PlanInput(crm_deleted=[f"12x{i}" for i in range(n)], links=links)


def test_rule_13_delete_held_when_deletes_exceed_limit() -> None:
    s = settings(linked_pairs=100)
    applied, held = apply_breaker(build_plan(_deletes(11), s), s)
    assert applied.cc == [] and len(held) == 11
    assert {a.reason for a in held} == {"delete_held"}
    assert not any(a.kind == "tombstone" for a in applied.links)
    assert discard(held[0]).reason == "delete_ignored"


def test_rule_13_deletes_at_the_limit_are_applied() -> None:
    s = settings(linked_pairs=100)
    applied, held = apply_breaker(build_plan(_deletes(10), s), s)
    assert len(applied.cc) == 10 and held == []


def test_rule_13_create_held_after_first_run_only() -> None:
    records = [crm(f"12x{i}", email=f"n{i}@example.com") for i in range(101)]
    later = settings(linked_pairs=10)
    applied, held = apply_breaker(build_plan(PlanInput(crm_changes=records), later), later)
    assert applied.cc == [] and {a.reason for a in held} == {"create_held"}
    first = settings(linked_pairs=0, first_run=True)
    plan = build_plan(PlanInput(crm_changes=records, crm_all=records), first)
    applied, held = apply_breaker(plan, first)
    assert len(applied.cc) == 101 and held == []
    assert plan.preview_required


def test_rule_13_first_run_preview_only_above_100_on_a_side() -> None:
    records = [crm(f"12x{i}", email=f"n{i}@example.com") for i in range(100)]
    plan = build_plan(PlanInput(crm_changes=records), settings(first_run=True))
    assert len(plan.cc) == 100 and not plan.preview_required


# --- validation ----------------------------------------------------------------------------


def test_no_last_name_skips_a_crm_create() -> None:
    plan = build_plan(PlanInput(cc_changes=[cc(lastname="")]), settings())
    assert kinds(plan, "crm") == [("skip", "no_last_name")]
    assert plan.report.no_last_name == ["c1"]


def test_missing_mandatory_field_from_live_describe() -> None:
    schema = Schema({"title": FieldInfo("title", "Title", mandatory=True)}, lengths=COLUMN_SIZES)
    plan = build_plan(PlanInput(cc_changes=[cc()]), settings(crm_schema=schema))
    assert kinds(plan, "crm") == [("skip", "missing_mandatory:title")]


def test_email_too_long_is_never_truncated() -> None:
    email = "a" * 75 + "@example.com"
    plan = build_plan(PlanInput(crm_changes=[crm(email=email)]), settings())
    assert kinds(plan, "cc") == [("skip", "email_too_long")]


def test_truncated_warning_keeps_the_pair_writing() -> None:
    plan = build_plan(
        PlanInput(cc_changes=[cc(minutes=5, firstname="F" * 50)], links=[link()]), settings()
    )
    [action] = plan.crm
    assert action.values == {"firstname": "F" * 40}
    assert [w.code for w in action.warnings] == ["truncated"]


def test_value_too_long_street_is_skipped() -> None:
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=5, mailingstreet="s" * 256)], links=[link()]), settings()
    )
    assert kinds(plan, "cc") == [("skip", "value_too_long")]


def test_lossy_in_crm_writes_what_vtiger_keeps() -> None:
    plan = build_plan(
        PlanInput(cc_changes=[cc(minutes=5, firstname="Ann 🎉")], links=[link()]), settings()
    )
    [action] = plan.crm
    assert action.values == {"firstname": "Ann ?"}
    assert [w.code for w in action.warnings] == ["lossy_in_crm"]


def test_direction_filtered_change_is_skipped_and_counted_once() -> None:
    s = settings(direction="crm_to_cc")
    plan = build_plan(PlanInput(cc_changes=[cc(minutes=5, title="CEO")], links=[link()]), s)
    assert kinds(plan, "crm") == [("skip", "direction_filtered")]
    seen = {a.skip_key: a.fingerprint for a in plan.crm}
    again = build_plan(
        PlanInput(cc_changes=[cc(minutes=6, title="CEO")], links=[link()], last_skipped=seen), s
    )
    assert again.counts()["crm"]["skipped"] == 0


def test_rule_09_delete_is_not_mirrored_against_the_direction() -> None:
    plan = build_plan(
        PlanInput(crm_deleted=["12x1"], links=[link()]), settings(direction="cc_to_crm")
    )
    assert kinds(plan, "cc") == [("skip", "direction_filtered")]
    assert [(a.kind, a.note) for a in plan.links] == [("tombstone", "")]


def test_rule_10_idle_crm_contact_does_not_revive_a_deleted_twin() -> None:
    idle = crm("12x5", minutes=0)
    plan = build_plan(PlanInput(cc_changes=[cc("c7", deleted=True)], crm_twins=[idle]), settings())
    assert plan.cc == [] and plan.crm == []
    assert plan.report.cc_deleted_twins == [("12x5", "c7")]


def test_deleted_unlinked_crm_record_is_ignored() -> None:
    plan = build_plan(PlanInput(crm_changes=[crm("12x5", deleted=True)]), settings())
    assert plan.cc == [] and plan.crm == []


def test_rule_13_breaker_evaluates_each_side_on_its_own() -> None:
    s = settings(linked_pairs=100)
    links = [link(f"12x{i}", f"c{i}", email=f"p{i}@example.com") for i in range(12)]
    inp = PlanInput(
        crm_deleted=[f"12x{i}" for i in range(6)],
        cc_deleted=[f"c{i}" for i in range(6, 12)],
        links=links,
    )
    applied, held = apply_breaker(build_plan(inp, s), s)
    assert len(applied.cc) == 6 and len(applied.crm) == 6 and held == []
    s = settings(linked_pairs=10)
    applied, held = apply_breaker(build_plan(inp, s), s)
    assert applied.cc == [] and applied.crm == [] and len(held) == 12


def test_rule_05_holds_without_the_extended_rows() -> None:
    from ccsync.engine.mapping import crm_to_canonical, default_mapping

    plain = default_mapping(extended=False)
    record = crm_to_canonical(
        {"lastname": "Lee", "email": "ann@example.com", "emailoptout": "1"}, plain
    )
    inp = PlanInput(crm_changes=[SideRecord("12x1", crm().updated_at, record)])
    plan = build_plan(inp, PlanSettings(mapping=plain, first_run=True))
    assert kinds(plan, "cc") == [("skip", "crm_opted_out_not_in_cc")]


def test_rule_11_restore_never_links_a_cc_contact_linked_elsewhere() -> None:
    tomb = link(tombstoned=True)
    other = link("12x8", "c1")
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=9)], cc_twins=[cc()], links=[tomb, other]), settings()
    )
    assert [a.kind for a in plan.links] == []
    assert kinds(plan, "cc") == [("skip", "email_already_linked")]
