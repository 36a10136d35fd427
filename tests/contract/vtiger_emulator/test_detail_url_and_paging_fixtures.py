"""Fixture files that are not plain request/response pairs.

``detail_url.json`` holds web-UI page fetches: each is checked through the matching control or
webservice view of the same fact. ``sync_paging_bulk.json`` holds two in-process sync pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .client import SALES_KEY, Proc, Vt
from .replay_support import exchanges, load
from .replayer import Replayer

DETAIL_ALLOWED = {
    "anonymous": "no web login exists in the emulator: a 302 to the login page has no analogue",
    "anonymous_follow": "the login page itself is web UI, not emulated",
    "admin_ws_id_as_record": "index.php record= URL parsing is web UI routing, not emulated",
    "admin_wrong_module": "index.php module/record mismatch is web UI routing, not emulated",
}


def _world(vt: Vt) -> dict[str, Any]:
    account = vt.op_post(
        "create",
        elementType="Accounts",
        element='{"accountname": "Acme", "assigned_user_id": "19x1"}',
    )["result"]
    mine = vt.create(firstname="Zoë", lastname="O'Brien & Sons <test>")
    gone = vt.create(lastname="Gone")
    vt.control("DELETE", f"/ui/contacts/{gone['id']}", {})
    theirs = vt.create(lastname="Owned by sales1", assigned_user_id="19x5")
    return {"account": account, "mine": mine, "gone": gone, "theirs": theirs}


def _rows(vt: Vt) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in vt.control("GET", "/contacts")}


def test_detail_pages_are_checked_through_controls(vt: Vt) -> None:
    world = _world(vt)
    sales = Vt(vt.base_url).login("sales1", SALES_KEY)
    rows = _rows(vt)
    checks: dict[str, Callable[[], bool]] = {
        "admin_web_session": lambda: rows[world["mine"]["id"]]["deleted"] is False,
        "admin_unknown_record": lambda: "12x999999" not in rows,
        "admin_deleted_record": lambda: rows[world["gone"]["id"]]["deleted"] is True,
        "admin_account_detail": lambda: vt.op_get("retrieve", id=world["account"]["id"])["success"],
        "admin_contact_3_unicode_label": lambda: (
            rows[world["mine"]["id"]]["lastname"] == "O'Brien & Sons <test>"
            and vt.op_get("retrieve", id=world["mine"]["id"])["result"]["label"]
            == "Zo&euml; O&#039;Brien &amp; Sons &lt;test&gt;"
        ),
        "sales1_web_own_record": lambda: sales.op_get("retrieve", id=world["theirs"]["id"])[
            "success"
        ],
        "sales1_web_admin_owned_record": lambda: (
            sales.op_get("retrieve", id=world["mine"]["id"])["error"]["message"]
            == "Permission to read given object is denied"
        ),
    }
    names = {name for name, _ in exchanges("detail_url.json")}
    assert names == set(checks) | set(DETAIL_ALLOWED)
    failed = [name for name, check in checks.items() if not check()]
    sales.close()
    assert failed == []


def test_sync_paging_bulk_pages_match_the_lab(vt_working_proc: Proc) -> None:
    replayer = Replayer(vt_working_proc.base_url, "sync_paging_bulk.json")
    replayer.setup()
    pages = load("sync_paging_bulk.json")["pages"]
    for page in ("page1", "page2"):
        want = pages[page]
        got = replayer.call("admin", "sync", **want["request"])["result"]
        ids = [[replayer.ids.back(u["id"]), u["modifiedtime"]] for u in got["updated"]]
        assert ids == want["updated_ids_and_modifiedtime"]
        assert len(got["updated"]) == want["updated_count"]
        assert (got["deleted"], got["more"]) == (want["deleted"], want["more"])
        assert got["lastModifiedTime"] == want["lastModifiedTime"]
    replayer.vt.close()
