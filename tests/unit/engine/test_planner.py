"""Echo suppression, first pairing, three-way merge, conflict policies, cutoff, directions."""

from __future__ import annotations

import pytest

from ccsync.engine.merge import winner
from ccsync.engine.plan_types import PlanInput
from ccsync.engine.planner import build_plan

from .builders import T0, at, cc, crm, link, settings


def test_echo_of_our_own_write_is_ignored() -> None:
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=5)], cc_changes=[cc(minutes=5)], links=[link()]),
        settings(),
    )
    assert (plan.crm, plan.cc, plan.links) == ([], [], [])


def test_one_side_change_is_copied() -> None:
    plan = build_plan(
        PlanInput(cc_changes=[cc(minutes=5, mobile="+1 555 0100")], links=[link()]), settings()
    )
    assert plan.crm[0].values == {"mobile": "+1 555 0100"}
    assert plan.crm[0].diff == {"mobile": ("", "+1 555 0100")}


def test_reformatted_phone_is_not_a_change() -> None:
    pair = link(phone="+1 202-555-0100")
    plan = build_plan(
        PlanInput(cc_changes=[cc(minutes=5, phone="(202) 555-0100")], links=[pair]), settings()
    )
    assert plan.crm == [] and plan.cc == []
    assert [a.kind for a in plan.links] == ["resnapshot"]


def test_three_way_merge_combines_fields_changed_on_one_side_each() -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm(minutes=5, title="CEO")],
            cc_changes=[cc(minutes=6, mobile="555")],
            links=[link()],
        ),
        settings(),
    )
    assert plan.crm[0].values == {"mobile": "555"}
    assert plan.cc[0].diff == {"title": ("", "CEO")}
    assert plan.cc[0].values["mobile"] == "555"
    assert plan.crm[0].conflicts == [] and plan.cc[0].conflicts == []


@pytest.mark.parametrize(
    ("policy", "crm_minute", "cc_minute", "won"),
    [
        ("newest", 5, 9, "cc"),
        ("newest", 9, 5, "crm"),
        ("newest", 7, 7, "crm"),
        ("crm", 5, 9, "crm"),
        ("cc", 9, 5, "cc"),
    ],
)
def test_conflict_policy_outcomes(policy: str, crm_minute: int, cc_minute: int, won: str) -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm(minutes=crm_minute, title="A")],
            cc_changes=[cc(minutes=cc_minute, title="B")],
            links=[link()],
        ),
        settings(conflict_policy=policy),
    )
    loser = plan.cc if won == "crm" else plan.crm
    [action] = loser
    assert action.values["title"] == ("A" if won == "crm" else "B")
    assert [(c.field, c.crm_value, c.cc_value, c.winner) for c in action.conflicts] == [
        ("title", "A", "B", won)
    ]
    assert (plan.crm if won == "crm" else plan.cc) == []


def test_newest_compares_utc_instants() -> None:
    from datetime import timedelta, timezone

    later_in_new_york = T0.astimezone(timezone(timedelta(hours=-5))) + timedelta(seconds=1)
    assert winner("newest", T0, later_in_new_york) == "cc"
    assert winner("newest", T0, T0) == "crm"


def test_first_pairing_empty_side_takes_other_value_and_conflicts_by_policy() -> None:
    left = crm(minutes=1, title="CEO", mobile="", firstname="Ann")
    right = cc(minutes=2, title="", mobile="555", firstname="Anna", email="ANN@example.com")
    plan = build_plan(
        PlanInput(crm_changes=[left], cc_changes=[right], crm_all=[left], cc_all=[right]),
        settings(first_run=True),
    )
    assert [(a.kind, a.note) for a in plan.links] == [("link", "first match")]
    [to_crm] = plan.crm
    [to_cc] = plan.cc
    assert to_crm.values == {"mobile": "555", "firstname": "Anna"}  # newest (CC) wins
    assert to_cc.diff == {"title": ("", "CEO")}
    assert "email" not in to_cc.diff and "email" not in to_crm.values  # never rewritten
    assert [c.field for c in to_crm.conflicts] == ["firstname"]
    assert plan.report.matched == [("12x1", "c1")]


