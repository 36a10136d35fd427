"""Hypothesis laws of the mapping and the planner."""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsync.domain.contact import Consent
from ccsync.domain.normalize import email_key
from ccsync.engine.mapping import (
    canonical_to_cc_put,
    canonical_to_crm_create,
    cc_to_canonical,
    crm_to_canonical,
)
from ccsync.engine.plan_types import LinkState, Plan, PlanInput, SideRecord
from ccsync.engine.planner import build_plan

from .builders import MAPPING, at, cc_values, crm_values
from .builders import settings as plan_settings

TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), max_size=12
)
BIRTHDAY = st.tuples(st.integers(1, 12), st.integers(1, 28)).map(lambda t: f"{t[0]:02d}-{t[1]:02d}")
PERMISSIONS = st.sampled_from(["implicit", "explicit", "unsubscribed", "temp_hold", "not_set"])
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def canonicals() -> st.SearchStrategy[dict[str, str]]:
    fields = {f: TEXT for f in MAPPING.fields if f not in ("birthday", "email")}
    return st.fixed_dictionaries(
        {**fields, "birthday": st.just("") | BIRTHDAY, "email": st.just("ann@example.com")}
    )


@FAST
@given(canonicals())
def test_crm_canonical_crm_round_trip(canonical: dict[str, str]) -> None:
    record = canonical_to_crm_create(canonical, MAPPING, "19x1")
    back = crm_to_canonical(record, MAPPING)
    assert {f: back[f] for f in MAPPING.to_crm_fields} == {
        f: canonical[f] for f in MAPPING.to_crm_fields
    }


@FAST
@given(canonicals(), PERMISSIONS)
def test_cc_canonical_cc_round_trip(canonical: dict[str, str], permission: str) -> None:
    body = canonical_to_cc_put(canonical, {}, MAPPING, permission=permission)
    back, consent = cc_to_canonical(body, MAPPING)
    assert {f: back[f] for f in MAPPING.to_cc_fields} == {
        f: canonical[f] for f in MAPPING.to_cc_fields
    }
    assert consent.permission == permission


@FAST
@given(
    canonicals(),
    PERMISSIONS,
    st.sampled_from([None, "unsubscribed"]),
    st.lists(st.sampled_from(["work", "home", "mobile"]), max_size=2),
    TEXT,
)
def test_put_keeps_unmapped_data_and_never_invents_permission(
    canonical: dict[str, str],
    fresh_permission: str,
    permission: str | None,
    kinds: list[str],
    extra: str,
) -> None:
    fresh: dict[str, Any] = {
        "email_address": {"address": "ann@example.com", "permission_to_send": fresh_permission},
        "anniversary": "2006-11-15",
        "phone_numbers": [{"phone_number": f"9{i}", "kind": k} for i, k in enumerate(kinds)],
        "street_addresses": [{"kind": "work", "street": "Office"}],
        "custom_fields": [{"custom_field_id": "unmapped", "value": extra or "x"}],
        "list_memberships": ["l1"],
    }
    body = canonical_to_cc_put(canonical, fresh, MAPPING, permission=permission)
    assert body["email_address"]["permission_to_send"] == (permission or fresh_permission)
    assert body["anniversary"] == "2006-11-15" and body["list_memberships"] == ["l1"]
    assert {"kind": "work", "street": "Office"} in body["street_addresses"]
    assert fresh["custom_fields"][0] in body["custom_fields"]
    if "work" in kinds:  # the default mapping does not map kind=work
        assert {"phone_number": f"9{kinds.index('work')}", "kind": "work"} in body["phone_numbers"]


# --- planner laws --------------------------------------------------------------------------

EDIT_FIELDS = ("firstname", "title", "mobile", "mailingcity", "email")
VALUES = st.sampled_from(["", "a", "b", "Zoë", "F" * 45, "x🎉"])
EMAILS = st.sampled_from(["p0@example.com", "p1@example.com", "p2@example.com", "x@example.com"])


