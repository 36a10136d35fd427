"""CSRF: every state-changing route refuses a request without the token (403)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from .conftest import ADMIN, WebEnv, csrf, login
from .routes import fill, unsafe_routes


def test_the_enumeration_sees_the_known_forms(env: WebEnv) -> None:
    routes = unsafe_routes(env.app)
    for expected in [
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/connectors/{connector_id}/sync"),
        ("POST", "/connectors/{connector_id}/oauth"),
        ("POST", "/connectors/{connector_id}/settings"),
        ("POST", "/connectors/{connector_id}/revoke"),
        ("PUT", "/api/connectors/{connector_id}/settings"),
        ("POST", "/api/connectors/{connector_id}/sync"),
    ]:
        assert expected in routes
    assert len(routes) >= 25


def test_every_unsafe_route_refuses_a_request_without_the_token(
    admin_client: TestClient, env: WebEnv
) -> None:
    ids = {"connector_id": env.admin_connector}
    refused = []
    for method, path in unsafe_routes(env.app):
        answer = admin_client.request(method, fill(path, ids), data={"name": "x"})
        assert answer.status_code == 403, (method, path, answer.status_code)
        assert answer.text == "CSRF token verification failed"
        refused.append(path)
    assert refused


def test_a_wrong_token_is_refused_too(admin_client: TestClient, env: WebEnv) -> None:
    path = f"/connectors/{env.admin_connector}/sync"
    answer = admin_client.post(path, data={"csrftoken": "forged"})
    assert answer.status_code == 403
    answer = admin_client.post(path, headers={"x-csrftoken": "forged"})
    assert answer.status_code == 403


@pytest.mark.parametrize("how", ["field", "header"])
def test_the_token_as_form_field_or_header_is_accepted(env: WebEnv, how: str) -> None:
    with TestClient(env.app, follow_redirects=False) as client:
        token = csrf(client)
        body = {"username": ADMIN[0], "password": ADMIN[1]}
        if how == "field":
            answer = client.post("/login", data={**body, "csrftoken": token})
        else:
            answer = client.post("/login", data=body, headers={"x-csrftoken": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/"


def test_the_first_page_already_carries_the_token(env: WebEnv) -> None:
    with TestClient(env.app, follow_redirects=False) as client:
        page = client.get("/login")
        token = client.cookies["csrftoken"]
        assert f'name="csrftoken" value="{token}"' in page.text
        login(client, *ADMIN)
        fresh = client.cookies["csrftoken"]
        assert fresh != token  # sign-in issues a new token tied to the session
        assert f'"x-csrftoken": "{fresh}"' in client.get("/").text