def test_first_pairing_matches_deleted_and_unsubscribed_twins_in_report() -> None:
    records = [crm("12x1"), crm("12x2", email="b@example.com")]
    twins = [cc("c1", permission="unsubscribed"), cc("c2", email="b@example.com", deleted=True)]
    plan = build_plan(
        PlanInput(crm_changes=records, crm_all=records, cc_changes=twins, cc_all=twins),
        settings(first_run=True),
    )
    assert plan.report.cc_unsubscribed_twins == [("12x1", "c1")]
    assert plan.report.cc_deleted_twins == [("12x2", "c2")]
    assert plan.crm[0].values == {"emailoptout": "1"}  # sync rule C1 on the first match


def test_first_run_cutoff_bounds_propagation_but_not_matching() -> None:
    cutoff = at(10)
    old_crm, new_crm = crm("12x1", minutes=0), crm("12x2", minutes=20, email="n@example.com")
    old_twin = cc("c1", minutes=0, title="CTO")
    plan = build_plan(
        PlanInput(
            crm_changes=[old_crm, new_crm],
            crm_all=[old_crm, new_crm],
            cc_changes=[old_twin],
            cc_all=[old_twin],
        ),
        settings(first_run=True, cutoff=cutoff),
    )
    assert plan.report.matched == [("12x1", "c1")]  # older twins are linked, not duplicated
    assert plan.crm == []  # the old CC title is not propagated
    assert [(a.kind, a.crm_id) for a in plan.cc] == [("create", "12x2")]
    old_only = crm("12x3", minutes=0, email="o@example.com")
    plan = build_plan(
        PlanInput(crm_changes=[old_only], crm_all=[old_only]),
        settings(first_run=True, cutoff=cutoff),
    )
    assert plan.cc == [] and plan.report.before_cutoff == ["12x3"]


def test_older_record_changing_after_first_run_syncs_like_any_change() -> None:
    old = crm("12x3", minutes=0, email="o@example.com")
    plan = build_plan(PlanInput(crm_changes=[old]), settings(cutoff=at(10)))
    assert [a.kind for a in plan.cc] == ["create"]


def test_direction_cc_to_crm_creates_only_in_crm() -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm("12x1", email="x@example.com")],
            cc_changes=[cc("c2", email="y@example.com")],
        ),
        settings(direction="cc_to_crm"),
    )
    assert [(a.kind, a.reason) for a in plan.cc] == [("skip", "direction_filtered")]
    assert [a.kind for a in plan.crm] == ["create"]


def test_crm_create_from_cc_contact_carries_consent_and_assigned_fields() -> None:
    plan = build_plan(
        PlanInput(cc_changes=[cc(permission="unsubscribed", title="CTO")]), settings()
    )
    [action] = plan.crm
    assert action.values["emailoptout"] == "1" and action.values["title"] == "CTO"
    # the company goes by name; the Vtiger connector links the organisation of that name
    assert action.values.get("account_id", "") == ""


def test_import_ok_only_for_plain_creates_and_non_clearing_updates() -> None:
    plan = build_plan(PlanInput(crm_changes=[crm("12x7", email="new@example.com")]), settings())
    assert plan.cc[0].import_ok
    long_email = "a" * 45 + "@example.com"
    plan = build_plan(PlanInput(crm_changes=[crm("12x7", email=long_email)]), settings())
    assert plan.cc[0].kind == "create" and not plan.cc[0].import_ok
    plan = build_plan(
        PlanInput(crm_changes=[crm(minutes=5, firstname="")], links=[link()]), settings()
    )
    assert plan.cc[0].kind == "update" and not plan.cc[0].import_ok


def test_plan_counts_match_seed_tables() -> None:
    plan = build_plan(
        PlanInput(
            crm_changes=[crm("12x7", email="n@example.com"), crm("12x8", email="")],
            crm_deleted=["12x1"],
            links=[link()],
        ),
        settings(),
    )
    assert plan.counts()["cc"] == {"created": 1, "updated": 0, "skipped": 1, "deleted": 1}
    assert plan.counts()["crm"] == {"created": 0, "updated": 0, "skipped": 0, "deleted": 0}
