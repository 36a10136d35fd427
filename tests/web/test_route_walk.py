"""Every route of the app's own route table, called as anonymous, as a standard user against
someone else's objects, and as the owner (or an admin for admin-only routes), answers the status
the table below expects. A new route without an entry fails the test (issue 10, deliver 1)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from starlette.routing import Mount
from starlette.testclient import TestClient

from ccsync.store.repos.held import add_attention, add_held
from ccsync.store.repos.retry import MAX_ATTEMPTS, list_retries, record_failure
from ccsync.store.repos.rows import HeldWrite
from ccsync.web.deps import admin_connector, admin_user

from .conftest import ADMIN, USER, WebEnv, csrf, login
from .routes import api_routes, fill, routes_depending_on
from .test_log_pages import _record_run

# (anonymous, standard user on someone else's objects, owner — or admin on admin routes).
# Pages send anonymous visitors to /login (303); the API answers 401.
EXPECTED: dict[tuple[str, str], tuple[int, int, int]] = {
    ("GET", "/login"): (200, 200, 200),
    ("POST", "/login"): (401, 401, 401),  # wrong password in the walk
    ("POST", "/logout"): (303, 303, 303),
    ("GET", "/password"): (303, 200, 200),
    ("POST", "/password"): (303, 400, 400),  # wrong current password in the walk
    ("GET", "/profile"): (303, 200, 200),
    ("POST", "/profile"): (303, 303, 303),
    ("GET", "/"): (303, 200, 200),
    ("GET", "/connectors/{connector_id}/status"): (303, 403, 200),
    ("POST", "/connectors/{connector_id}/sync"): (303, 403, 303),
    ("GET", "/connectors/available"): (303, 403, 200),
    ("POST", "/connectors"): (303, 403, 422),
    ("GET", "/connectors/{connector_id}/oauth"): (303, 403, 200),
    ("POST", "/connectors/{connector_id}/oauth"): (303, 403, 400),
    ("GET", "/connectors/{connector_id}/signin"): (303, 403, 303),
    ("GET", "/oauth/callback"): (303, 303, 303),
    ("GET", "/connectors/{connector_id}/revoke"): (303, 403, 200),
    ("POST", "/connectors/{connector_id}/revoke"): (303, 403, 303),
    ("GET", "/connectors/{connector_id}/settings"): (303, 403, 200),
    ("POST", "/connectors/{connector_id}/settings"): (303, 403, 303),
    ("GET", "/connectors/{connector_id}/log"): (303, 403, 200),
    ("GET", "/connectors/{connector_id}/runs/{run_id}/items"): (303, 403, 200),
    ("GET", "/connectors/{connector_id}/runs/{run_id}/items.csv"): (303, 403, 200),
    ("GET", "/connectors/{connector_id}/debug"): (303, 403, 200),
    ("GET", "/connectors/{connector_id}/debug.txt"): (303, 403, 200),
    ("GET", "/connectors/{connector_id}/preview"): (303, 403, 200),
    ("POST", "/connectors/{connector_id}/preview"): (303, 403, 303),
    ("POST", "/connectors/{connector_id}/preview/discard"): (303, 403, 303),
    ("POST", "/connectors/{connector_id}/confirm"): (303, 403, 303),
    ("GET", "/connectors/{connector_id}/operations"): (303, 403, 200),
    ("POST", "/connectors/{connector_id}/dead/{entry_id}/retry"): (303, 403, 303),
    ("POST", "/connectors/{connector_id}/held/confirm"): (303, 403, 303),
    ("POST", "/connectors/{connector_id}/held/discard"): (303, 403, 303),
    ("POST", "/connectors/{connector_id}/attention/{attention_id}/link"): (303, 403, 303),
    ("GET", "/admin/users"): (303, 403, 200),
    ("POST", "/admin/users/{user_id}/sessions/end"): (303, 403, 303),
    ("GET", "/admin/audit"): (303, 403, 200),
    ("GET", "/healthz"): (200, 200, 200),
    ("GET", "/metrics"): (404, 404, 404),  # off without CCSYNC_METRICS_TOKEN
    ("GET", "/static/{path}"): (200, 200, 200),
    ("GET", "/api/openapi.json"): (401, 200, 200),
    ("GET", "/api/me"): (401, 200, 200),
    ("GET", "/api/connectors"): (401, 200, 200),
    ("POST", "/api/connectors"): (401, 403, 422),
    ("GET", "/api/connectors/{connector_id}"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/status"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/sync"): (401, 403, 202),
    ("GET", "/api/connectors/{connector_id}/oauth"): (401, 403, 200),
    ("PUT", "/api/connectors/{connector_id}/oauth"): (401, 403, 422),
    ("GET", "/api/connectors/{connector_id}/signin"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/revoke"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/settings"): (401, 403, 200),
    ("PUT", "/api/connectors/{connector_id}/settings"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/runs"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/runs/{run_id}"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/runs/{run_id}/items"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/runs/{run_id}/items.csv"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/debug"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/preview"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/confirm"): (401, 403, 202),
    ("GET", "/api/connectors/{connector_id}/held"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/dead"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/dead/{entry_id}/retry"): (401, 403, 200),
    ("GET", "/api/connectors/{connector_id}/attention"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/held/confirm"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/held/discard"): (401, 403, 200),
    ("POST", "/api/connectors/{connector_id}/attention/{attention_id}/link"): (401, 403, 200),
    ("GET", "/api/audit"): (401, 403, 200),
    ("POST", "/api/users/{user_id}/sessions/end"): (401, 403, 200),
}
QUERY = {"items": "side=cc&action=created", "items.csv": "side=cc&action=created"}


@dataclass
class Objects:
    """The ids of one user's objects."""

    connector_id: int
    run_id: int
    entry_id: int
    attention_id: int
    user_id: int


