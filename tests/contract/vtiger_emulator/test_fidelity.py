"""Issue 8: the webservice emulator answers like the real Vtiger 8.2 to clients we did not write."""

from __future__ import annotations

import json
import re

from .client import WS, Vt
from .replay_support import FIXTURES, VTIGER_REFERENCE

# The reference is documentation beside the checkout; when present, its lists must match ours.
REFERENCE = VTIGER_REFERENCE
# The operations the reference lists (section 1: which read GET and which read POST).
READ_OPERATIONS = {"getchallenge", "retrieve", "query", "sync", "listtypes", "describe"}
READ_OPERATIONS |= {
    "relatedtypes",
    "retrieve_related",
    "query_related",
    "files_retrieve",
    "retrieve_inventory",
}
WRITE_OPERATIONS = {"login", "create", "update", "revise", "delete", "logout", "extendsession"}
WRITE_OPERATIONS |= {"convertlead", "changePassword", "deleteUser", "add_related"}
# Documented as failing on Vtiger 8.x with PHP 8: HTTP 500 with an empty body (section 6).
BROKEN_ON_PHP8 = {"sync", "logout"}
# Not emulated: they answer what the real server answers an unknown operation.
NOT_EMULATED = {
    "relatedtypes",
    "retrieve_related",
    "query_related",
    "files_retrieve",
    "retrieve_inventory",
    "extendsession",
    "convertlead",
    "changePassword",
    "deleteUser",
    "add_related",
}


def _fixture(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def test_listtypes_field_type_list_keeps_modules_with_such_fields(vt: Vt) -> None:
    """The issue's second difference: ``fieldTypeList`` was ignored."""
    recorded = _fixture("listtypes.json")["response"]["body"]["result"]  # type: ignore[index]
    everything = vt.op_get("listtypes")["result"]
    assert everything == recorded  # no filter: all 35 types, as captured
    email = vt.op_get("listtypes", fieldTypeList=json.dumps(["email"]))["result"]
    assert email["types"] == ["Vendors", "Leads", "Accounts", "Contacts", "Users"]
    assert set(email["information"]) == set(email["types"])
    assert all(recorded["information"][t] == email["information"][t] for t in email["types"])
    modules = {t for t, info in recorded["information"].items() if info["isEntity"]}
    for types in (["EMAIL"], ["phone", "email"], ["currency"], ["owner"]):
        result = vt.op_get("listtypes", fieldTypeList=json.dumps(types))["result"]
        assert result["types"] and set(result["types"]) <= modules, (types, result)
        assert [t for t in recorded["types"] if t in result["types"]] == result["types"]
    both = vt.op_get("listtypes", fieldTypeList=json.dumps(["phone", "email"]))["result"]
    assert set(email["types"]) < set(both["types"])
    # ``string`` is not in vtiger_ws_fieldtype, so no field matches it on the real server
    assert vt.op_get("listtypes", fieldTypeList='["string"]')["result"]["types"] == []
    assert vt.op_get("listtypes", fieldTypeList="[]")["result"] == recorded


def test_read_operations_take_url_parameters_whatever_the_method(vt: Vt) -> None:
    """The issue's third difference: ``POST ?operation=getchallenge&username=admin`` works."""
    url_only = vt.http.post(WS, params={"operation": "getchallenge", "username": "admin"}).json()
    assert url_only["success"] is True
    assert len(url_only["result"]["token"]) == 13
    body_only = vt.http.post(WS, data={"operation": "getchallenge", "username": "admin"}).json()
    assert body_only == {
        "success": False,
        "error": {"code": "ACCESS_DENIED", "message": "No username given"},
    }
    count = "SELECT count(*) FROM Contacts;"
    query = {"operation": "query", "sessionName": vt.session, "query": count}
    assert vt.http.post(WS, params=query).json()["result"] == [{"count": "0"}]
    described = {"operation": "describe", "sessionName": vt.session, "elementType": "Contacts"}
    assert vt.http.post(WS, params=described).json()["result"]["name"] == "Contacts"
    # recorded: a query whose parameters travel in a POST body finds no query at all
    examples = _fixture("error_examples.json")["examples"]
    recorded = examples["err_query_sent_as_post"]  # type: ignore[index]
    params = {**recorded["request"]["params"], "sessionName": vt.session}
    assert vt.http.post(WS, data=params).json() == recorded["response"]["body"]
    # write operations still read only the body
    login = vt.http.post(WS, params={"operation": "login", "username": "admin", "accessKey": "x"})
    assert login.json()["success"] is False


def _documented_operations() -> tuple[set[str], set[str]]:
    """The GET and POST operation lists of the reference (when it is beside the checkout)."""
    text = REFERENCE.read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    for method in ("GET", "POST"):
        line = re.search(rf"^\s*- {method}: (.*)$", text, re.MULTILINE)
        assert line is not None, method
        found[method] = set(re.findall(r"`([A-Za-z_]+)`", line.group(1)))
    return found["GET"], found["POST"]


def test_every_documented_operation_works_or_is_an_unknown_operation(vt: Vt) -> None:
    """Each webservice operation of the reference behaves as documented, or answers exactly what
    the real server answers an unknown operation (recorded: HTTP 500, empty body)."""
    if REFERENCE.exists():
        assert _documented_operations() == (READ_OPERATIONS, WRITE_OPERATIONS)
    examples = _fixture("error_examples.json")["examples"]
    recorded = examples["err_unknown_operation"]  # type: ignore[index]
    unknown = vt.http.get(WS, params={"operation": "nosuchop", "sessionName": vt.session})
    assert unknown.status_code == recorded["response"]["http_status"] == 500
    assert unknown.content == b"" and recorded["response"]["body"] == ""
    for operation in sorted(READ_OPERATIONS | WRITE_OPERATIONS):
        record = vt.create(lastname="Walk")
        params = {"operation": operation, "sessionName": vt.session, "id": record["id"]}
        params |= {"elementType": "Contacts", "query": "SELECT id FROM Contacts;"}
        params |= {"username": "admin", "modifiedTime": "0"}
        element = {"id": record["id"], "lastname": "Walk", "assigned_user_id": vt.user_id}
        params["element"] = json.dumps(element)
        if operation in READ_OPERATIONS:
            response = vt.http.get(WS, params=params)
        else:
            response = vt.http.post(WS, data=params)
        if operation in NOT_EMULATED | BROKEN_ON_PHP8:
            assert (response.status_code, response.content) == (500, b""), operation
            continue
        body = response.json()
        assert response.status_code == 200
        assert set(body) in ({"success", "result"}, {"success", "error"}), (operation, body)
        if operation != "login":  # login's accessKey is not a valid digest here
            assert body["success"] is True, (operation, body)
