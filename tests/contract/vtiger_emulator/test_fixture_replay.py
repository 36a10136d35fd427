"""Every real Vtiger 8.2 exchange in ``tests/fixtures/vtiger`` replayed against the emulator.

Status and body shape must match (keys, value types, list emptiness, error code and message);
ids, tokens, timestamps and counts are placeholders. Entries that are not webservice exchanges
(web-UI pages, DB reads, derived summaries) are checked through the matching control or
operation; what cannot be replayed at all is in ``ALLOWED`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from .client import Proc
from .replay_support import FIXTURES, load
from .replayer import Action, Handler, Replayer

# --- hook actions ------------------------------------------------------------------------------


def delete(fixture_id: str, at: str | None = None) -> Action:
    """Delete a record through the webservice (optionally at a lab time)."""

    def act(r: Replayer) -> None:
        if at:
            r.clock(at)
        body = r.vt.post(
            {
                "operation": "delete",
                "sessionName": r.sessions["admin"],
                "id": r.ids.apply(fixture_id),
            }
        )
        assert body["success"], body

    return act


def duplicates(on: bool) -> Action:
    """Turn duplicate prevention on or off (Settings in the UI)."""
    return lambda r: r.vt.control("POST", "/ui/settings", {"duplicate_prevention": on})


def mandatory(on: bool, *names: str) -> Action:
    """Flip mandatory flags in the layout editor."""

    def act(r: Replayer) -> None:
        for name in names:
            r.vt.control("POST", f"/ui/fields/{name}/mandatory", {"mandatory": on})

    return act


def session_override(value: str) -> Action:
    """Use another sessionName for the next exchange."""
    return lambda r: setattr(r, "session_override", value)


def key_override(value: str) -> Action:
    """Use another access key for the next login."""
    return lambda r: setattr(r, "key_override", value)


def clear_overrides(r: Replayer) -> None:
    """Back to the real session and key."""
    r.session_override = r.key_override = None


def advance(seconds: float) -> Action:
    """Move the emulator clock."""
    return lambda r: r.vt.control("POST", "/clock", {"advance": seconds})


def fresh_challenge(r: Replayer) -> None:
    """A getchallenge for admin before a login exchange."""
    r.challenge("admin")


def supersede(r: Replayer) -> None:
    """A foreign getchallenge that kills admin's token."""
    r.vt.control("POST", "/challenge/supersede", {"user": "admin"})


# --- handlers for entries that are not plain exchanges ----------------------------------------


def describe_excerpt(r: Replayer, exchange: dict[str, Any]) -> None:
    """describe body_excerpt: mandatory field list and the quoted field entries, exactly."""
    excerpt = exchange["response"]["body_excerpt"]["result"]
    result = r.call("admin", "describe", elementType="Contacts")["result"]
    mandatory_now = [f["name"] for f in result["fields"] if f["mandatory"]]
    r.check("describe", mandatory_now == excerpt["mandatory_fields"], f"{mandatory_now}")
    by_name = {f["name"]: f for f in result["fields"]}
    for entry in excerpt["fields"]:
        r.check("describe", by_name.get(entry["name"]) == entry, f"{by_name.get(entry['name'])}")


def cf_describe(r: Replayer, exchange: dict[str, Any]) -> None:
    """describe with the custom field: field order and the cf entry, exactly."""
    excerpt = exchange["response"]["body_excerpt"]["result"]
    result = r.call("admin", "describe", elementType="Contacts")["result"]
    names = [f["name"] for f in result["fields"]]
    r.check("cf_describe", names == excerpt["field_names_in_order"], f"order {names}")
    entries = [f for f in result["fields"] if f["name"].startswith("cf_")]
    r.check("cf_describe", entries == excerpt["custom_fields"], f"{entries}")
    r.check("cf_describe", result["idPrefix"] == excerpt["idPrefix"], "idPrefix")


def sales1_sees_cf(r: Replayer, exchange: dict[str, Any]) -> None:
    """The non-admin also gets the new field in describe."""
    names = [
        f["name"] for f in r.call("sales1", "describe", elementType="Contacts")["result"]["fields"]
    ]
    r.check("sales1_sees_cf", ("cf_853" in names) == bool(exchange["value"]), f"{names}")


def sales1_describe(r: Replayer, exchange: dict[str, Any]) -> None:
    """Derived describe summary of admin vs sales1."""
    for user in ("sales1", "admin"):
        want = exchange[user]
        result = r.call(user, "describe", elementType="Contacts")["result"]
        got = {k: result[k] for k in ("createable", "updateable", "deleteable", "retrieveable")}
        got |= {"idPrefix": result["idPrefix"], "field_count": len(result["fields"])}
        owner = next(f for f in result["fields"] if f["name"] == "assigned_user_id")
        got["assigned_user_id_picklist"] = {"name": owner["type"]["name"]}
        r.check(f"describe_{user}", got == want, f"{got}")


