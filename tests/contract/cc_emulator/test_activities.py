"""Bulk activities of the brief: JSON import rules and limits, delete, lists, queue, progress."""

from __future__ import annotations

import json
import time

from .driver import CC
from .schema import validate_error

IMPORT = "/activities/contacts_json_import"
ALL = "?include=custom_fields,list_memberships,phone_numbers,street_addresses"


def _import(cc: CC, rows: list[dict], list_ids: list[str]) -> dict:
    return dict(cc.ok("POST", IMPORT, {"import_data": rows, "list_ids": list_ids}, 201))


def test_import_creates_implicit_and_changes_only_sent_properties(cc: CC) -> None:
    """§3.11: new contacts implicit/Account; existing: only sent properties, permission kept."""
    lid = cc.new_list()
    existing = cc.new_contact(
        "old@example.com",
        email_address={"address": "old@example.com", "permission_to_send": "explicit"},
        first_name="Old",
        job_title="CEO",
    )
    field = cc.ok("POST", "/contact_custom_fields", {"label": "Tier"}, 201)
    rows = [
        {
            "email": "NEW@example.com",
            "first_name": "New",
            "phone": "555-0101",
            "city": "Oslo",
            "cf:Tier": "Gold",
        },
        {"email": "old@example.com", "last_name": "Timer"},
    ]
    activity = _import(cc, rows, [lid])
    assert activity["state"] == "initialized" and activity["status"]["items_total_count"] == 2
    done = cc.wait_activity(activity["activity_id"])
    assert done["percent_done"] == 100 and done["status"]["person_count"] == 2
    new = cc.ok(
        "GET",
        "/contacts?email=new@example.com&include=custom_fields,phone_numbers,street_addresses,list_memberships",
    )["contacts"][0]
    assert new["email_address"]["permission_to_send"] == "implicit"
    assert new["email_address"]["opt_in_source"] == "Account" and new["create_source"] == "Account"
    assert new["custom_fields"] == [{"custom_field_id": field["custom_field_id"], "value": "Gold"}]
    assert (
        new["phone_numbers"][0]["kind"] == "other" and new["street_addresses"][0]["city"] == "Oslo"
    )
    old = cc.ok("GET", f"/contacts/{existing['contact_id']}{ALL}")
    assert (old["first_name"], old["last_name"], old["job_title"]) == ("Old", "Timer", "CEO")
    assert old["email_address"]["permission_to_send"] == "explicit" and old["list_memberships"] == [
        lid
    ]


def test_import_never_relists_unsubscribed_and_last_duplicate_wins(cc: CC) -> None:
    """§3.11 and §4: self-unsubscribed contacts stay off lists (counted); duplicates: last wins."""
    lid = cc.new_list()
    gone = cc.new_contact("gone@example.com")
    cc.ctl("POST", f"/contacts/{gone['contact_id']}/unsubscribe")
    rows = [
        {"email": "dup@example.com", "first_name": "First"},
        {"email": "gone@example.com", "first_name": "Back"},
        {"email": "DUP@example.com", "first_name": "Last"},
        {"email": "not-an-email"},
    ]
    done = cc.wait_activity(_import(cc, rows, [lid])["activity_id"])
    status = done["status"]
    assert (status["cannot_add_to_list_count"], status["error_count"], status["person_count"]) == (
        1,
        1,
        2,
    )
    assert done["activity_errors"] == ["Row 4: email is missing or not a valid email address"]
    after = cc.ok("GET", f"/contacts/{gone['contact_id']}{ALL}")
    assert after["email_address"]["permission_to_send"] == "unsubscribed"
    assert after["list_memberships"] == []
    dup = cc.ok("GET", "/contacts?email=dup@example.com")["contacts"]
    assert [c["first_name"] for c in dup] == ["Last"]


def test_import_limits_rows_bytes_and_lists(cc: CC) -> None:
    """§3.11: ≤ 40,000 rows, body < 4 MB (else 400, or silently truncated), list_ids required."""
    lid = cc.new_list()
    rows = [{"email": f"r{i}@example.com"} for i in range(40001)]
    too_many = cc.api("POST", IMPORT, {"import_data": rows, "list_ids": [lid]})
    assert too_many.status_code == 400
    validate_error(400, too_many.json())
    no_lists = cc.api("POST", IMPORT, {"import_data": rows[:1]})
    assert no_lists.status_code == 400
    big = [{"email": f"b{i}@example.com", "notes_like": "x" * 200} for i in range(20000)]
    body = {"import_data": big, "list_ids": [lid]}
    assert len(json.dumps(body)) > 4 * 1024 * 1024
    assert cc.api("POST", IMPORT, body).status_code == 400
    cc.config(oversize_import="truncate")
    truncated = cc.ok("POST", IMPORT, body, 201)
    assert 0 < truncated["status"]["items_total_count"] < len(big)


def test_import_of_40000_rows_is_accepted_and_applied(cc: CC) -> None:
    """§3.11: the maximum import (40,000 rows) is accepted and completes at the activity rate."""
    lid = cc.new_list()
    rows = [
        {"email": f"m{i}@example.com", "first_name": f"M{i}", "phone": "555-0100"}
        for i in range(40000)
    ]
    started = time.perf_counter()
    activity = _import(cc, rows, [lid])
    accepted = time.perf_counter() - started
    done = cc.wait_activity(activity["activity_id"])
    assert done["status"]["person_count"] == 40000
    page = cc.ok("GET", "/contacts?limit=1&include_count=true")
    assert page["contacts_count"] == 40000
    assert accepted < 10, f"accepting 40,000 rows took {accepted:.1f} s"


