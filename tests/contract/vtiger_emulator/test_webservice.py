"""webservice.php behaviour over loopback: writes, values, paging, visibility, sessions."""

from __future__ import annotations

import json
import time

import httpx2

from .client import ADMIN_KEY, SALES_KEY, WS, Proc, Vt, digest


def test_create_stamps_and_normalises_values(vt: Vt) -> None:
    record = vt.create(
        lastname="L" * 100,
        firstname="Emo\U0001f600ji",
        emailoptout="yes",
        donotcall=True,
        email="",
        modifiedtime="1999-01-01 00:00:00",
    )
    assert len(record["lastname"]) == 80
    assert record["firstname"] == "Emo????ji"
    assert (record["emailoptout"], record["donotcall"]) == ("0", "1")
    assert record["modifiedtime"] != "1999-01-01 00:00:00"
    assert record["id"].startswith("12x") and record["label"].startswith("Emo????ji")


def test_every_save_bumps_modifiedtime_at_one_second_resolution(vt: Vt) -> None:
    vt.control("POST", "/clock", {"set": "2026-11-26T10:00:00+00:00", "freeze": True})
    vt.login()  # a session of the new instant (the fixture's idles out across the jump)
    record = vt.create(lastname="Echo")
    vt.control("POST", "/clock", {"advance": 2.7})
    revised = vt.op_post("revise", element=json.dumps({"id": record["id"]}))["result"]
    assert (record["modifiedtime"], revised["modifiedtime"]) == (
        "2026-11-26 10:00:00",
        "2026-11-26 10:00:02",
    )


def test_revise_clears_and_update_needs_mandatory(vt: Vt) -> None:
    record = vt.create(lastname="Keep", phone="+1 555", title="CTO")
    element = json.dumps({"id": record["id"], "phone": ""})
    revised = vt.op_post("revise", element=element)["result"]
    assert (revised["phone"], revised["title"]) == ("", "CTO")
    failed = vt.op_post("update", element=json.dumps({"id": record["id"], "title": "x"}))
    assert failed["error"] == {
        "code": "MANDATORY_FIELDS_MISSING",
        "message": "lastname does not have a value",
    }


def test_deleted_record_is_access_denied_and_hidden_from_query(vt: Vt) -> None:
    record = vt.create(lastname="Gone")
    assert vt.op_post("delete", id=record["id"])["result"] == {"status": "successful"}
    again = vt.op_get("retrieve", id=record["id"])
    assert again["error"]["code"] == "ACCESS_DENIED"
    assert vt.rows(f"SELECT id FROM Contacts WHERE id IN ('{record['id']}');") == []


def test_get_post_mixups_and_broken_operations(vt: Vt) -> None:
    as_post = vt.op_post("query", query="SELECT id FROM Contacts;")
    assert as_post["error"]["message"] == "Permission to perform the operation is denied for query"
    for params in ({"operation": "sync", "modifiedTime": "0"}, {"operation": "nosuchop"}):
        response = vt.http.get(WS, params={**params, "sessionName": vt.session})
        assert (response.status_code, response.content) == (500, b"")
    logout = vt.http.post(WS, data={"operation": "logout", "sessionName": vt.session})
    assert (logout.status_code, logout.content) == (500, b"")


def test_hundred_row_cap_and_offset_paging(vt: Vt) -> None:
    vt.control("POST", "/reset", {"seed_contacts": 150})
    vt.login()
    assert len(vt.rows("SELECT id FROM Contacts LIMIT 150;")) == 100
    second = vt.rows("SELECT id FROM Contacts ORDER BY id LIMIT 100, 500;")
    assert len(second) == 50
    assert vt.rows("SELECT count(*) FROM Contacts;") == [{"count": "150"}]


