"""``--state-file``: records, layout and settings survive a restart."""

from __future__ import annotations

from pathlib import Path

from .client import Vt, start_vtiger


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "vtiger.json"
    first = start_vtiger(tmp_path, "--state-file", str(state), "--seed-contacts", "20", name="a")
    vt = Vt(first.base_url).login()
    field = vt.control("POST", "/ui/fields", {"label": "Newsletter Code"})["name"]
    made = vt.create(lastname="Persisted", **{field: "NL-1"})
    doomed = vt.rows("SELECT id FROM Contacts ORDER BY id LIMIT 1;")[0]["id"]
    vt.op_post("delete", id=doomed)
    vt.close()
    first.stop()
    second = start_vtiger(tmp_path, "--state-file", str(state), name="b")
    again = Vt(second.base_url).login()
    try:
        assert again.op_get("retrieve", id=made["id"])["result"][field] == "NL-1"
        assert again.rows("SELECT count(*) FROM Contacts;") == [{"count": "20"}]
        rows = {r["id"]: r for r in again.control("GET", "/contacts")}
        assert rows[doomed]["deleted"] is True
        next_id = again.create(lastname="Next")["id"]
        assert int(next_id.partition("x")[2]) > int(made["id"].partition("x")[2])
    finally:
        again.close()
        second.stop()