def edits() -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(EDIT_FIELDS[:-1]), VALUES, max_size=3) | st.builds(
        lambda e: {"email": e}, EMAILS
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[PlanInput, dict[str, Any]]:
    n = draw(st.integers(1, 3))
    links, crm_changes, cc_changes = [], [], []
    for i in range(n):
        base_crm = crm_values(email=f"p{i}@example.com")
        base_cc = cc_values(email=f"p{i}@example.com")
        perm = draw(st.sampled_from(["implicit", "unsubscribed"]))
        if perm == "unsubscribed":
            base_crm["emailoptout"] = "1"
        links.append(LinkState(f"12x{i}", f"c{i}", base_crm, base_cc, perm))
        if draw(st.booleans()):
            new = dict(base_crm, **draw(edits()))
            if draw(st.booleans()):
                new["emailoptout"] = "1" if new["emailoptout"] == "0" else "0"
            crm_changes.append(SideRecord(f"12x{i}", at(draw(st.integers(1, 5))), new))
        if draw(st.booleans()):
            new = dict(base_cc, **draw(edits()))
            consent = Consent(draw(PERMISSIONS))
            cc_changes.append(SideRecord(f"c{i}", at(draw(st.integers(1, 5))), new, consent))
    for j in range(draw(st.integers(0, 2))):
        crm_changes.append(SideRecord(f"12x{10 + j}", at(3), crm_values(email=draw(EMAILS))))
    for j in range(draw(st.integers(0, 2))):
        cc_changes.append(
            SideRecord(
                f"c{10 + j}", at(3), cc_values(email=draw(EMAILS)), Consent(draw(PERMISSIONS))
            )
        )
    policy = draw(st.sampled_from(["newest", "crm", "cc"]))
    direction = draw(st.sampled_from(["both", "crm_to_cc", "cc_to_crm"]))
    inp = PlanInput(crm_changes=_unique(crm_changes), cc_changes=_unique(cc_changes), links=links)
    return inp, {"conflict_policy": policy, "direction": direction}


def _unique(records: list[SideRecord]) -> list[SideRecord]:
    return list({r.id: r for r in records}.values())


class World:
    """Both sides as dictionaries, and the link table, driven by a plan like the runner."""

    def __init__(self, inp: PlanInput) -> None:
        self.crm = {link.crm_id: dict(link.crm_snapshot or {}) for link in inp.links}
        self.cc = {link.cc_id: dict(link.cc_snapshot or {}) for link in inp.links}
        self.perm = {link.cc_id: link.cc_permission or "implicit" for link in inp.links}
        for r in inp.crm_changes:
            self.crm[r.id] = dict(r.canonical)
        for r in inp.cc_changes:
            self.cc[r.id] = dict(r.canonical)
            self.perm[r.id] = r.consent.permission if r.consent else "implicit"
        self.links = {(link.crm_id, link.cc_id) for link in inp.links}
        self.touched: set[tuple[str, str]] = set()
        self.ids = itertools.count(100)

    def apply(self, plan: Plan) -> None:
        for action in plan.links:
            if action.kind == "link":
                self.links.add((action.crm_id or "", action.cc_id or ""))
        for action in [*plan.crm, *plan.cc]:
            self._write(action)

    def _write(self, action: Any) -> None:
        if action.kind == "skip":
            return
        crm_id, cc_id = action.crm_id, action.cc_id
        if action.target == "crm":
            crm_id = crm_id or f"12x{next(self.ids)}"
            self.crm.setdefault(crm_id, crm_values(email=""))
            self.crm[crm_id].update(action.values)
        else:
            cc_id = cc_id or f"c{next(self.ids)}"
            current = self.cc.setdefault(cc_id, cc_values(email=""))
            current.update({k: v for k, v in action.values.items() if k in MAPPING.to_cc_fields})
            self.perm[cc_id] = action.consent or self.perm.get(cc_id, "implicit")
        self.links.add((crm_id, cc_id))
        self.touched.add((crm_id, cc_id))

    def replan_input(self) -> PlanInput:
        links = [
            LinkState(a, b, dict(self.crm[a]), dict(self.cc[b]), self.perm[b])
            for a, b in sorted(self.links)
        ]
        crm = [SideRecord(a, at(60), dict(self.crm[a])) for a, _ in sorted(self.touched)]
        cc = [
            SideRecord(b, at(60), dict(self.cc[b]), Consent(self.perm[b]))
            for _, b in sorted(self.touched)
        ]
        return PlanInput(crm_changes=_unique(crm), cc_changes=_unique(cc), links=links)


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_planning_is_deterministic(scenario: tuple[PlanInput, dict[str, Any]]) -> None:
    inp, kw = scenario
    assert build_plan(inp, plan_settings(**kw)) == build_plan(inp, plan_settings(**kw))


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_applying_a_plan_then_replanning_writes_nothing(
    scenario: tuple[PlanInput, dict[str, Any]],
) -> None:
    inp, kw = scenario
    world = World(inp)
    world.apply(build_plan(inp, plan_settings(**kw)))
    again = build_plan(world.replan_input(), plan_settings(**kw))
    assert [a for a in (*again.crm, *again.cc) if a.is_write] == []


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_no_record_in_two_links_and_no_create_for_a_linked_email(
    scenario: tuple[PlanInput, dict[str, Any]],
) -> None:
    inp, kw = scenario
    plan = build_plan(inp, plan_settings(**kw))
    linked_emails = {
        email_key(s.get("email", ""))
        for link in inp.links
        for s in (link.crm_snapshot or {}, link.cc_snapshot or {})
    }
    for action in (*plan.crm, *plan.cc):
        if action.kind == "create":
            assert email_key(action.values.get("email", "")) not in linked_emails
    world = World(inp)
    world.apply(plan)
    crm_ids = [a for a, _ in world.links]
    cc_ids = [b for _, b in world.links]
    assert len(crm_ids) == len(set(crm_ids)) and len(cc_ids) == len(set(cc_ids))


def test_world_detects_a_second_link() -> None:
    """The invariant check above can fail: a plan linking one record twice is caught."""
    inp = PlanInput(links=[LinkState("12x0", "c0", crm_values(), cc_values(), "implicit")])
    world = World(inp)
    bad = Plan(
        crm=[
            replace(
                build_plan(
                    PlanInput(
                        cc_changes=[
                            SideRecord(
                                "c9", at(1), cc_values(email="q@example.com"), Consent("implicit")
                            )
                        ]
                    ),
                    plan_settings(),
                ).crm[0],
                crm_id="12x0",
            )
        ]
    )
    world.apply(bad)
    assert len({a for a, _ in world.links}) < len(world.links)
