"""Roles: admins alone reach settings; standard users only their own connectors."""

from __future__ import annotations

from starlette.testclient import TestClient

from ccsync.web.deps import admin_connector, admin_user, connector_access

from .conftest import WebEnv, csrf
from .routes import fill, routes_depending_on


def _call(client: TestClient, method: str, path: str) -> int:
    token = csrf(client)
    if path.startswith("/api/"):
        answer = client.request(method, path, headers={"x-csrftoken": token}, json={})
    else:
        answer = client.request(method, path, data={"csrftoken": token})
    return answer.status_code


def test_the_enumeration_finds_the_admin_pages(env: WebEnv) -> None:
    admin_routes = routes_depending_on(env.app, admin_user, admin_connector)
    for expected in [
        ("GET", "/connectors/{connector_id}/settings"),
        ("POST", "/connectors/{connector_id}/settings"),
        ("GET", "/connectors/{connector_id}/oauth"),
        ("POST", "/connectors/{connector_id}/oauth"),
        ("GET", "/connectors/available"),
        ("POST", "/connectors"),
        ("GET", "/api/connectors/{connector_id}/settings"),
        ("PUT", "/api/connectors/{connector_id}/oauth"),
    ]:
        assert expected in admin_routes


def test_every_admin_route_refuses_a_standard_user(user_client: TestClient, env: WebEnv) -> None:
    # Even on the user's own connector: settings are for admins only.
    ids = {"connector_id": env.user_connector}
    routes = routes_depending_on(env.app, admin_user, admin_connector)
    assert routes
    for method, path in routes:
        assert _call(user_client, method, fill(path, ids)) == 403, (method, path)


def test_every_admin_route_admits_an_admin(admin_client: TestClient, env: WebEnv) -> None:
    ids = {"connector_id": env.admin_connector}
    for method, path in routes_depending_on(env.app, admin_user, admin_connector):
        if method == "GET":
            assert _call(admin_client, method, fill(path, ids)) == 200, path


def test_every_connector_route_refuses_someone_elses_connector(
    user_client: TestClient, env: WebEnv
) -> None:
    ids = {"connector_id": env.admin_connector}
    routes = routes_depending_on(env.app, connector_access, admin_connector)
    assert len(routes) >= 20
    for method, path in routes:
        assert _call(user_client, method, fill(path, ids)) == 403, (method, path)


def test_standard_users_see_only_their_own_connectors(user_client: TestClient, env: WebEnv) -> None:
    listed = user_client.get("/api/connectors").json()
    assert [c["id"] for c in listed] == [env.user_connector]
    page = user_client.get("/").text
    assert "Joe CC" in page and "Admin CC" not in page
    assert f"/connectors/{env.user_connector}/settings" not in page


def test_admins_see_every_connector(admin_client: TestClient, env: WebEnv) -> None:
    listed = admin_client.get("/api/connectors").json()
    assert sorted(c["id"] for c in listed) == sorted([env.admin_connector, env.user_connector])


def test_signed_out_visitors_go_to_login(env: WebEnv) -> None:
    with TestClient(env.app, follow_redirects=False) as client:
        assert client.get("/").headers["location"] == "/login?next=/"
        assert client.get("/api/connectors").status_code == 401
        assert client.get(f"/connectors/{env.admin_connector}/log").status_code == 303