def test_activity_progresses_with_the_clock(cc: CC) -> None:
    """§3.13: initialized → processing → completed at --activity-rate; effects at completion."""
    cc.config(activity_rate=100, activity_delay=1)
    cc.clock(freeze=True)
    lid = cc.new_list()
    rows = [{"email": f"s{i}@example.com"} for i in range(200)]
    aid = _import(cc, rows, [lid])["activity_id"]
    assert cc.ok("GET", f"/activities/{aid}")["state"] == "initialized"
    cc.clock(advance=2)
    half = cc.ok("GET", f"/activities/{aid}")
    assert half["state"] == "processing" and half["percent_done"] == 50
    assert cc.ok("GET", "/contacts?include_count=true")["contacts_count"] == 0
    cc.clock(advance=1.5)
    done = cc.ok("GET", f"/activities/{aid}")
    assert done["state"] == "completed" and done["completed_at"] > done["started_at"]
    assert cc.ok("GET", "/contacts?include_count=true")["contacts_count"] == 200


def test_bulk_delete_limits_and_list_form(cc: CC) -> None:
    """§3.12: ≤ 500 contact_ids, or list_ids (exclusive); deleted contacts lose their lists."""
    lid = cc.new_list()
    ids = [
        cc.new_contact(f"d{i}@example.com", list_memberships=[lid])["contact_id"] for i in range(3)
    ]
    fake = [f"00000000-0000-4000-8000-{i:012d}" for i in range(501)]
    assert cc.api("POST", "/activities/contact_delete", {"contact_ids": fake}).status_code == 400
    both = {"contact_ids": ids[:1], "list_ids": [lid]}
    assert cc.api("POST", "/activities/contact_delete", both).status_code == 400
    assert cc.api("POST", "/activities/contact_delete", {}).status_code == 400
    done = cc.wait_activity(
        cc.ok("POST", "/activities/contact_delete", {"list_ids": [lid]}, 201)["activity_id"]
    )
    assert done["status"]["items_total_count"] == 3 and done["status"]["list_count"] == 1
    assert all(c.get("deleted_at") and c["list_memberships"] == [] for c in cc.contacts())


def test_list_membership_activities_add_remove_and_revive(cc: CC) -> None:
    """§3.10 and §4: add_list_memberships revives deleted contacts; remove takes lists away."""
    first, second = cc.new_list("A"), cc.new_list("B")
    cid = cc.new_contact("m@example.com", list_memberships=[first])["contact_id"]
    cc.api("DELETE", f"/contacts/{cid}")
    add = {"source": {"contact_ids": [cid]}, "list_ids": [second]}
    cc.wait_activity(cc.ok("POST", "/activities/add_list_memberships", add, 201)["activity_id"])
    revived = cc.ok("GET", f"/contacts/{cid}{ALL}")
    assert "deleted_at" not in revived and revived["list_memberships"] == [second]
    remove = {"source": {"list_ids": [second]}, "list_ids": [second]}
    cc.wait_activity(
        cc.ok("POST", "/activities/remove_list_memberships", remove, 201)["activity_id"]
    )
    assert cc.ok("GET", f"/contacts/{cid}{ALL}")["list_memberships"] == []
    unknown = {
        "source": {"contact_ids": [cid]},
        "list_ids": ["00000000-0000-4000-8000-000000000000"],
    }
    assert cc.api("POST", "/activities/add_list_memberships", unknown).status_code == 400


def test_queue_limit_of_1000_activities(cc: CC) -> None:
    """§3.11–3.12: 429 once the account has 1,000 queued activities; 201 again once they ran."""
    cc.clock(freeze=True)
    cc.config(activity_delay=5)
    cid = cc.new_contact("q@example.com")["contact_id"]
    body = {"contact_ids": [cid]}
    for _ in range(1000):
        assert cc.api("POST", "/activities/contact_delete", body).status_code == 201
    full = cc.api("POST", "/activities/contact_delete", body)
    assert full.status_code == 429 and full.json()["error_key"] == "too_many_requests"
    cc.clock(advance=10)
    assert cc.api("POST", "/activities/contact_delete", body).status_code == 201


def test_activity_status_is_kept_ten_days(cc: CC) -> None:
    """§3.13: activity status is retained 10 days, then the activity is unknown (404)."""
    cid = cc.new_contact("r@example.com")["contact_id"]
    aid = cc.ok("POST", "/activities/contact_delete", {"contact_ids": [cid]}, 201)["activity_id"]
    cc.wait_activity(aid)
    cc.clock(advance=9 * 86400)
    cc.token = cc.grant()["access_token"]  # the first one expired after 24 hours
    assert cc.api("GET", f"/activities/{aid}").status_code == 200
    cc.clock(advance=2 * 86400)
    cc.token = cc.grant()["access_token"]
    assert cc.api("GET", f"/activities/{aid}").status_code == 404
