"""Contact behaviours of the brief: conflicts, soft delete, PUT semantics, unsubscribe rules."""

from __future__ import annotations

from .driver import CC
from .schema import validate_error

ALL = "?include=custom_fields,list_memberships,phone_numbers,street_addresses"


def _put(cc: CC, contact: dict, **changes: object) -> dict:
    body = {
        "email_address": {"address": contact["email_address"]["address"]},
        "update_source": "Account",
        **changes,
    }
    return body


def test_conflict_for_active_deleted_and_unsubscribed_any_case(cc: CC) -> None:
    """§3.3 and §4: POST answers 409 for an existing email, deleted or unsubscribed too."""
    active = cc.new_contact("Active@Example.com")
    deleted = cc.new_contact("deleted@example.com")
    gone = cc.new_contact("gone@example.com")
    assert cc.api("DELETE", f"/contacts/{deleted['contact_id']}").status_code == 204
    cc.ctl("POST", f"/contacts/{gone['contact_id']}/unsubscribe")
    for email, owner in (
        ("active@EXAMPLE.com", active),
        ("Deleted@example.com", deleted),
        ("gone@example.com", gone),
    ):
        body = {"email_address": {"address": email}, "create_source": "Account"}
        response = cc.api("POST", "/contacts", body)
        assert response.status_code == 409
        assert response.json() == [
            {
                "error_key": "contacts.api.conflict",
                "error_message": "Validation failed: Email already exists for contact "
                + owner["contact_id"],
            }
        ]


def test_soft_delete_and_revival_by_put_with_lists(cc: CC) -> None:
    """§3.5 and §4: delete is soft; GET still works; PUT with lists revives the contact."""
    list_id = cc.new_list()
    contact = cc.new_contact("ann@example.com", list_memberships=[list_id])
    cid = contact["contact_id"]
    assert cc.api("DELETE", f"/contacts/{cid}").status_code == 204
    deleted = cc.ok("GET", f"/contacts/{cid}{ALL}")
    assert len(deleted["deleted_at"]) == 10 and deleted["list_memberships"] == []
    assert cc.ok("GET", "/contacts")["contacts"] == []
    assert [c["contact_id"] for c in cc.ok("GET", "/contacts?status=deleted")["contacts"]] == [cid]
    assert len(cc.ok("GET", "/contacts?status=all")["contacts"]) == 1
    revived = cc.ok("PUT", f"/contacts/{cid}", _put(cc, contact, list_memberships=[list_id]))
    assert "deleted_at" not in revived and revived["list_memberships"] == [list_id]
    assert [c["contact_id"] for c in cc.ok("GET", "/contacts")["contacts"]] == [cid]


def test_put_nulls_core_fields_and_keeps_unsent_subresources(cc: CC) -> None:
    """§3.4: core fields not sent become null; sub-resources not sent stay; sent ones replace."""
    list_id = cc.new_list()
    contact = cc.new_contact(
        "bo@example.com",
        first_name="Bo",
        last_name="Ek",
        job_title="CTO",
        phone_numbers=[{"phone_number": "555-0100", "kind": "work"}],
        street_addresses=[{"kind": "home", "city": "Lund"}],
        list_memberships=[list_id],
    )
    cid = contact["contact_id"]
    body = _put(
        cc,
        contact,
        first_name="Bob",
        phone_numbers=[{"phone_number": "555-0199", "kind": "mobile"}],
    )
    cc.ok("PUT", f"/contacts/{cid}", body)
    after = cc.ok("GET", f"/contacts/{cid}{ALL}")
    assert after["first_name"] == "Bob"
    assert "last_name" not in after and "job_title" not in after
    assert [(p["phone_number"], p["kind"]) for p in after["phone_numbers"]] == [
        ("555-0199", "mobile")
    ]
    assert [a["city"] for a in after["street_addresses"]] == ["Lund"]
    assert after["list_memberships"] == [list_id]


def test_put_changes_email_keeps_id_and_refuses_a_taken_email(cc: CC) -> None:
    """§3.4: PUT can change the email (same id); an email of another contact is a 409."""
    first = cc.new_contact("one@example.com")
    cc.new_contact("two@example.com")
    cid = first["contact_id"]
    body = {"email_address": {"address": "uno@example.com"}, "update_source": "Account"}
    assert cc.ok("PUT", f"/contacts/{cid}", body)["contact_id"] == cid
    assert cc.ok("GET", "/contacts?email=UNO@example.com")["contacts"][0]["contact_id"] == cid
    taken = {"email_address": {"address": "TWO@example.com"}, "update_source": "Account"}
    assert cc.api("PUT", f"/contacts/{cid}", taken).status_code == 409
    missing = cc.api("PUT", f"/contacts/{cid}", {"email_address": {"address": "x@example.com"}})
    assert missing.status_code == 400
    validate_error(400, missing.json())