def test_keyset_paging_reads_300_same_second_records_exactly_once(vt: Vt) -> None:
    vt.control("POST", "/reset", {"seed_contacts": 40})
    vt.control("POST", "/clock", {"set": "2026-11-26T12:00:00+00:00", "freeze": True})
    vt.login()
    made = {vt.create(lastname=f"Bulk {i}")["id"] for i in range(300)}
    mark, last, seen = "2026-11-26 11:59:59", "12x0", []
    while True:
        page = vt.rows(
            "SELECT id, modifiedtime FROM Contacts WHERE modifiedtime > "
            f"'{mark}' OR modifiedtime = '{mark}' AND id > '{last}' "
            "ORDER BY modifiedtime, id LIMIT 100;"
        )
        if not page:
            break
        seen += [row["id"] for row in page]
        mark, last = page[-1]["modifiedtime"], page[-1]["id"]
    assert len(seen) == len(set(seen)) == 300 and set(seen) == made


def test_keyset_query_over_10000_contacts_is_fast(vt: Vt) -> None:
    vt.control("POST", "/reset", {"seed_contacts": 10000})
    vt.login()
    mark = vt.rows("SELECT id, modifiedtime FROM Contacts ORDER BY id LIMIT 5000, 1;")[0]
    query = (
        f"SELECT * FROM Contacts WHERE modifiedtime > '{mark['modifiedtime']}' OR modifiedtime = "
        f"'{mark['modifiedtime']}' AND id > '{mark['id']}' ORDER BY modifiedtime, id LIMIT 100;"
    )
    vt.query(query)
    started = time.perf_counter()
    rows = vt.rows(query)
    elapsed = time.perf_counter() - started
    assert len(rows) == 100 and elapsed < 0.25, elapsed


def test_non_admin_sees_only_own_records(vt: Vt) -> None:
    own = vt.create(lastname="Theirs", assigned_user_id="19x5")
    mine = vt.create(lastname="Mine")
    sales = Vt(vt.base_url).login("sales1", SALES_KEY)
    assert sales.rows("SELECT count(*) FROM Contacts;") == [{"count": "1"}]
    both = f"SELECT id FROM Contacts WHERE id IN ('{own['id']}','{mine['id']}');"
    assert sales.rows(both) == [{"id": own["id"]}]
    denied = sales.op_get("retrieve", id=mine["id"])["error"]
    assert denied == {
        "code": "ACCESS_DENIED",
        "message": "Permission to read given object is denied",
    }
    sales.close()


def test_session_idle_expiry_follows_the_clock(vt: Vt) -> None:
    assert vt.rows("SELECT count(*) FROM Contacts;")
    vt.control("POST", "/clock", {"advance": 1441})
    body = vt.query("SELECT count(*) FROM Contacts;")
    assert body["error"]["code"] == "INVALID_SESSIONID"


def test_challenge_lives_300_seconds_and_is_superseded(vt: Vt) -> None:
    token = vt.get({"operation": "getchallenge", "username": "admin"})["result"]["token"]
    vt.control("POST", "/challenge/supersede", {"user": "admin"})
    login = {"operation": "login", "username": "admin", "accessKey": digest(token, ADMIN_KEY)}
    assert vt.post(login)["error"]["code"] == "INVALID_USER_CREDENTIALS"
    fresh = vt.get({"operation": "getchallenge", "username": "admin"})["result"]["token"]
    vt.control("POST", "/clock", {"advance": 301})
    login["accessKey"] = digest(fresh, ADMIN_KEY)
    assert vt.post(login)["error"]["code"] == "INVALID_AUTH_TOKEN"


def test_expire_control_drops_sessions(vt: Vt) -> None:
    assert vt.control("POST", "/sessions/expire", {"user": "admin"})["expired"] >= 1
    assert vt.query("SELECT count(*) FROM Contacts;")["error"]["code"] == "INVALID_SESSIONID"


def test_ui_restore_keeps_id_and_counters_count_operations(vt: Vt) -> None:
    record = vt.create(lastname="Phoenix")
    vt.control("DELETE", f"/ui/contacts/{record['id']}", {})
    vt.control("POST", "/clock", {"advance": 5})
    restored = vt.control("POST", f"/ui/contacts/{record['id']}/restore", {})
    assert restored["id"] == record["id"] and restored["modifiedtime"] > record["modifiedtime"]
    slim = vt.control("GET", "/contacts?fields=modifiedtime")
    assert slim == [
        {"id": record["id"], "modifiedtime": restored["modifiedtime"], "deleted": False}
    ]
    counters = vt.control("GET", "/counters")
    assert counters["by_operation"]["create"] == 1 and counters["total"] >= 3


