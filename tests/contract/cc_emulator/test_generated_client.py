"""A client built from the official contract drives the emulator (issue 8, deliver item 4).

``bravado`` builds its operations from ``swagger.yaml`` at run time, validates every request it
sends and every documented response body it receives against the contract, and talks real HTTP
to the emulator subprocess. Only the server address is changed in the contract (``host`` and
``schemes``); nothing else is patched.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .driver import CC
from .schema import raw_spec, require_contract

# bravado-core and swagger-spec-validator still use jsonschema's RefResolver, and the contract
# has ``$ref`` siblings the validator warns about; neither is ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:jsonschema.RefResolver:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:Accessing Validator.resolver:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::swagger_spec_validator.common.SwaggerValidationWarning"),
]
CONFIG = {
    "validate_requests": True,
    "validate_responses": True,
    "validate_swagger_spec": True,
    "use_models": False,
    "also_return_response": True,
    "include_missing_properties": False,
}


class Api:
    """The generated client with the emulator's bearer token on every call."""

    def __init__(self, cc: CC) -> None:
        from bravado.client import SwaggerClient
        from bravado.requests_client import RequestsClient
        from bravado_core.formatter import SwaggerFormat

        spec = copy.deepcopy(raw_spec())
        spec["host"] = urlsplit(cc.url).netloc
        spec["schemes"] = ["http"]
        self.http = RequestsClient()
        uuids = SwaggerFormat("uuid", to_wire=str, to_python=str, validate=_uuid, description="")
        csv = SwaggerFormat("csv", to_wire=str, to_python=str, validate=_csv, description="")
        self.client = SwaggerClient.from_spec(
            spec,
            origin_url=f"{cc.url}/v3/swagger.yaml",
            http_client=self.http,
            config={**CONFIG, "formats": [uuids, csv]},
        )
        self.cc = cc

    def call(self, tag: str, operation: str, expect: int, **params: Any) -> Any:
        """Run one operation; it must answer ``expect``. Returns the (validated) body."""
        resource = getattr(self.client, tag.replace(" ", "_"))
        headers = {"Authorization": f"Bearer {self.cc.token}"}
        future = getattr(resource, operation)(**params, _request_options={"headers": headers})
        answer = future.response()
        body, response = answer.result, answer.incoming_response
        assert response.status_code == expect, (operation, response.status_code, response.text)
        return body

    def follow(self, href: str, operation: Any) -> Any:
        """Follow a ``_links`` href and validate the page as ``operation``'s 200 answer."""
        from bravado.http_future import unmarshal_response_inner
        from bravado.requests_client import RequestsResponseAdapter

        headers = {"Authorization": f"Bearer {self.cc.token}"}
        response = self.http.session.get(self.cc.url + href, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return unmarshal_response_inner(RequestsResponseAdapter(response), operation)


def _uuid(value: str) -> None:
    """The contract's ``uuid`` format, which bravado does not know by itself."""
    uuid.UUID(value)


def _csv(value: str) -> None:
    """The contract's ``csv`` string format (a comma-separated list)."""
    assert isinstance(value, str) and all(v.strip() for v in value.split(","))


@pytest.fixture()
def api(cc: CC) -> Iterator[Api]:
    require_contract()
    client = Api(cc)
    yield client
    client.http.session.close()


def test_generated_client_walks_the_sync_operations(api: Api, cc: CC) -> None:
    """Contacts, paging, counts, lists, memberships, custom fields, JSON import, deletes."""
    field = api.call(
        "Contacts Custom Fields", "postCustomFields", 201, body={"label": "Tier", "type": "string"}
    )
    field_id = field["custom_field_id"]
    assert api.call("Contacts Custom Fields", "getCustomField", 200, custom_field_id=field_id)
    renamed = api.call(
        "Contacts Custom Fields",
        "putCustomField",
        200,
        custom_field_id=field_id,
        body={"label": "Level", "type": "string"},
    )
    assert renamed["name"] == "Level"
    fields = api.call("Contacts Custom Fields", "getCustomFields", 200, limit=10)
    assert [f["custom_field_id"] for f in fields["custom_fields"]] == [field_id]

    listed = api.call("Contact Lists", "createList", 201, body={"name": "Customers"})
    list_id = listed["list_id"]
    ids = []
    for n in range(3):
        body = {
            "email_address": {"address": f"walk{n}@example.com", "permission_to_send": "implicit"},
            "first_name": f"Walk{n}",
            "create_source": "Account",
            "custom_fields": [{"custom_field_id": field_id, "value": "Gold"}],
            "phone_numbers": [{"phone_number": "+1 555 0100", "kind": "work"}],
        }
        ids.append(api.call("Contacts", "createContact", 201, body=body)["contact_id"])
    got = api.call("Contacts", "getContact", 200, contact_id=ids[0], include="custom_fields")
    assert got["custom_fields"][0]["value"] == "Gold"

    page = api.call("Contacts", "getContacts", 200, limit=2, include_count=True, status="all")
    assert page["contacts_count"] == 3 and len(page["contacts"]) == 2
    rest = api.follow(page["_links"]["next"]["href"], api.client.Contacts.getContacts.operation)
    seen = [c["contact_id"] for c in page["contacts"] + rest["contacts"]]
    assert sorted(seen) == sorted(ids) and "_links" not in rest

    put = {
        "email_address": {"address": "walk0@example.com"},
        "first_name": "Walked",
        "update_source": "Account",
    }
    updated = api.call("Contacts", "putContact", 200, contact_id=ids[0], body=put)
    assert updated["first_name"] == "Walked"
    counts = api.call("Contacts", "countContact", 200, include="new_subscriber")
    assert (counts["total"], counts["implicit"], counts["new_subscriber"]) == (3, 3, 3)

    add = {"source": {"contact_ids": ids[:2]}, "list_ids": [list_id]}
    added = api.call("Bulk Activities", "postListAddContact", 201, body=add)
    imported = api.call(
        "Bulk Activities",
        "bulkImportContactsJSON",
        201,
        body={
            "import_data": [
                {"email": "imported@example.com", "first_name": "Imp", "cf:Level": "X"}
            ],
            "list_ids": [list_id],
        },
    )
    cc.clock(advance=60)
    for activity in (added, imported):
        done = api.call("Bulk Activities", "getActivity", 200, activity_id=activity["activity_id"])
        assert done["state"] == "completed", done
    members = api.call(
        "Contact Lists", "getList", 200, list_id=list_id, include_membership_count="all"
    )
    assert members["membership_count"] == 3
    mine = api.call("Contacts", "getContacts", 200, lists=list_id, include="list_memberships")
    assert len(mine["contacts"]) == 3
    activities = api.call("Bulk Activities", "getActivityStatusCollection", 200, limit=10)
    assert len(activities["activities"]) == 2

    assert api.call("Contacts", "deleteContact", 204, contact_id=ids[2]) is None
    deleted = api.call("Contacts", "getContact", 200, contact_id=ids[2])
    assert deleted["deleted_at"]
    api.call("Contacts Custom Fields", "deleteCustomField", 204, custom_field_id=field_id)
    gone = api.call("Contact Lists", "deleteListActivity", 202, list_id=list_id)
    assert gone["activity_id"]