def sales1_listtypes(r: Replayer, exchange: dict[str, Any]) -> None:
    """Derived: 34 types for the non-admin (no Users), 35 for admin."""
    for user in ("sales1", "admin"):
        count = len(r.call(user, "listtypes")["result"]["types"])
        r.check(f"listtypes_{user}", count == exchange[user], f"{count}")


def web_restore(r: Replayer, exchange: dict[str, Any]) -> None:
    """The Recycle Bin restore web action, through the UI control (same id back)."""
    r.clock("2026-11-26 21:11:06")
    target = r.ids.apply("12x" + exchange["request"]["params"]["selected_ids"].strip('[]"'))
    restored = r.vt.control("POST", f"/ui/contacts/{target}/restore", {})
    r.check("web_restore", restored["id"] == target, f"{restored['id']} != {target}")


def db_crmentity_state(r: Replayer, exchange: dict[str, Any]) -> None:
    """The DB read after restore: deleted=0 and the restore's modifiedtime (via /contacts)."""
    target = r.ids.apply("12x150")
    row = next(c for c in r.vt.control("GET", "/contacts") if c["id"] == target)
    deleted, stamp, _ = exchange["after_restore"].split("\t")
    got = (row["deleted"], row["modifiedtime"])
    r.check("db_state", got == (deleted == "1", stamp), f"{got}")


def sync_excerpt(r: Replayer, exchange: dict[str, Any]) -> None:
    """In-process vtws_sync excerpt: same ids, deleted list, more and lastModifiedTime."""
    params = exchange["request"]
    result = r.call("admin", "sync", modifiedTime=params["modifiedTime"], elementType="Contacts")
    got = result["result"]
    want = exchange["response_excerpt"]
    updated = [[r.ids.back(u["id"]), u["modifiedtime"]] for u in got["updated"]]
    r.check("sync", updated == want["updated_ids_and_modifiedtime"], f"{updated}")
    rest = {k: got[k] for k in ("deleted", "more", "lastModifiedTime")}
    r.check("sync", rest == {k: want[k] for k in rest}, f"{rest}")


def sync_exact(r: Replayer, exchange: dict[str, Any]) -> None:
    """A full in-process sync answer: shape, and the same ids, deletions, more, time.

    The lab called ``vtws_sync`` in-process (HTTP sync is broken there); over HTTP the same
    parameters travel as a GET with the session.
    """
    params = {**exchange["request"], "sessionName": "<SESSION_NAME>"}
    over_http = {**exchange, "request": {"http_method": "GET", "params": params}}
    r.replay("sync", over_http, "admin")
    want = exchange["response"]["body"]["result"]
    got = r.answers.get("sync", {}).get("result", {})
    pairs = [(r.ids.back(u["id"]), u["modifiedtime"]) for u in got.get("updated", [])]
    r.check("sync", pairs == [(u["id"], u["modifiedtime"]) for u in want["updated"]], f"{pairs}")
    deleted = [r.ids.back(i) for i in got.get("deleted", [])]
    r.check("sync", deleted == want["deleted"], f"deleted {deleted}")
    for key in ("more", "lastModifiedTime"):
        r.check("sync", got.get(key) == want[key], f"{key} {got.get(key)}")


def modifiedtime_steps(r: Replayer, exchange: dict[str, Any]) -> None:
    """Every save moved modifiedtime, even without a value change (the lab's steps)."""
    for step, before, after in exchange["rows"]:
        got = r.answers[step]["result"]["modifiedtime"]
        r.check(step, got == after and got > before, f"modifiedtime {got}")


def db_values(r: Replayer, exchange: dict[str, Any]) -> None:
    """Raw stored values (the DB read): names raw, <script> description encoded, emoji as ?."""
    rows = {c["id"]: c for c in r.vt.control("GET", "/contacts")}
    accents, emoji, pre = (rows[r.ids.apply(f"12x{n}")] for n in (152, 153, 154))
    first, _, description, _ = exchange["html_accents"].split("\t")
    r.check("db_values", accents["firstname"] == first, accents["firstname"])
    created = r.answers["create_html_accents"]["result"]["description"]
    r.check("db_values", created == description, created)
    r.check("db_values", accents["lastname"] == exchange["after_revise"], accents["lastname"])
    r.check("db_values", emoji["firstname"] == exchange["emoji"].split("\t")[1], emoji["firstname"])
    stored = f"{pre['firstname']}\t{pre['lastname']}"
    r.check("db_values", stored == exchange["preencoded"], stored)


# --- per-file configuration ----------------------------------------------------------------


@dataclass
class Plan:
    """How to replay one file."""

    hooks: dict[str, list[Action]] = field(default_factory=dict)
    as_sales1: set[str] = field(default_factory=set)
    handlers: dict[str, Handler] = field(default_factory=dict)
    allowed: dict[str, str] = field(default_factory=dict)
    fillers: int = 0
    broken_sync: bool = False


ALLOWED = {
    ("modifiedtime_on_no_change.json", "derived_modtracker_rows"): (
        "modtracker history rows are a DB table the 8.2 webservice never exposes; not emulated"
    ),
}