def test_contact_optout_cannot_be_reversed_by_the_account(cc: CC) -> None:
    """§4: a contact's own opt-out is never undone by an account-side PUT (400)."""
    contact = cc.new_contact("self@example.com")
    cid = contact["contact_id"]
    cc.ctl("POST", f"/contacts/{cid}/unsubscribe")
    body = _put(cc, contact)
    body["email_address"]["permission_to_send"] = "explicit"
    refused = cc.api("PUT", f"/contacts/{cid}", body)
    assert refused.status_code == 400
    assert "unsubscribed themselves" in refused.json()[0]["error_message"]
    email = cc.ok("GET", f"/contacts/{cid}")["email_address"]
    assert (email["permission_to_send"], email["opt_out_source"]) == ("unsubscribed", "Contact")


def test_account_optout_may_be_reversed_and_put_can_unsubscribe(cc: CC) -> None:
    """§4: opt_out_source Account may be re-subscribed by the account; PUT can unsubscribe."""
    contact = cc.new_contact("acct@example.com")
    cid = contact["contact_id"]
    body = _put(cc, contact)
    body["email_address"].update(permission_to_send="unsubscribed", opt_out_reason="asked by phone")
    out = cc.ok("PUT", f"/contacts/{cid}", body)["email_address"]
    assert (out["opt_out_source"], out["opt_out_reason"]) == ("Account", "asked by phone")
    body["email_address"] = {"address": "acct@example.com", "permission_to_send": "implicit"}
    back = cc.ok("PUT", f"/contacts/{cid}", body)["email_address"]
    assert back["permission_to_send"] == "implicit" and "opt_out_source" not in back


def test_put_without_permission_keeps_or_resets(cc: CC) -> None:
    """§8 (unknown): a PUT omitting permission_to_send keeps it (default) or resets it."""
    contact = cc.new_contact(
        "perm@example.com",
        email_address={"address": "perm@example.com", "permission_to_send": "explicit"},
    )
    cid = contact["contact_id"]
    assert (
        cc.ok("PUT", f"/contacts/{cid}", _put(cc, contact))["email_address"]["permission_to_send"]
        == "explicit"
    )
    cc.config(put_without_permission="reset")
    reset = cc.ok("PUT", f"/contacts/{cid}", _put(cc, contact))
    assert reset["email_address"]["permission_to_send"] == "not_set"


def test_sign_up_form_appends_and_forces_explicit(cc: CC) -> None:
    """§3.6: partial update, lists appended, permission forced to explicit, deleted revived."""
    first, second = cc.new_list("A"), cc.new_list("B")
    contact = cc.new_contact("form@example.com", first_name="Fo", list_memberships=[first])
    cid = contact["contact_id"]
    cc.api("DELETE", f"/contacts/{cid}")
    body = {"email_address": "FORM@example.com", "list_memberships": [second]}
    assert cc.ok("POST", "/contacts/sign_up_form", body)["action"] == "updated"
    after = cc.ok("GET", f"/contacts/{cid}{ALL}")
    assert after["first_name"] == "Fo" and after["list_memberships"] == [second]
    assert after["email_address"]["permission_to_send"] == "explicit" and "deleted_at" not in after


def test_resubscribe_is_sent_once_and_needs_the_contact(cc: CC) -> None:
    """§3.7: one resubscribe email per contact; the contact confirms through their own action."""
    list_id = cc.new_list()
    contact = cc.new_contact("re@example.com")
    cid = contact["contact_id"]
    assert cc.api("PUT", f"/contacts/resubscribe/{cid}", {"list_ids": [list_id]}).status_code == 400
    cc.ctl("POST", f"/contacts/{cid}/unsubscribe")
    assert cc.api("PUT", f"/contacts/resubscribe/{cid}", {"list_ids": [list_id]}).status_code == 200
    assert cc.api("PUT", f"/contacts/resubscribe/{cid}", {"list_ids": [list_id]}).status_code == 409
    assert cc.ok("GET", f"/contacts/{cid}")["email_address"]["permission_to_send"] == "unsubscribed"
    cc.ctl("POST", f"/contacts/{cid}/resubscribe")
    after = cc.ok("GET", f"/contacts/{cid}{ALL}")
    assert after["email_address"]["permission_to_send"] == "explicit"
    assert after["email_address"]["opt_in_source"] == "Contact" and after["list_memberships"] == [
        list_id
    ]


