"""The default mapping, both sides ⇄ canonical, request bodies and target validation."""

from __future__ import annotations

from typing import Any

from ccsync.connectors.base import FieldInfo, Schema
from ccsync.connectors.vtiger.describe import COLUMN_SIZES
from ccsync.engine.mapping import (
    CustomField,
    canonical_to_cc_post,
    canonical_to_cc_put,
    canonical_to_crm_create,
    canonical_to_crm_revise,
    canonical_to_import_row,
    cc_to_canonical,
    crm_to_canonical,
    default_mapping,
    prepare_for_crm,
    validate_for_cc,
    validate_for_crm,
)

CUSTOM = CustomField("cf_901", "cf-uuid-1", "tier")
MAPPING = default_mapping(custom=[CUSTOM])

CONTACT: dict[str, Any] = {
    "contact_id": "c1",
    "email_address": {"address": "ann@example.com", "permission_to_send": "explicit"},
    "first_name": "Ann",
    "last_name": "Lee",
    "job_title": "CTO",
    "company_name": "Acme",
    "anniversary": "2006-11-15",
    "birthday_month": 3,
    "birthday_day": 9,
    "phone_numbers": [
        {"phone_number_id": "p1", "phone_number": "555-1", "kind": "home"},
        {"phone_number": "555-2", "kind": "work"},
        {"phone_number": "555-3", "kind": "mobile"},
    ],
    "street_addresses": [
        {
            "street_address_id": "a1",
            "kind": "home",
            "street": "1 Main",
            "city": "Town",
            "state": "CA",
            "postal_code": "90001",
            "country": "US",
        },
        {"kind": "work", "street": "9 Office", "city": "City"},
    ],
    "custom_fields": [
        {"custom_field_id": "cf-uuid-1", "value": "gold"},
        {"custom_field_id": "cf-other", "value": "keep"},
    ],
    "list_memberships": ["list-a"],
    "taggings": ["tag-1"],
    "created_at": "2020-01-01T00:00:00Z",
}


def test_default_mapping_reproduces_vtiger_table_and_extended_rows() -> None:
    plain = default_mapping(extended=False)
    assert [(r.crm_field, r.cc_path) for r in plain.rows] == [
        ("firstname", "first_name"),
        ("lastname", "last_name"),
        ("email", "email_address.address"),
        ("phone", "phone_numbers[kind=home]"),
        ("mailingstreet", "street_addresses[kind=home].street"),
        ("mailingcity", "street_addresses[kind=home].city"),
        ("mailingstate", "street_addresses[kind=home].state"),
        ("mailingzip", "street_addresses[kind=home].postal_code"),
        ("mailingcountry", "street_addresses[kind=home].country"),
        ("emailoptout", "email_address.permission_to_send"),
    ]
    assert plain.has_consent and "emailoptout" not in plain.fields
    full = {r.crm_field: r for r in default_mapping().rows}
    assert full["mobile"].cc_key == "mobile" and full["homephone"].cc_key == "other"
    assert full["birthday"].direction == "crm_to_cc"
    # issue 9: CC's company links the organisation of that name (the connector maps name ⇄ id)
    assert full["account_id"].direction == "both"
    assert full["otherzip"].cc_path == "street_addresses[kind=other].postal_code"
    assert full["emailoptout"].kind == "consent" and "emailoptout" not in default_mapping().fields


def test_office_phone_as_work_switch() -> None:
    rows = {r.crm_field: r.cc_key for r in default_mapping(office_phone_as_work=True).rows}
    assert (rows["phone"], rows["homephone"], rows["mobile"]) == ("work", "home", "mobile")


def test_crm_to_canonical_normalises_values() -> None:
    record = {
        "firstname": " Ann ",
        "lastname": "Lee",
        "email": "ann@example.com",
        "birthday": "1980-03-09",
        "emailoptout": "1",
        "account_id": "Acme",
        "cf_901": "gold",
        "description": "ignored",
    }
    canonical = crm_to_canonical(record, MAPPING)
    assert canonical["firstname"] == "Ann" and canonical["birthday"] == "03-09"
    assert canonical["emailoptout"] == "1" and canonical["phone"] == ""
    assert canonical["cf_901"] == "gold" and "description" not in canonical


def test_cc_to_canonical_reads_kinds_and_consent() -> None:
    canonical, consent = cc_to_canonical(CONTACT, MAPPING)
    assert canonical["phone"] == "555-1" and canonical["mobile"] == "555-3"
    assert canonical["homephone"] == "" and canonical["mailingzip"] == "90001"
    assert canonical["birthday"] == "03-09" and canonical["cf_901"] == "gold"
    assert canonical["account_id"] == "Acme" and "emailoptout" not in canonical
    assert (consent.permission, consent.unsubscribed) == ("explicit", False)


