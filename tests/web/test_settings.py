"""OAuth Settings and Sync Settings with the API budget refusal (sync rule Q4)."""

from __future__ import annotations

from starlette.testclient import TestClient

from ccsync.engine.config import load_config
from ccsync.store.repos.connectors import create_connector, get_connector

from .conftest import WebEnv, csrf

OAUTH = {
    "client_id": "my-app-key",
    "client_secret": "brand-new-secret-value",
    "auth_url": "https://authz.example/oauth2/default/v1/authorize",
    "token_url": "https://authz.example/oauth2/default/v1/token",
    "revoke_url": "",
    "api_base_url": "https://api.example/v3/",
    "scopes": "contact_data offline_access",
    "pkce": "off",
}
SYNC = {
    "sync_records_from": "30d",
    "frequency": "60m",
    "direction": "crm_to_cc",
    "enabled": "on",
    "conflict_policy": "crm",
    "delete_crm": "unlist",
    "delete_cc": "ignore",
    "crm_scope": "assigned",
    "cc_scope": "lists",
    "target_list": "Newsletter",
    "vtiger_timezone": "Europe/Berlin",
    "cc_record_url": "https://cc.example/c/{cc_id}",
    "vtiger_url": "https://crm.example/",
    "vtiger_username": "sales",
    "vtiger_access_key": "vt-access-key-123",
    "vtiger_flavour": "webservice",
    "extended": "on",
    "cf_crm_0": "cf_901",
    "cf_cc_0": "c0ffee",
    "cf_name_0": "tier",
    "cf_dir_0": "crm_to_cc",
}


def _row(env: WebEnv, connector_id: int):  # type: ignore[no-untyped-def]
    with env.ctx.sessions() as session:
        return get_connector(session, connector_id)