PLANS: dict[str, Plan] = {
    "error_examples.json": Plan(
        hooks={
            "err_create_duplicate_prevented": [duplicates(True)],
            "err_create_invalid_json": [duplicates(False)],
            "err_delete_deleted": [delete("12x4")],
            "err_invalid_session": [session_override("bogus-session-id")],
            "err_login_bad_key": [clear_overrides, fresh_challenge, key_override("wrong-key")],
            "err_login_no_token": [clear_overrides, advance(301)],
            "err_login_token_superseded": [fresh_challenge, supersede],
            "err_no_session": [clear_overrides],
            "err_revise_duplicate_prevented": [duplicates(True)],
            "err_revise_empty_lastname": [duplicates(False)],
        }
    ),
    "query_examples.json": Plan(hooks={"query_ids_after_delete": [delete("12x4")]}, fillers=126),
    "non_admin_user.json": Plan(
        as_sales1={
            "getchallenge_sales1",
            "login_sales1",
            "count_sales1",
            "page_sales1_offset_0",
            "page_sales1_offset_100",
            "retrieve_admin_owned_as_sales1",
            "retrieve_own_as_sales1",
            "query_in_admin_owned_as_sales1",
            "query_assigned_to_self",
            "query_assigned_to_admin_as_sales1",
            "create_assigned_to_self",
            "create_assigned_to_admin",
            "revise_admin_owned_as_sales1",
            "delete_admin_owned_as_sales1",
            "revise_own_to_admin_as_sales1",
            "retrieve_after_give_away",
        },
        handlers={
            "describe_contacts_as_sales1_summary": sales1_describe,
            "listtypes_sales1_summary": sales1_listtypes,
        },
    ),
    "custom_field.json": Plan(
        handlers={
            "describe_contacts_cf_entry": cf_describe,
            "sales1_sees_cf_in_describe": sales1_sees_cf,
        }
    ),
    "mandatory_field.json": Plan(
        hooks={
            "describe_after": [mandatory(True, "email", "title")],
            "describe_restored": [mandatory(False, "email", "title")],
        },
        handlers={
            n: describe_excerpt for n in ("describe_before", "describe_after", "describe_restored")
        },
    ),
    "reassign_and_restore.json": Plan(
        hooks={"delete": [lambda r: r.clock("2026-11-26 21:11:04")]},
        as_sales1={
            "reassign_sales1_count_before",
            "reassign_sales1_count_after",
            "reassign_retrieve_as_sales1",
        },
        handlers={
            "web_restore": web_restore,
            "sync_since_before_delete": sync_excerpt,
            "db_vtiger_crmentity_state": db_crmentity_state,
        },
    ),
    "modifiedtime_on_no_change.json": Plan(
        handlers={"derived_modifiedtime_steps": modifiedtime_steps}
    ),
    "html_and_unicode.json": Plan(handlers={"derived_db_values": db_values}),
    "sync_after_create.json": Plan(handlers={"sync_after_create": sync_exact}),
    "sync_after_delete.json": Plan(
        hooks={"sync_after_delete": [delete("12x4", at="2026-11-26 20:40:00")]},
        handlers={"sync_after_delete": sync_exact},
    ),
    "sync_http_error.json": Plan(broken_sync=True),
}
# Files with their own tests in this package (a different structure than request/response).
OWN_TESTS = {
    "behaviour_observations.json": "test_behaviour_observations.py",
    "detail_url.json": "test_detail_url_and_paging_fixtures.py",
    "sync_paging_bulk.json": "test_detail_url_and_paging_fixtures.py",
}
REPLAYED = sorted(p.name for p in FIXTURES.glob("*.json") if p.name not in OWN_TESTS)


def test_every_fixture_file_is_covered() -> None:
    """No fixture file is skipped silently: replayed here or checked by a named test."""
    files = {p.name for p in FIXTURES.glob("*.json")}
    assert len(files) >= 30, f"fixtures missing under {FIXTURES}"
    assert files == set(REPLAYED) | set(OWN_TESTS)
    assert set(PLANS) <= files
    for name, entry in ALLOWED:
        assert entry in load(name)["examples"], (name, entry)


@pytest.mark.parametrize("name", REPLAYED)
def test_fixture_replays(name: str, vt_proc: Proc, vt_working_proc: Proc) -> None:
    plan = PLANS.get(name, Plan())
    proc = vt_proc if plan.broken_sync else vt_working_proc
    replayer = Replayer(proc.base_url, name)
    allowed = {e: why for (f, e), why in ALLOWED.items() if f == name}
    try:
        replayer.setup(plan.fillers)
        replayer.run(plan.hooks, plan.as_sales1, plan.handlers, allowed)
    finally:
        replayer.vt.close()
    every = [n for n, _ in replayer.pairs]
    assert every and set(replayer.done) | set(allowed) == set(every)
    assert not replayer.failures, "\n".join(replayer.failures)
