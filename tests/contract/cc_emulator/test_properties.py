"""Property-based run over the implemented /v3 operations (the accepted schemathesis stand-in).

Generated bodies and queries mix valid and invalid values (over-long strings, wrong types,
unknown enums and ids). Properties: never a 5xx; every 2xx body validates against the contract;
every 4xx body has the brief's error shape.
"""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .driver import CC
from .schema import validate_error, validate_response

pytestmark = pytest.mark.cc_contract  # every property validates 2xx bodies against it

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LIST_ID = "11111111-1111-4111-8111-111111111111"  # replaced by a real list id per test

texts = st.one_of(
    st.text(max_size=8),
    st.text(min_size=45, max_size=60),
    st.integers(),
    st.none(),
)
emails = st.one_of(
    st.from_regex(r"[a-z]{1,10}\.[a-z0-9]{1,6}@example\.(com|org)", fullmatch=True),
    st.text(max_size=12),
    st.just("x" * 75 + "@example.com"),
)
sources = st.sampled_from(["Account", "Contact", "account", "", None])
permissions = st.sampled_from(["explicit", "implicit", "not_set", "unsubscribed", "pending", None])
phones = st.lists(
    st.fixed_dictionaries(
        {"phone_number": st.one_of(st.text(max_size=30), st.just("+1 415 555 0100")),
         "kind": st.sampled_from(["home", "work", "mobile", "other", "fax"])}
    ),
    max_size=4,
)  # fmt: skip
addresses = st.lists(
    st.fixed_dictionaries(
        {"kind": st.sampled_from(["home", "work", "other", "moon"])},
        optional={"street": texts, "city": texts, "postal_code": texts, "country": texts},
    ),
    max_size=4,
)
json_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def contact_bodies(source_key: str, list_id: str) -> st.SearchStrategy[Any]:
    """Contact bodies, mostly well-formed with a few bad values each."""
    body = st.fixed_dictionaries(
        {
            source_key: sources,
            "email_address": st.fixed_dictionaries(
                {"address": emails, "permission_to_send": permissions}
            ),
        },
        optional={
            "first_name": texts,
            "last_name": texts,
            "job_title": texts,
            "company_name": texts,
            "birthday_month": st.integers(-1, 14),
            "birthday_day": st.integers(-1, 33),
            "anniversary": st.sampled_from(["2006-11-15", "11/15/2006", "15.11.2006", "x" * 12]),
            "phone_numbers": phones,
            "street_addresses": addresses,
            "list_memberships": st.lists(
                st.sampled_from([list_id, "not-a-list"]) | json_junk, max_size=2
            ),
            "notes": st.lists(
                st.fixed_dictionaries(
                    {"content": st.text(max_size=20)},
                    optional={
                        "note_id": json_junk,
                        "created_at": st.sampled_from(["2021-05-12T13:48:44.108Z", "yesterday"]),
                    },
                ),
                max_size=2,
            ),
            "custom_fields": st.lists(
                st.fixed_dictionaries({"custom_field_id": json_junk, "value": texts}) | json_junk,
                max_size=2,
            ),
            "taggings": st.lists(
                st.sampled_from(["00000000-0000-4000-8000-000000000001"]) | json_junk, max_size=2
            ),
        },
    )
    return st.one_of(body, body, body, json_junk)


def check(response: httpx2.Response, method: str, path: str) -> None:
    """No 5xx; 2xx bodies fit the contract; 4xx bodies fit the brief's error shapes."""
    assert response.status_code < 500, response.text
    if response.status_code < 300:
        if response.content:
            validate_response(method, path, response.status_code, response.json())
    else:
        validate_error(response.status_code, response.json())


@SETTINGS
@given(data=st.data())
def test_create_and_update_contacts(cc: CC, data: st.DataObject) -> None:
    """§3.3–3.4 under generated input: POST then PUT of generated bodies."""
    list_id = _list(cc)
    # Draw everything before any request: draws must not depend on the server's answers.
    body = data.draw(contact_bodies("create_source", list_id))
    update = data.draw(contact_bodies("update_source", list_id))
    created = cc.api("POST", "/contacts", body)
    check(created, "POST", "/contacts")
    if created.status_code == 201:
        cid = created.json()["contact_id"]
        check(cc.api("PUT", f"/contacts/{cid}", update), "PUT", "/contacts/{contact_id}")
        check(
            cc.api("GET", f"/contacts/{cid}?include=notes,phone_numbers"),
            "GET",
            "/contacts/{contact_id}",
        )


