"""The Vtiger Cloud flavour: Basic auth, reason phrases, quotas with headers, working sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import httpx2
import pytest

from .client import ADMIN_KEY, REST, SALES_KEY, WS, Proc, Vt

ADMIN = ("admin", ADMIN_KEY)
SALES = ("sales1", SALES_KEY)


@pytest.fixture
def rest(vt_proc: Proc) -> Iterator[httpx2.Client]:
    """A restapi client of a freshly reset emulator (quotas reset too: 10/min, 25/day)."""
    with httpx2.Client(base_url=vt_proc.base_url + REST, timeout=30) as client:
        reset = httpx2.post(vt_proc.base_url + "/_emulator/reset", json={})
        assert reset.status_code == 200
        yield client


def _create(rest: httpx2.Client, auth: tuple[str, str], **fields: str) -> dict[str, str]:
    data = {"elementType": "Contacts", "element": json.dumps(fields)}
    response = rest.post("/create", data=data, auth=auth)
    assert response.status_code == 200, response.reason_phrase
    result: dict[str, str] = response.json()["result"]
    return result


def test_basic_auth_on_every_call(rest: httpx2.Client) -> None:
    me = rest.get("/me", auth=ADMIN)
    assert me.status_code == 200 and me.json()["result"]["id"] == "19x1"
    by_email = rest.get("/me", auth=("admin@example.invalid", ADMIN_KEY))
    assert by_email.json()["result"]["user_name"] == "admin"
    wrong = rest.get("/me", auth=("admin", "not-the-key"))
    assert (wrong.status_code, wrong.reason_phrase, wrong.content) == (401, "Unauthorized", b"")
    assert rest.get("/me").status_code == 401


def test_errors_are_status_and_reason_phrase_with_empty_body(rest: httpx2.Client) -> None:
    missing = rest.get("/retrieve", params={"id": "12x999999"}, auth=ADMIN)
    assert (missing.status_code, missing.content) == (400, b"")
    assert missing.reason_phrase == "Permission to perform the operation is denied"
    element = json.dumps({"firstname": "NoLast", "assigned_user_id": "19x1"})
    bad = rest.post("/create", data={"elementType": "Contacts", "element": element}, auth=ADMIN)
    assert (bad.status_code, bad.reason_phrase) == (400, "lastname does not have a value")
    query = rest.get("/query", params={"query": "SELECT count(*) FROM Contacts;"}, auth=ADMIN)
    assert query.json()["result"] == [{"count": "0"}]


def test_minute_and_day_quotas_with_headers(rest: httpx2.Client, vt_proc: Proc) -> None:
    # reset put the clock at the emulator's start; frozen, only the test moves the windows
    httpx2.post(vt_proc.base_url + "/_emulator/clock", json={"freeze": True})
    remaining = [
        int(rest.get("/me", auth=ADMIN).headers["X-FloodControl-Remaining"]) for _ in range(10)
    ]
    assert remaining == list(range(9, -1, -1))
    limited = rest.get("/me", auth=ADMIN)
    assert limited.status_code == 429
    assert limited.headers["X-FloodControl-MinuteLimit"] == "10"
    reset_at = int(limited.headers["X-FloodControl-Reset"])
    clock = httpx2.get(vt_proc.base_url + "/_emulator/clock").json()
    assert 0 < reset_at - datetime.fromisoformat(clock["now"]).timestamp() <= 60
    httpx2.post(vt_proc.base_url + "/_emulator/clock", json={"advance": 60})
    again = rest.get("/me", auth=ADMIN)
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "14"
    for _ in range(14):
        httpx2.post(vt_proc.base_url + "/_emulator/clock", json={"advance": 7})
        assert rest.get("/me", auth=ADMIN).status_code == 200
    httpx2.post(vt_proc.base_url + "/_emulator/clock", json={"advance": 61})
    day = rest.get("/me", auth=ADMIN)
    assert (day.status_code, day.headers["X-RateLimit-Remaining"]) == (429, "0")


def test_working_sync_with_sync_types(rest: httpx2.Client) -> None:
    mine = _create(rest, ADMIN, lastname="Mine", assigned_user_id="19x1")
    theirs = _create(rest, SALES, lastname="Theirs", assigned_user_id="19x5")
    gone = _create(rest, ADMIN, lastname="Gone", assigned_user_id="19x1")
    assert rest.post("/delete", data={"id": gone["id"]}, auth=ADMIN).status_code == 200
    params = {"modifiedTime": "0", "elementType": "Contacts"}
    user = rest.get("/sync", params={**params, "syncType": "user"}, auth=ADMIN).json()["result"]
    assert [u["id"] for u in user["updated"]] == [mine["id"]]
    assert user["deleted"] == [gone["id"]] and user["more"] is False
    denied = rest.get("/sync", params={**params, "syncType": "application"}, auth=SALES)
    assert (denied.status_code, denied.reason_phrase) == (
        400,
        "Only admin users can perform application sync",
    )
    every = rest.get("/sync", params={**params, "syncType": "application"}, auth=ADMIN).json()
    assert {u["id"] for u in every["result"]["updated"]} == {mine["id"], theirs["id"]}


def test_cloud_also_serves_webservice_php(vt_proc: Proc) -> None:
    vt = Vt(vt_proc.base_url)
    vt.control("POST", "/reset", {})
    vt.login()
    assert vt.rows("SELECT count(*) FROM Contacts;") == [{"count": "0"}]
    assert vt.http.get(WS, params={"operation": "listtypes", "sessionName": vt.session}).is_success
    vt.close()
