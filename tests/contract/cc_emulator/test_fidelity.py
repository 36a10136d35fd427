"""Issue 8: every contract operation under the sync's tags either works or is an unknown path.

The operations are enumerated from the contract itself, so an operation the contract gains (or
one we forget) fails here instead of answering a misleading error such as the
``GET /contacts/counts`` → 404 "contact_id is in an invalid format" a third-party client met.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .driver import CC
from .schema import raw_spec, require_contract, validate_response

TAGS = {"Contacts", "Contact Lists", "Contacts Custom Fields", "Bulk Activities"}
# What the emulator answers as an unknown path (docs/emulator-constant-contact.md).
NOT_IMPLEMENTED = {
    "contactsCSVImport",  # multipart CSV upload; the JSON import covers the sync
    "postTagAddContact",  # tags are not emulated
    "postTagRemoveContact",
    "postTagDelete",
}
UNKNOWN_PATH = [{"error_key": "not_found", "error_message": "Not Found"}]


def test_counts_is_the_counts_operation(cc: CC) -> None:
    """The issue's first difference: ``/contacts/counts`` was taken for a contact id."""
    a = cc.new_contact("a@example.com")
    cc.new_contact("b@example.com", email_address={"address": "b@example.com"})
    explicit = {"address": "c@example.com", "permission_to_send": "explicit"}
    cc.new_contact("c@example.com", email_address=explicit)
    pending = {"address": "d@example.com", "permission_to_send": "pending_confirmation"}
    cc.new_contact("d@example.com", email_address=pending)
    gone = cc.new_contact("e@example.com")
    cc.ctl("POST", f"/contacts/{a['contact_id']}/unsubscribe")
    assert cc.api("DELETE", f"/contacts/{gone['contact_id']}").status_code == 204
    counts = cc.ok("GET", "/contacts/counts")
    assert counts == {"total": 4, "explicit": 1, "implicit": 1, "pending": 1, "unsubscribed": 1}
    with_new = cc.ok("GET", "/contacts/counts?include=new_subscriber")
    assert with_new["new_subscriber"] == 2  # the explicit and the implicit one, opted in today
    cc.clock(advance=31 * 86400)
    cc.token = cc.grant()["access_token"]  # the old one expired meanwhile
    assert cc.ok("GET", "/contacts/counts?include=new_subscriber")["new_subscriber"] == 0
    bad = cc.api("GET", "/contacts/counts?include=everything")
    assert bad.status_code == 400
    assert bad.json()[0]["error_key"] == "contacts.api.validation.error"


def test_counts_validates_against_the_contract(cc: CC) -> None:
    """``countContact``'s 200 body is the contract's ``ContactsCounts``."""
    require_contract()
    cc.new_contact("a@example.com")
    body = cc.ok("GET", "/contacts/counts?include=new_subscriber")
    validate_response("GET", "/contacts/counts", 200, body)


def test_lookup_paths_are_not_taken_for_ids(cc: CC) -> None:
    """The other paths beside ``{contact_id}`` / ``{list_id}`` routes answer as documented."""
    contact = cc.new_contact("a@example.com")
    for path in ("/contacts/contact_id_xrefs", "/contact_lists/list_id_xrefs"):
        assert cc.ok("GET", f"{path}?sequence_ids=1995998026,1882999944") == {"xrefs": []}
        assert cc.api("GET", path).status_code == 400
    history = f"/contacts/sms_engagement_history/{contact['contact_id']}"
    assert cc.ok("GET", history) == []
    missing = cc.api("GET", f"/contacts/sms_engagement_history/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()[0]["error_key"] == "contacts.api.not_found"


def test_bulk_list_and_custom_field_deletes(cc: CC) -> None:
    """``postListDelete`` and ``postCustomFieldDelete`` queue activities that do the deletes."""
    list_id = cc.new_list()
    field = cc.ok("POST", "/contact_custom_fields", {"label": "Tier"}, 201)
    field_value = [{"custom_field_id": field["custom_field_id"], "value": "Gold"}]
    contact = cc.new_contact("a@example.com", list_memberships=[list_id], custom_fields=field_value)
    lists = cc.ok("POST", "/activities/list_delete", {"list_ids": [list_id]}, 201)
    assert lists["status"] == {"items_total_count": 1, "items_completed_count": 0, "list_count": 1}
    assert cc.api("GET", f"/contact_lists/{list_id}").status_code == 404
    body = {"custom_field_ids": [field["custom_field_id"]]}
    fields = cc.ok("POST", "/activities/custom_fields_delete", body, 201)
    assert "status" not in fields
    cc.wait_activity(fields["activity_id"])
    assert cc.api("GET", f"/contact_custom_fields/{field['custom_field_id']}").status_code == 404
    include = "include=custom_fields,list_memberships"
    after = cc.ok("GET", f"/contacts/{contact['contact_id']}?{include}")
    assert (after["custom_fields"], after["list_memberships"]) == ([], [])
    unknown = cc.api("POST", "/activities/custom_fields_delete", body)
    assert unknown.status_code == 400


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    spec = raw_spec()
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete") and TAGS & set(op.get("tags", []))
    ]


def test_every_operation_of_the_contract_works_or_is_an_unknown_path(cc: CC) -> None:
    """Implemented operations answer one of their documented statuses, never a misleading 404;
    the others answer exactly what an unknown path answers."""
    require_contract()
    assert cc.api("GET", "/no_such_resource").json() == UNKNOWN_PATH
    operations = _operations()
    ids = {op["operationId"] for _, _, op in operations}
    assert NOT_IMPLEMENTED <= ids, NOT_IMPLEMENTED - ids
    assert len(ids) == 35, sorted(ids)  # the contract version the brief describes (3.0.178)
    problems = []
    for method, template, op in operations:
        has_ids = "{" in template
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        body = {} if method in ("POST", "PUT") else None
        response = cc.api(method, path, body)
        answer = response.json() if response.content else None
        name = f"{op['operationId']} {method} {template}"
        if op["operationId"] in NOT_IMPLEMENTED:
            if (response.status_code, answer) != (404, UNKNOWN_PATH):
                problems.append(f"{name}: {response.status_code} {answer}")
            continue
        if str(response.status_code) not in op["responses"] or answer == UNKNOWN_PATH:
            problems.append(f"{name}: undocumented {response.status_code} {answer}")
        elif response.status_code == 404 and not has_ids:
            problems.append(f"{name}: 404 without an id in the path: {answer}")
        elif response.status_code == 405:
            problems.append(f"{name}: 405")
    assert not problems, "\n".join(problems)