def _dead_letter(env: WebEnv, connector_id: int) -> int:
    """A dead letter of the connector (again dead if "retry now" revived it)."""
    with env.ctx.sessions.begin() as session:
        for _ in range(MAX_ATTEMPTS):
            record_failure(
                session, connector_id, side="cc", source_side="crm", record_id="12x1", error="x"
            )
        return list_retries(session, connector_id, dead=True)[0].id


def _objects(env: WebEnv, connector_id: int, user_id: int) -> Objects:
    run_id = _record_run(env, connector_id)
    entry_id = _dead_letter(env, connector_id)
    with env.ctx.sessions.begin() as session:
        add_held(session, connector_id, [HeldWrite("cc", "delete", crm_id="12x9", cc_id="c-9")])
        add_attention(
            session,
            connector_id,
            kind="duplicate",
            email="dup@example.com",
            candidates=[{"crm_id": "12x5", "name": "A"}, {"crm_id": "12x6", "name": "B"}],
        )
    from ccsync.store.repos.held import list_attention

    with env.ctx.sessions() as session:
        attention = list_attention(session, connector_id)[0]
    return Objects(connector_id, run_id, entry_id, attention.id, user_id)


def every_route(env: WebEnv) -> list[tuple[str, str]]:
    """``(method, path)`` of everything in the app's route table (static mounts included)."""
    out = [
        (method, path)
        for path, route in api_routes(env.app)
        for method in route.methods
        if method != "HEAD"
    ]
    out += [("GET", f"{r.path}/{{path}}") for r in env.app.routes if isinstance(r, Mount)]
    return sorted(out)


def _url(path: str, ids: Objects) -> str:
    url = fill(path.replace("{path}", "app.css"), vars(ids))
    query = QUERY.get(url.rsplit("/", 1)[-1], "")
    return f"{url}?{query}" if query else url


def _call(client: TestClient, method: str, url: str) -> int:
    token = csrf(client)
    if url.startswith("/api/"):
        body = {"crm_id": "12x5"}
        answer = client.request(method, url, headers={"x-csrftoken": token}, json=body)
    else:
        data = {"csrftoken": token, "crm_id": "12x5", "timezone": "UTC"}
        if url == "/login":
            data |= {"username": USER[0], "password": "wrong-password"}
        if url == "/password":
            data |= {"current": "wrong", "new": "x" * 12, "confirm": "x" * 12}
        answer = client.request(method, url, data=data)
    return answer.status_code


@pytest.fixture
def world(env: WebEnv) -> tuple[Objects, Objects]:
    """The admin's objects and the standard user's objects."""
    return (
        _objects(env, env.admin_connector, env.admin_id),
        _objects(env, env.user_connector, env.user_id),
    )


def test_every_route_has_an_expectation(env: WebEnv) -> None:
    routes = set(every_route(env))
    assert routes - set(EXPECTED) == set(), "add the new routes to EXPECTED"
    assert set(EXPECTED) - routes == set(), "routes gone from the app"


def test_every_route_answers_as_expected_for_each_caller(
    env: WebEnv, world: tuple[Objects, Objects]
) -> None:
    admins, users = world
    admin_only = set(routes_depending_on(env.app, admin_user, admin_connector))
    wrong = []
    for method, path in every_route(env):
        anon, other, owner = EXPECTED[(method, path)]
        # The owner of admin-only routes is an admin; standard users own their connector.
        own = (ADMIN, admins) if (method, path) in admin_only else (USER, users)
        # The standard user's target is the admin's objects (the admin's own account too).
        callers = [(None, admins, anon), (USER, admins, other), (own[0], own[1], owner)]
        for who, ids, expected in callers:
            if "{entry_id}" in path:
                assert _dead_letter(env, ids.connector_id) == ids.entry_id
            with TestClient(env.app, follow_redirects=False) as client:
                if who is not None:
                    login(client, *who)
                got = _call(client, method, _url(path, ids))
            if got != expected:
                wrong.append((method, path, who[0] if who else "anonymous", expected, got))
    assert wrong == [], "\n".join(map(str, wrong))


def test_a_run_of_someone_else_is_not_reachable_through_ones_own_connector(
    env: WebEnv, world: tuple[Objects, Objects]
) -> None:
    # Item 1: GET /connectors/<own id>/debug?run=<their run> answered with their traffic.
    admins, users = world
    with TestClient(env.app, follow_redirects=False) as client:
        login(client, *USER)
        mixed = Objects(users.connector_id, admins.run_id, 0, 0, 0)
        checked = 0
        for method, path in every_route(env):
            if method != "GET" or "{connector_id}" not in path:
                continue
            url = _url(path, mixed)
            if "{run_id}" not in path:
                if not path.endswith(("/debug", "/debug.txt", "/log")):
                    continue
                url += f"?run={admins.run_id}"
            answer = client.get(url)
            assert answer.status_code == 404, (path, answer.status_code)
            assert "live-token" not in answer.text and "12x57" not in answer.text
            checked += 1
        assert checked >= 9