def test_fault_rule_targets_a_post_operation(vt: Vt) -> None:
    vt.control("POST", "/faults", {"rules": [{"status": 500, "operation": "create"}]})
    element = json.dumps({"lastname": "X", "assigned_user_id": vt.user_id})
    data = {"operation": "create", "sessionName": vt.session, "element": element}
    failed = vt.http.post(WS, data={**data, "elementType": "Contacts"})
    assert (failed.status_code, failed.content) == (500, b"")
    assert vt.create(lastname="After the fault")["lastname"] == "After the fault"


def test_custom_and_mandatory_fields_reach_describe_and_create(vt: Vt) -> None:
    name = vt.control("POST", "/ui/fields", {"label": "Newsletter Code", "length": 5})["name"]
    vt.control("POST", f"/ui/fields/{name}/mandatory", {"mandatory": True})
    fields = vt.op_get("describe", elementType="Contacts")["result"]["fields"]
    entry = next(f for f in fields if f["name"] == name)
    assert entry["mandatory"] is True and entry["label"] == "Newsletter Code"
    element = json.dumps({"lastname": "x", "assigned_user_id": vt.user_id})
    missing = vt.op_post("create", elementType="Contacts", element=element)
    assert missing["error"]["message"] == f"{name} does not have a value"
    assert vt.create(lastname="x", **{name: "ABCDEFG"})[name] == "ABCDE"


def test_duplicate_prevention_answers_integer_code_zero(vt: Vt) -> None:
    vt.create(lastname="First", email="dup@example.com")
    vt.control("POST", "/ui/settings", {"duplicate_prevention": True})
    element = json.dumps(
        {"lastname": "Dup", "email": "dup@example.com", "assigned_user_id": "19x1"}
    )
    error = vt.op_post("create", elementType="Contacts", element=element)["error"]
    assert error == {"code": 0, "message": "Duplicate(s) detected!"}


def test_working_sync_pages_beyond_100_when_a_second_is_shared(vt_working_proc: Proc) -> None:
    vt = Vt(vt_working_proc.base_url)
    vt.control("POST", "/reset", {"seed_contacts": 0})
    vt.control("POST", "/clock", {"set": "2026-11-26T12:00:00+00:00", "freeze": True})
    vt.login()
    for i in range(120):
        vt.create(lastname=f"Bulk {i}")
        if i == 95:
            vt.control("POST", "/clock", {"advance": 1})
    first = vt.op_get("sync", modifiedTime="0", elementType="Contacts")["result"]
    assert (len(first["updated"]), first["more"]) == (120, False)
    vt.close()


def test_unknown_user_and_missing_session(vt: Vt) -> None:
    unknown = vt.get({"operation": "getchallenge", "username": "nosuchuser"})
    assert unknown["error"] == {"code": "ACCESS_DENIED", "message": "username does not exists"}
    anonymous = httpx2.get(vt.base_url + WS, params={"operation": "retrieve", "id": "12x3"})
    assert anonymous.json()["error"]["code"] == "AUTHENTICATION_REQUIRED"


def test_slow_and_dropped_answers_target_one_operation(vt: Vt) -> None:
    rules = [
        {"kind": "slow", "delay": 0.5, "operation": "query", "count": 1},
        {"kind": "drop", "operation": "retrieve", "count": 1},
    ]
    vt.control("POST", "/faults", {"rules": rules})
    started = time.perf_counter()
    assert vt.rows("SELECT count(*) FROM Contacts;") == [{"count": "0"}]
    assert time.perf_counter() - started >= 0.5
    try:
        vt.op_get("retrieve", id="12x3")
    except httpx2.TransportError:
        dropped = True
    else:
        dropped = False
    assert dropped
    assert vt.op_get("retrieve", id="12x3")["error"]["code"] == "ACCESS_DENIED"