query_values = st.one_of(
    st.sampled_from(["all", "active,deleted", "unsubscribed", "bogus", ""]),
    st.sampled_from(["1", "50", "500", "501", "0", "-3", "ten"]),
    st.sampled_from(
        ["2020-01-01T00:00:00Z", "2030-01-01", "not a date", "2026-11-26T10:00:00.000Z"]
    ),
    st.sampled_from(["custom_fields,notes", "list_memberships", "taggings", "everything"]),
    st.text(max_size=6),
)
query_names = st.sampled_from(
    [
        "status",
        "limit",
        "include",
        "updated_after",
        "created_before",
        "optout_after",
        "email",
        "include_count",
        "lists",
        "cursor",
    ]
)


@SETTINGS
@given(query=st.dictionaries(query_names, query_values, max_size=4))
def test_list_contacts(cc: CC, query: dict[str, str]) -> None:
    """§3.1 under generated queries, over a seeded account."""
    if not _seeded(cc):
        cc.reset(seed_contacts=60)
    check(cc.api("GET", "/contacts", params=query), "GET", "/contacts")


@SETTINGS
@given(data=st.data())
def test_sign_up_form_and_bulk(cc: CC, data: st.DataObject) -> None:
    """§3.6, §3.11, §3.12 and §3.10 under generated bodies."""
    list_id = _list(cc)
    form = data.draw(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "email_address": emails,
                    "list_memberships": st.lists(st.sampled_from([list_id, "x"]), max_size=2),
                },
                optional={
                    "first_name": texts,
                    "phone_number": texts,
                    "street_address": addresses.map(lambda a: a[0] if a else {}),
                },
            ),
            json_junk,
        )
    )
    signup = cc.api("POST", "/contacts/sign_up_form", form)
    check(signup, "POST", "/contacts/sign_up_form")
    rows = st.lists(
        st.fixed_dictionaries(
            {"email": emails},
            optional={
                "first_name": texts,
                "phone": texts,
                "cf:Nope": texts,
                "birthday_month": st.integers(0, 13),
            },
        ),
        max_size=5,
    )
    body = data.draw(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "import_data": rows,
                    "list_ids": st.lists(st.sampled_from([list_id, "y"]), max_size=2),
                }
            ),
            json_junk,
        )
    )
    check(
        cc.api("POST", "/activities/contacts_json_import", body),
        "POST",
        "/activities/contacts_json_import",
    )
    ids = st.lists(
        st.sampled_from([list_id, "00000000-0000-4000-8000-000000000000", "zz"]), max_size=3
    )
    delete = data.draw(
        st.one_of(
            st.fixed_dictionaries({}, optional={"contact_ids": ids, "list_ids": ids}), json_junk
        )
    )
    check(
        cc.api("POST", "/activities/contact_delete", delete), "POST", "/activities/contact_delete"
    )
    add = data.draw(
        st.fixed_dictionaries(
            {
                "source": st.fixed_dictionaries(
                    {},
                    optional={
                        "contact_ids": ids,
                        "all_active_contacts": st.booleans(),
                        "exclude": json_junk,
                    },
                ),
                "list_ids": ids,
            },
            optional={"exclude": st.fixed_dictionaries({"contact_ids": json_junk})},
        )
    )
    check(
        cc.api("POST", "/activities/add_list_memberships", add),
        "POST",
        "/activities/add_list_memberships",
    )
    add = data.draw(
        st.fixed_dictionaries(
            {
                "source": st.fixed_dictionaries(
                    {}, optional={"contact_ids": ids, "all_active_contacts": st.booleans()}
                ),
                "list_ids": ids,
            }
        )
    )
    check(
        cc.api("POST", "/activities/add_list_memberships", add),
        "POST",
        "/activities/add_list_memberships",
    )


@SETTINGS
@given(name=texts, label=texts, kind=st.sampled_from(["string", "date", "rocket", None]))
def test_lists_and_custom_fields(cc: CC, name: Any, label: Any, kind: Any) -> None:
    """§3.9–3.10 under generated names, labels and types."""
    check(cc.api("POST", "/contact_lists", {"name": name}), "POST", "/contact_lists")
    check(
        cc.api("POST", "/contact_custom_fields", {"label": label, "type": kind}),
        "POST",
        "/contact_custom_fields",
    )


def _list(cc: CC) -> str:
    lists = cc.ok("GET", "/contact_lists")["lists"]
    return str(lists[0]["list_id"]) if lists else cc.new_list()


def _seeded(cc: CC) -> bool:
    return bool(cc.ok("GET", "/contacts?limit=1")["contacts"])
