"""``behaviour_observations.json``: the lab's scripted run of 35 operations, re-run here.

Each observation is recomputed against the emulator with the same normalisation (see the
file's ``_note``) and compared exactly.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2

from .client import ADMIN_KEY, WS, Vt, digest
from .replay_support import load


def shape(response: httpx2.Response) -> dict[str, Any]:
    """The lab's normalised answer shape."""
    try:
        body = response.json()
    except ValueError:
        return {"http": response.status_code, "json": False}
    if not body["success"]:
        return {"success": False, "code": body["error"]["code"]}
    result = body["result"]
    if isinstance(result, list):
        return {"success": True, "list": True, "row_keys": sorted(result[0]) if result else []}
    return {"success": True, "keys": sorted(k for k in result if not k.startswith("cf_"))}


class Script:
    """The scripted run: one admin session, normalised observations collected in ``out``."""

    def __init__(self, vt: Vt) -> None:
        self.vt = vt
        self.out: dict[str, Any] = {}
        self.element = {
            "lastname": "Observed",
            "firstname": "F" * 60,
            "assigned_user_id": vt.user_id,
            "emailoptout": "yes",
            "email": "observed@example.com",
        }
        self.ws_id = ""

    def get(self, **params: str) -> httpx2.Response:
        return self.vt.http.get(WS, params={"sessionName": self.vt.session, **params})

    def post(self, **data: str) -> httpx2.Response:
        return self.vt.http.post(WS, data={"sessionName": self.vt.session, **data})

    def create(self, element: dict[str, str], method: str = "POST") -> httpx2.Response:
        send = self.post if method == "POST" else self.get
        return send(operation="create", elementType="Contacts", element=json.dumps(element))

    def auth(self) -> None:
        http, out = self.vt.http, self.out
        token = http.get(WS, params={"operation": "getchallenge", "username": "admin"})
        out["getchallenge"] = shape(token)
        key = digest(token.json()["result"]["token"], ADMIN_KEY)
        login = {"operation": "login", "username": "admin", "accessKey": key}
        out["login"] = shape(http.post(WS, data=login))
        bogus = {"operation": "query", "query": "SELECT id FROM Contacts;"}
        out["invalid_session"] = shape(http.get(WS, params={**bogus, "sessionName": "bogus"}))
        out["no_session"] = shape(http.get(WS, params={**bogus, "sessionName": ""}))

    def writes(self) -> None:
        out, element = self.out, self.element
        created = self.create(element)
        record = created.json()["result"]
        self.ws_id = record["id"]
        out["create"] = shape(created)
        out["create_bool_yes_is"] = record["emailoptout"]
        out["create_truncates_firstname_to"] = len(record["firstname"])
        out["empty_values_are"] = repr(record["mobile"])
        out["id_format"] = bool(re.fullmatch(r"\d+x\d+", self.ws_id))
        stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
        out["modifiedtime_format"] = bool(re.fullmatch(stamp, record["modifiedtime"]))
        out["create_as_get"] = shape(self.create(element, "GET"))
        out["create_no_lastname"] = shape(self.create(_without(element, "lastname")))
        out["create_no_owner"] = shape(self.create(_without(element, "assigned_user_id")))
        out["retrieve"] = shape(self.get(operation="retrieve", id=self.ws_id))
        for key, change in (
            ("revise", {"firstname": "R"}),
            ("revise_empty_lastname", {"lastname": ""}),
        ):
            out[key] = shape(
                self.post(operation="revise", element=json.dumps({"id": self.ws_id, **change}))
            )
        partial = json.dumps({"id": self.ws_id, "firstname": "U"})
        out["update_partial"] = shape(self.post(operation="update", element=partial))

    def queries(self) -> None:
        out = self.out
        count = self.get(operation="query", query="SELECT count(*) FROM Contacts;")
        out["count_shape"] = shape(count)
        out["count_is_string"] = isinstance(count.json()["result"][0]["count"], str)
        capped = self.get(operation="query", query="SELECT id FROM Contacts LIMIT 150;")
        out["query_limit_150_rows_capped"] = len(capped.json()["result"]) == 100
        out["query_as_post"] = shape(self.post(operation="query", query="SELECT id FROM Contacts;"))
        for key, text in (
            ("query_no_semicolon", "SELECT * FROM Contacts"),
            ("query_parentheses", "SELECT id FROM Contacts WHERE (lastname = 'a');"),
            ("query_unknown_column", "SELECT nosuchcol FROM Contacts;"),
        ):
            out[key] = shape(self.get(operation="query", query=text))
        quoted = "SELECT id FROM Contacts WHERE lastname = 'O''Brien';"
        out["query_quote_doubling"] = self.get(operation="query", query=quoted).json()["success"]

    def describe_and_delete(self) -> None:
        out = self.out
        describe = self.get(operation="describe", elementType="Contacts").json()["result"]
        names = [f["name"] for f in describe["fields"]]
        out["describe_core_fields"] = sorted(n for n in names if not n.startswith("cf_"))
        out["describe_has_idPrefix"] = describe["idPrefix"].isdigit()
        out["describe_mandatory"] = sorted(f["name"] for f in describe["fields"] if f["mandatory"])
        out["delete"] = shape(self.post(operation="delete", id=self.ws_id))
        out["delete_result"] = self.post(operation="delete", id=self.ws_id).json()["error"]["code"]
        out["retrieve_deleted"] = shape(self.get(operation="retrieve", id=self.ws_id))
        gone = f"SELECT id FROM Contacts WHERE id IN ('{self.ws_id}');"
        out["query_excludes_deleted"] = (
            self.get(operation="query", query=gone).json()["result"] == []
        )
        unknown = f"{describe['idPrefix']}x999999"
        out["retrieve_unknown"] = shape(self.get(operation="retrieve", id=unknown))
        sync = self.get(operation="sync", modifiedTime="0", elementType="Contacts")
        out["sync_operation"] = shape(sync)
        out["unknown_operation"] = shape(self.get(operation="nosuchop"))


def _without(element: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in element.items() if k != key}


def observe(vt: Vt) -> dict[str, Any]:
    """Run the scripted operations and normalise what they answer."""
    script = Script(vt)
    script.writes()
    script.queries()
    script.describe_and_delete()
    script.auth()
    return script.out


def test_behaviour_observations_match_the_lab(vt: Vt) -> None:
    vt.control("POST", "/reset", {"seed_contacts": 120})
    vt.login()
    expected = {
        k: v for k, v in load("behaviour_observations.json").items() if not k.startswith("_")
    }
    observed = observe(vt)
    assert set(observed) == set(expected)
    differences = {k: (observed[k], expected[k]) for k in expected if observed[k] != expected[k]}
    assert differences == {}
