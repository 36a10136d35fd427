"""Every implemented operation's responses validate against the official contract."""

from __future__ import annotations

import pytest

from .driver import CC
from .schema import validate_error, validate_response

FULL = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"


def _contact_body(cc: CC, email: str) -> dict[str, object]:
    list_id = cc.new_list()
    field = cc.ok("POST", "/contact_custom_fields", {"label": "Tier", "type": "string"}, 201)
    validate_response("POST", "/contact_custom_fields", 201, field)
    return {
        "email_address": {"address": email, "permission_to_send": "explicit"},
        "first_name": "Zoë",
        "last_name": "Ørsted",
        "job_title": "Buyer",
        "company_name": "Nordic AB",
        "birthday_month": 2,
        "birthday_day": 29,
        "anniversary": "2006-11-15",
        "create_source": "Account",
        "custom_fields": [{"custom_field_id": field["custom_field_id"], "value": "Gold"}],
        "phone_numbers": [{"phone_number": "+46 8 555 0101", "kind": "work"}],
        "street_addresses": [{"kind": "home", "street": "Storgatan 1", "city": "Uppsala"}],
        "list_memberships": [list_id],
        "notes": [{"content": "Met at the fair"}],
    }


@pytest.mark.cc_contract
def test_contact_operations_validate(cc: CC) -> None:
    """§2.1 ContactResource, §3.1–3.5: create, read, list, update and delete shapes."""
    body = _contact_body(cc, "zoe@example.com")
    created = cc.ok("POST", "/contacts", body, 201)
    validate_response("POST", "/contacts", 201, created)
    cid = created["contact_id"]
    validate_response("GET", "/contacts/{contact_id}", 200, cc.ok("GET", f"/contacts/{cid}"))
    full = cc.ok("GET", f"/contacts/{cid}?include={FULL}")
    validate_response("GET", "/contacts/{contact_id}", 200, full)
    assert full["notes"][0]["content"] == "Met at the fair"
    page = cc.ok("GET", f"/contacts?include={FULL}&include_count=true&status=all&limit=1")
    validate_response("GET", "/contacts", 200, page)
    put = {**body, "update_source": "Account", "first_name": "Zoe"}
    updated = cc.ok("PUT", f"/contacts/{cid}", put)
    validate_response("PUT", "/contacts/{contact_id}", 200, updated)
    assert cc.api("DELETE", f"/contacts/{cid}").status_code == 204
    deleted = cc.ok("GET", f"/contacts/{cid}?include={FULL}")
    validate_response("GET", "/contacts/{contact_id}", 200, deleted)
    assert deleted["deleted_at"] and deleted["list_memberships"] == []


@pytest.mark.cc_contract
def test_seeded_pages_validate(cc: CC) -> None:
    """§2.1 and §3.1: seeded realistic contacts (unsubscribed, deleted) fit the contract."""
    cc.reset(seed_contacts=300)
    href = f"/contacts?status=all&include={FULL}&limit=500"
    page = cc.ok("GET", href)
    validate_response("GET", "/contacts", 200, page)
    permissions = {c["email_address"]["permission_to_send"] for c in page["contacts"]}
    assert "unsubscribed" in permissions
    assert any(c.get("deleted_at") for c in page["contacts"])


@pytest.mark.cc_contract
def test_sign_up_form_and_resubscribe_validate(cc: CC) -> None:
    """§3.6 sign_up_form 201/200 bodies; §3.7 resubscribe answers 200."""
    list_id = cc.new_list()
    body = {"email_address": "new@example.com", "first_name": "Ann", "list_memberships": [list_id]}
    first = cc.ok("POST", "/contacts/sign_up_form", body, 201)
    validate_response("POST", "/contacts/sign_up_form", 201, first)
    again = cc.ok("POST", "/contacts/sign_up_form", body, 200)
    validate_response("POST", "/contacts/sign_up_form", 200, again)
    assert (first["action"], again["action"]) == ("created", "updated")
    cc.ctl("POST", f"/contacts/{first['contact_id']}/unsubscribe")
    response = cc.api(
        "PUT", f"/contacts/resubscribe/{first['contact_id']}", {"list_ids": [list_id]}
    )
    assert response.status_code == 200