def test_put_body_keeps_unmapped_data_and_copies_permission() -> None:
    new = dict(
        cc_to_canonical(CONTACT, MAPPING)[0],
        firstname="Anna",
        phone="",
        mobile="777",
        mailingcity="",
        cf_901="",
    )
    body = canonical_to_cc_put(new, CONTACT, MAPPING, permission=None)
    assert body["update_source"] == "Account" and body["anniversary"] == "2006-11-15"
    assert body["email_address"] == {"address": "ann@example.com", "permission_to_send": "explicit"}
    assert body["phone_numbers"] == [
        {"phone_number": "555-2", "kind": "work"},
        {"phone_number": "777", "kind": "mobile"},
    ]
    assert body["street_addresses"][1] == {"kind": "work", "street": "9 Office", "city": "City"}
    assert "city" not in body["street_addresses"][0]
    assert body["custom_fields"] == [{"custom_field_id": "cf-other", "value": "keep"}]
    assert body["list_memberships"] == ["list-a"] and body["taggings"] == ["tag-1"]
    assert "contact_id" not in body and "created_at" not in body


def test_put_body_consent_rule_sets_permission_and_revive_adds_list() -> None:
    body = canonical_to_cc_put(
        {}, CONTACT, MAPPING, permission="unsubscribed", add_list_ids=["list-b"]
    )
    assert body["email_address"]["permission_to_send"] == "unsubscribed"
    assert body["list_memberships"] == ["list-a", "list-b"]


def test_post_body_and_import_row() -> None:
    new = cc_to_canonical(CONTACT, MAPPING)[0]
    post = canonical_to_cc_post(new, MAPPING, list_ids=["l1"], permission=None)
    assert post["create_source"] == "Account" and "update_source" not in post
    assert post["list_memberships"] == ["l1"] and post["email_address"] == {
        "address": "ann@example.com"
    }
    row = canonical_to_import_row(dict(new, homephone="555-9", otherzip="12345"), MAPPING)
    assert row == {
        "first_name": "Ann",
        "last_name": "Lee",
        "email": "ann@example.com",
        "home_phone": "555-1",
        "mobile_phone": "555-3",
        "other_phone": "555-9",
        "street": "1 Main",
        "city": "Town",
        "state": "CA",
        "zip": "90001",
        "country": "US",
        "job_title": "CTO",
        "company_name": "Acme",
        "other_zip": "12345",
        "birthday_month": 3,
        "birthday_day": 9,
        "cf:tier": "gold",
    }


def test_crm_revise_sends_only_changed_fields_and_create_assigns_user() -> None:
    old = crm_to_canonical(
        {"firstname": "Ann", "lastname": "Lee", "phone": "202-555-0100"}, MAPPING
    )
    new = dict(old, firstname="", phone="(202) 555-0100", emailoptout="1", birthday="01-02")
    assert canonical_to_crm_revise(new, old, MAPPING) == {"firstname": "", "emailoptout": "1"}
    created = canonical_to_crm_create(new, MAPPING, "19x5")
    assert created == {
        "lastname": "Lee",
        "phone": "(202) 555-0100",
        "emailoptout": "1",
        "assigned_user_id": "19x5",
    }


def test_validate_for_crm_mandatory_and_lengths() -> None:
    schema = Schema(
        {
            "cf_5": FieldInfo("cf_5", "Region", mandatory=True),
            "assigned_user_id": FieldInfo("assigned_user_id", "Owner", mandatory=True),
        },
        lengths=COLUMN_SIZES,
    )
    codes = [i.code for i in validate_for_crm({"firstname": "x" * 41}, schema)]
    assert codes == ["no_last_name", "missing_mandatory:cf_5", "value_too_long"]
    assert validate_for_crm({"title": "t"}, schema, creating=False) == []
    fixed, issues = prepare_for_crm({"lastname": "L", "cf_5": "r", "mailingcity": "c" * 45}, schema)
    assert fixed["mailingcity"] == "c" * 40 and [i.code for i in issues] == ["truncated"]


def test_validate_for_cc_limits_and_counts() -> None:
    new = {"email": "a" * 45 + "@example.com", "lastname": "L" * 51, "phone": "1" * 26}
    codes = sorted(i.code for i in validate_for_cc(new, MAPPING, for_import=True))
    assert codes == ["email_too_long", "value_too_long", "value_too_long"]
    assert [
        i.fixable_by_truncation
        for i in validate_for_cc({"email": "a@b.co", "lastname": "L" * 51}, MAPPING)
    ] == [True]
    crowded = dict(CONTACT, phone_numbers=[{"phone_number": "1", "kind": "work"}] * 3)
    issues = validate_for_cc({"email": "a@b.co", "phone": "2"}, MAPPING, fresh=crowded)
    assert [(i.code, i.field) for i in issues] == [("value_too_long", "phone_numbers")]