def test_oauth_settings_are_saved_and_the_secret_is_never_shown_back(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    answer = admin_client.post(
        f"/connectors/{cid}/oauth", data={**OAUTH, "csrftoken": csrf(admin_client)}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "OAuth settings saved" in admin_client.get("/").text
    row = _row(env, cid)
    config = load_config(row).cc
    assert (config.client_id, config.pkce, config.api_base_url) == (
        "my-app-key", "off", "https://api.example/v3",
    )  # fmt: skip
    assert row.client_secret == "brand-new-secret-value"
    page = admin_client.get(f"/connectors/{cid}/oauth").text
    assert "brand-new-secret-value" not in page and "••••alue" in page
    assert "http://127.0.0.1:8765/oauth/callback" in page
    api = admin_client.get(f"/api/connectors/{cid}/oauth").json()
    assert api["secret_mask"] == "••••alue" and "client_secret" not in api


def test_an_empty_secret_keeps_the_saved_one(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    data = {**OAUTH, "client_secret": "", "csrftoken": csrf(admin_client)}
    assert admin_client.post(f"/connectors/{cid}/oauth", data=data).status_code == 303
    assert _row(env, cid).client_secret == "s3cr3t-value-xyz"


def test_scopes_without_offline_access_save_with_a_warning(
    admin_client: TestClient, env: WebEnv
) -> None:
    data = {**OAUTH, "scopes": "contact_data", "csrftoken": csrf(admin_client)}
    admin_client.post(f"/connectors/{env.admin_connector}/oauth", data=data)
    assert "after 24 hours" in admin_client.get("/").text


def test_invalid_oauth_settings_are_refused_with_reasons(
    admin_client: TestClient, env: WebEnv
) -> None:
    data = {**OAUTH, "token_url": "ftp://x", "client_id": "", "csrftoken": csrf(admin_client)}
    answer = admin_client.post(f"/connectors/{env.admin_connector}/oauth", data=data)
    assert answer.status_code == 400
    assert "Token URL must be an http(s) URL." in answer.text
    assert "Client ID is required." in answer.text


def test_sync_settings_are_saved_with_mapping_and_masked_access_key(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    data = {**SYNC, "debug_mode": "on", "csrftoken": csrf(admin_client)}
    answer = admin_client.post(f"/connectors/{cid}/settings", data=data)
    assert answer.status_code == 303, answer.text
    row = _row(env, cid)
    config = load_config(row)
    assert config.sync.direction == "crm_to_cc" and config.cc.scope == "lists"
    assert config.sync.crm_delete_policy == "unlist" and config.sync.cc_delete_policy == "ignore"
    assert config.crm.url == "https://crm.example" and config.crm.timezone == "Europe/Berlin"
    assert row.vtiger_access_key == "vt-access-key-123"
    assert row.debug_until is not None
    assert row.settings["sync"]["custom_fields"] == [
        {"crm_field": "cf_901", "cc_id": "c0ffee", "cc_name": "tier", "direction": "crm_to_cc"}
    ]
    page = admin_client.get(f"/connectors/{cid}/settings").text
    assert "vt-access-key-123" not in page and "••••-123" in page
    assert "custom_fields[tier]" in page and "job_title" in page
    assert "Debug Mode" in page and 'name="debug_mode" value="on" checked' in page


def test_switching_extended_rows_off_leaves_vtigers_own_table(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    data = {k: v for k, v in SYNC.items() if k != "extended" and not k.startswith("cf_")}
    admin_client.post(f"/connectors/{cid}/settings", data={**data, "csrftoken": csrf(admin_client)})
    rows = admin_client.get(f"/api/connectors/{cid}/settings").json()["mapping"]
    assert [r["crm_field"] for r in rows][:3] == ["firstname", "lastname", "email"]
    assert not any(r["extended"] for r in rows)
    assert "title" not in [r["crm_field"] for r in rows]


def test_a_frequency_over_80_percent_of_the_quota_is_refused_naming_what_fits(
    admin_client: TestClient, env: WebEnv
) -> None:
    # Nine more connectors on the Client ID every 5 minutes use 9 × (288 × 3 + 2) = 7,794 calls;
    # a tenth at 5 minutes passes 8,000 (80%); at 30 minutes it adds 146 and fits.
    base = _row(env, env.admin_connector).settings
    with env.ctx.sessions.begin() as session:
        for i in range(9):
            busy = {**base, "sync": {**base["sync"], "frequency": "5m"}}
            create_connector(session, f"busy-{i}", env.admin_id, busy)
    cid = env.admin_connector
    data = {**SYNC, "frequency": "5m", "csrftoken": csrf(admin_client)}
    answer = admin_client.post(f"/connectors/{cid}/settings", data=data)
    assert answer.status_code == 400
    assert "more than 80%" in answer.text
    assert "The highest frequency that fits is: Every 30 minutes." in answer.text
    assert load_config(_row(env, cid)).sync.frequency == "off"
    data["frequency"] = "30m"
    assert admin_client.post(f"/connectors/{cid}/settings", data=data).status_code == 303


def test_invalid_sync_settings_are_refused(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    data = {**SYNC, "vtiger_timezone": "Nowhere/Land", "csrftoken": csrf(admin_client)}
    answer = admin_client.post(f"/connectors/{cid}/settings", data=data)
    assert answer.status_code == 400 and "unknown time zone" in answer.text
    api = admin_client.put(
        f"/api/connectors/{cid}/settings",
        json={"frequency": "2m"},
        headers={"x-csrftoken": csrf(admin_client)},
    )
    assert api.status_code == 422


def test_an_admin_adds_a_connector_for_a_user(admin_client: TestClient, env: WebEnv) -> None:
    token = csrf(admin_client)
    answer = admin_client.post(
        "/connectors", data={"name": "Sales", "owner_id": env.user_id, "csrftoken": token}
    )
    assert answer.status_code == 303
    assert (
        admin_client.post(
            "/connectors", data={"name": "Sales", "owner_id": env.user_id, "csrftoken": token}
        ).status_code
        == 400
    )
    names = [c["name"] for c in admin_client.get("/api/connectors").json()]
    assert "Sales" in names


def test_sync_records_from_a_date_is_chosen_shown_and_kept(
    admin_client: TestClient, env: WebEnv
) -> None:
    """Issue 11 item 6: the Settings page offers a date; a date (set here or from the CLI)
    shows as that date and survives a save; a date in the future is refused in words."""
    cid = env.admin_connector
    token = csrf(admin_client)
    data = {**SYNC, "sync_records_from": "date", "sync_records_date": "2024-03-01"}
    answer = admin_client.post(f"/connectors/{cid}/settings", data={**data, "csrftoken": token})
    assert answer.status_code == 303, answer.text
    assert load_config(_row(env, cid)).sync.sync_records_from == "2024-03-01"
    page = admin_client.get(f"/connectors/{cid}/settings").text
    assert '<option value="date" selected>' in page
    assert 'name="sync_records_date" type="date" value="2024-03-01"' in page
    # a save that keeps the shown values keeps the date
    kept = {**SYNC, "sync_records_from": "date", "sync_records_date": "2024-03-01"}
    admin_client.post(f"/connectors/{cid}/settings", data={**kept, "csrftoken": token})
    assert load_config(_row(env, cid)).sync.sync_records_from == "2024-03-01"
    future = {**SYNC, "sync_records_from": "date", "sync_records_date": "2999-01-01"}
    answer = admin_client.post(f"/connectors/{cid}/settings", data={**future, "csrftoken": token})
    assert answer.status_code == 400 and "2999-01-01 is in the future" in answer.text
    empty = {**SYNC, "sync_records_from": "date", "sync_records_date": ""}
    answer = admin_client.post(f"/connectors/{cid}/settings", data={**empty, "csrftoken": token})
    assert answer.status_code == 400 and "Choose the date to sync records from" in answer.text
    assert load_config(_row(env, cid)).sync.sync_records_from == "2024-03-01"