def test_owner_controls_act_like_the_web_app(cc: CC) -> None:
    """§4: the owner creates, edits, unsubscribes (Account) and deletes; the API sees it."""
    made = cc.ctl(
        "POST",
        "/accounts/1/contacts",
        {"email_address": {"address": "web@example.com"}, "first_name": "W"},
    )
    cid = made["contact_id"]
    assert made["create_source"] == "Account"
    cc.ctl(
        "PATCH",
        f"/accounts/1/contacts/{cid}",
        {"last_name": "Webb", "email_address": {"address": "webb@example.com"}},
    )
    got = cc.ok("GET", f"/contacts/{cid}")
    assert (got["first_name"], got["last_name"], got["email_address"]["address"]) == (
        "W",
        "Webb",
        "webb@example.com",
    )
    cc.ctl("POST", f"/accounts/1/contacts/{cid}/unsubscribe")
    assert cc.ok("GET", f"/contacts/{cid}")["email_address"]["opt_out_source"] == "Account"
    cc.ctl("DELETE", f"/accounts/1/contacts/{cid}")
    assert cc.ok("GET", f"/contacts/{cid}")["deleted_at"]
    assert [c["contact_id"] for c in cc.contacts()] == [cid]


def test_accounts_are_isolated(cc: CC) -> None:
    """Several accounts on one application never see each other's contacts."""
    mine = cc.new_contact("shared@example.com")
    other = cc.grant(account=2)["access_token"]
    assert cc.api("GET", f"/contacts/{mine['contact_id']}", token=other).status_code == 404
    assert cc.api("GET", "/contacts", token=other).json()["contacts"] == []
    body = {"email_address": {"address": "shared@example.com"}, "create_source": "Account"}
    assert cc.api("POST", "/contacts", body, token=other).status_code == 201
    ids = {a["number"]: a["account_id"] for a in cc.ctl("GET", "/accounts")}
    assert cc.api("GET", "/account/summary", token=other).json()["encoded_account_id"] == ids[2]
    assert len(cc.contacts(1)) == len(cc.contacts(2)) == 1


def test_delete_and_optout_bump_updated_at_per_profile(cc: CC) -> None:
    """§8 (unknown): default bumps updated_at on delete/opt-out; pessimistic does not."""
    a = cc.new_contact("a@example.com")
    b = cc.new_contact("b@example.com")
    cc.clock(advance=60)
    cc.api("DELETE", f"/contacts/{a['contact_id']}")
    cc.ctl("POST", f"/contacts/{b['contact_id']}/unsubscribe")
    assert cc.ok("GET", f"/contacts/{a['contact_id']}")["updated_at"] > a["updated_at"]
    assert cc.ok("GET", f"/contacts/{b['contact_id']}")["updated_at"] > b["updated_at"]
    cc.config(profile="pessimistic")
    c = cc.new_contact("c@example.com")
    d = cc.new_contact("d@example.com")
    cc.clock(advance=60)
    cc.api("DELETE", f"/contacts/{c['contact_id']}")
    cc.ctl("POST", f"/contacts/{d['contact_id']}/unsubscribe")
    assert cc.ok("GET", f"/contacts/{c['contact_id']}")["updated_at"] == c["updated_at"]
    after_d = cc.ok("GET", f"/contacts/{d['contact_id']}")
    assert after_d["updated_at"] == d["updated_at"] and after_d["email_address"]["opt_out_date"]


def test_phone_reformat_setting(cc: CC) -> None:
    """§8 (unknown): phones are stored as sent by default, reformatted when configured."""
    kept = cc.new_contact(
        "p1@example.com", phone_numbers=[{"phone_number": "4155550123", "kind": "home"}]
    )
    assert kept["phone_numbers"][0]["phone_number"] == "4155550123"
    cc.config(phone_format="reformat")
    changed = cc.new_contact(
        "p2@example.com", phone_numbers=[{"phone_number": "4155550123", "kind": "home"}]
    )
    assert changed["phone_numbers"][0]["phone_number"] == "(415) 555-0123"


def test_redelete_and_unknown_ids(cc: CC) -> None:
    """§8 (unknown) and §5.2: DELETE twice is 204 by default (404 when configured); 404s."""
    cid = cc.new_contact("twice@example.com")["contact_id"]
    assert cc.api("DELETE", f"/contacts/{cid}").status_code == 204
    assert cc.api("DELETE", f"/contacts/{cid}").status_code == 204
    cc.config(redelete=404)
    assert cc.api("DELETE", f"/contacts/{cid}").status_code == 404
    for path in ("/contacts/not-a-uuid", "/contact_lists/x", "/contact_custom_fields/x"):
        response = cc.api("GET", path)
        assert response.status_code == 404
        validate_error(404, response.json())