@pytest.mark.cc_contract
def test_lists_fields_and_account_validate(cc: CC) -> None:
    """§3.9 custom fields, §3.10 lists, account summary: every answer fits the contract."""
    created = cc.ok("POST", "/contact_lists", {"name": "VIP", "favorite": True}, 201)
    validate_response("POST", "/contact_lists", 201, created)
    lid = created["list_id"]
    validate_response(
        "GET", "/contact_lists", 200, cc.ok("GET", "/contact_lists?include_count=true")
    )
    one = cc.ok("GET", f"/contact_lists/{lid}?include_membership_count=all")
    validate_response("GET", "/contact_lists/{list_id}", 200, one)
    put = cc.ok("PUT", f"/contact_lists/{lid}", {"name": "VIPs"})
    validate_response("PUT", "/contact_lists/{list_id}", 200, put)
    field = cc.ok("POST", "/contact_custom_fields", {"label": "Shoe size", "type": "string"}, 201)
    fid = field["custom_field_id"]
    assert field["name"] == "Shoe_size"
    validate_response("GET", "/contact_custom_fields", 200, cc.ok("GET", "/contact_custom_fields"))
    got = cc.ok("GET", f"/contact_custom_fields/{fid}")
    validate_response("GET", "/contact_custom_fields/{custom_field_id}", 200, got)
    put_field = cc.ok("PUT", f"/contact_custom_fields/{fid}", {"label": "Shoe"})
    validate_response("PUT", "/contact_custom_fields/{custom_field_id}", 200, put_field)
    assert cc.api("DELETE", f"/contact_custom_fields/{fid}").status_code == 204
    summary = cc.ok("GET", "/account/summary")
    validate_response("GET", "/account/summary", 200, summary)
    assert summary["encoded_account_id"]
    gone = cc.api("DELETE", f"/contact_lists/{lid}")
    assert gone.status_code == 202 and gone.headers["location"].startswith("/v3/activities/")
    validate_response("DELETE", "/contact_lists/{list_id}", 202, gone.json())
    assert cc.api("GET", f"/contact_lists/{lid}").status_code == 404
    body = {"email_address": {"address": "l@example.com"}, "create_source": "Account"}
    late = cc.api("POST", "/contacts", {**body, "list_memberships": [lid]})
    assert late.status_code == 400


@pytest.mark.cc_contract
def test_activity_operations_validate(cc: CC) -> None:
    """§3.11–3.13: import, delete, list memberships, export and activity status shapes."""
    lid = cc.new_list()
    rows = [{"email": f"p{i}@example.com", "first_name": f"P{i}"} for i in range(5)]
    imp = cc.ok(
        "POST", "/activities/contacts_json_import", {"import_data": rows, "list_ids": [lid]}, 201
    )
    validate_response("POST", "/activities/contacts_json_import", 201, imp)
    validate_response("GET", "/activities/{activity_id}", 200, cc.wait_activity(imp["activity_id"]))
    ids = [c["contact_id"] for c in cc.contacts()]
    other = cc.new_list("Other")
    add = {"source": {"contact_ids": ids[:2]}, "list_ids": [other]}
    added = cc.ok("POST", "/activities/add_list_memberships", add, 201)
    validate_response("POST", "/activities/add_list_memberships", 201, added)
    removed = cc.ok("POST", "/activities/remove_list_memberships", add, 201)
    validate_response("POST", "/activities/remove_list_memberships", 201, removed)
    export = cc.ok("POST", "/activities/contact_exports", {"list_ids": [lid]}, 201)
    validate_response("POST", "/activities/contact_exports", 201, export)
    done = cc.wait_activity(export["activity_id"])
    validate_response("GET", "/activities/{activity_id}", 200, done)
    csv = cc.api("GET", done["_links"]["results"]["href"][3:])
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.count("@example.com") == 5
    deleted = cc.ok("POST", "/activities/contact_delete", {"contact_ids": ids[:3]}, 201)
    validate_response("POST", "/activities/contact_delete", 201, deleted)
    validate_response("GET", "/activities", 200, cc.ok("GET", "/activities?limit=10"))


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/contacts?limit=0", None, 400),
        ("GET", "/contacts?status=bogus", None, 400),
        ("POST", "/contacts", {"email_address": {"address": "a@example.com"}}, 400),
        ("GET", "/contacts/00000000-0000-4000-8000-000000000000", None, 404),
        ("GET", "/activities/00000000-0000-4000-8000-000000000000", None, 404),
        ("PATCH", "/contacts", None, 405),
    ],
)
def test_error_bodies_have_the_brief_shapes(
    cc: CC, method: str, path: str, body: object, status: int
) -> None:
    """§5.2: errors are arrays of {error_key, error_message}."""
    response = cc.api(method, path, body)
    assert response.status_code == status, response.text
    validate_error(status, response.json())


def test_auth_error_bodies(cc: CC) -> None:
    """§5.2 and §1.3: 401 is a single object; 403 without contact_data; 415 for non-JSON."""
    missing = cc.api("GET", "/contacts", token="")
    assert missing.status_code == 401
    assert missing.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}
    assert cc.api("GET", "/contacts", token="cc-at-made-up").status_code == 401
    narrow = cc.grant(scope="account_read")["access_token"]
    forbidden = cc.api("GET", "/contacts", token=narrow)
    assert forbidden.status_code == 403
    validate_error(403, forbidden.json())
    assert cc.api("GET", "/account/summary", token=narrow).status_code == 200
    form = cc.api("POST", "/contacts", None, content=b"a=b", headers={"content-type": "text/plain"})
    assert form.status_code == 415
    validate_error(415, form.json())


def test_expired_token_is_401(cc: CC) -> None:
    """§1.4: access tokens live 24 hours; afterwards every call answers 401."""
    assert cc.api("GET", "/contacts").status_code == 200
    cc.clock(advance=86401)
    expired = cc.api("GET", "/contacts")
    assert expired.status_code == 401
    validate_error(401, expired.json())
