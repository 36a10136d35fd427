"""Issue 11 item 5: errors in words next to their fields; error pages in the app's layout.

Pydantic's own text ("Input should be …", "String should have at most …") never reaches a page,
nor does the raw input; JSON errors stay under ``/api/``.
"""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from .conftest import WebEnv, csrf
from .test_settings import OAUTH, SYNC

PYDANTIC = ("Input should be", "String should have", "literal_error", "input_value", "'loc'")


def _next_to(page: str, field: str) -> str:
    """The words shown right after the input of ``field`` (its ``…-error`` paragraph)."""
    match = re.search(rf'id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error shown next to {field}"
    assert f'aria-errormessage="{field}-error"' in page
    return match.group(1)


def _no_internals(page: str, raw: str) -> None:
    """No pydantic text; the input only where the form gives it back to edit (an input's value)."""
    for text in PYDANTIC:
        assert text not in page, text
    assert raw not in re.sub(r'value="[^"]*"', "", page)


def test_bad_sync_settings_show_words_next_to_their_fields(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    bad = {
        **SYNC,
        "frequency": "every-2-minutes",
        "vtiger_username": "u" * 300,
        "cf_crm_0": "not-a-custom-field",
        "csrftoken": csrf(admin_client),
    }
    answer = admin_client.post(f"/connectors/{cid}/settings", data=bad)
    assert answer.status_code == 400
    page = answer.text
    assert _next_to(page, "frequency").startswith(
        "Background Sync Frequency must be one of: Every 5 minutes, Every 15 minutes"
    )
    assert _next_to(page, "vtiger_username") == (
        "Vtiger user name is too long (at most 255 characters)."
    )
    assert _next_to(page, "cf_crm_0") == (
        "Custom field row 1: Vtiger field must be a Vtiger custom field name such as cf_901."
    )
    _no_internals(page, "every-2-minutes")
    # the layout's navigation and the summary that links to the fields
    assert 'class="top"' in page and 'href="#frequency"' in page


def test_sync_settings_checked_after_parsing_are_next_to_their_fields(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    data = {**SYNC, "vtiger_timezone": "Nowhere/Land", "csrftoken": csrf(admin_client)}
    page = admin_client.post(f"/connectors/{cid}/settings", data=data).text
    assert "unknown time zone" in _next_to(page, "vtiger_timezone")
    future = {**SYNC, "sync_records_from": "date", "sync_records_date": "2999-01-01"}
    page = admin_client.post(
        f"/connectors/{cid}/settings", data={**future, "csrftoken": csrf(admin_client)}
    ).text
    assert "2999-01-01 is in the future" in _next_to(page, "sync_records_date")


def test_bad_oauth_settings_show_words_next_to_their_fields(
    admin_client: TestClient, env: WebEnv
) -> None:
    data = {
        **OAUTH,
        "client_id": "k" * 300,
        "token_url": "ftp://x",
        "pkce": "sometimes",
        "csrftoken": csrf(admin_client),
    }
    answer = admin_client.post(f"/connectors/{env.admin_connector}/oauth", data=data)
    assert answer.status_code == 400 and "text/html" in answer.headers["content-type"]
    page = answer.text
    assert _next_to(page, "client_id") == "Client ID is too long (at most 255 characters)."
    assert _next_to(page, "token_url") == "Token URL must be an http(s) URL."
    assert _next_to(page, "pkce") == "Use PKCE must be one of: Auto, On, Off."
    _no_internals(page, "k" * 300)


def test_an_over_long_connector_name_is_refused_next_to_the_field(
    admin_client: TestClient, env: WebEnv
) -> None:
    data = {"name": "n" * 150, "owner_id": env.user_id, "csrftoken": csrf(admin_client)}
    answer = admin_client.post("/connectors", data=data)
    assert answer.status_code == 400
    assert _next_to(answer.text, "name") == "The name is too long (at most 100 characters)."
    _no_internals(answer.text, "n" * 150)


def test_a_bad_query_parameter_on_a_page_is_an_html_page_in_the_layout(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    answer = admin_client.get(f"/connectors/{cid}/debug?page=zero-and-more")
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert 'class="top"' in page and "<h1" in page  # base.html and error.html
    assert "Page number must be a whole number." in page
    _no_internals(page, "zero-and-more")
    api = admin_client.get(f"/api/connectors/{cid}/runs?limit=zero-and-more")
    assert api.status_code == 422 and api.headers["content-type"] == "application/json"
    assert api.json()["detail"][0]["loc"] == ["query", "limit"]


def test_an_over_long_form_field_is_an_html_page_in_words(
    admin_client: TestClient, env: WebEnv
) -> None:
    data = {"timezone": "Z" * 100, "csrftoken": csrf(admin_client)}
    answer = admin_client.post("/profile", data=data)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert "Time zone is too long (at most 64 characters)." in answer.text
    _no_internals(answer.text, "Z" * 100)


def test_not_found_and_wrong_method_are_pages_in_the_layout(admin_client: TestClient) -> None:
    missing = admin_client.get("/no/such/<page>")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "404 — Not found" in missing.text and 'class="top"' in missing.text
    assert "<page>" not in missing.text
    wrong = admin_client.delete("/profile", headers={"x-csrftoken": csrf(admin_client)})
    assert wrong.status_code == 405 and wrong.headers["content-type"].startswith("text/html")
    assert "405 — Method not allowed" in wrong.text
    api = admin_client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json"
