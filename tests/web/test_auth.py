"""Sign-in, the first admin's forced password change, sign-out and the profile's time zone."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from ccsync.store.repos.users import get_user_by_name
from ccsync.web.auth import ensure_first_admin

from .conftest import ADMIN, WebEnv, csrf, login


def test_a_wrong_password_is_refused_with_a_clear_message(env: WebEnv) -> None:
    with TestClient(env.app, follow_redirects=False) as client:
        answer = client.post(
            "/login", data={"username": ADMIN[0], "password": "nope", "csrftoken": csrf(client)}
        )
        assert answer.status_code == 401
        assert "Wrong user name or password." in answer.text
        assert client.get("/").status_code == 303


def test_no_first_admin_is_made_when_accounts_exist(env: WebEnv) -> None:
    with env.ctx.sessions() as session:
        assert get_user_by_name(session, "admin") is None
    assert ensure_first_admin(env.ctx.sessions) is None


def test_first_start_creates_an_admin_who_changes_the_password(tmp_path: Path) -> None:
    from ccsync.settings import get_settings
    from ccsync.web.app import create_app

    app = create_app(get_settings(data_dir=tmp_path), scheduler=False)
    created = ensure_first_admin(app.state.ctx.sessions)
    assert created is not None
    name, password = created
    assert len(password) >= 12
    assert ensure_first_admin(app.state.ctx.sessions) is None
    with TestClient(app, follow_redirects=False) as client:
        token = csrf(client)
        answer = client.post(
            "/login", data={"username": name, "password": password, "csrftoken": token}
        )
        assert answer.headers["location"] == "/password"
        token = csrf(client)  # sign-in gives a fresh token, tied to the new session
        assert client.get("/").headers["location"] == "/password"
        assert client.get("/api/connectors").status_code == 403
        short = {"current": password, "new": "short", "confirm": "short", "csrftoken": token}
        assert client.post("/password", data=short).status_code == 400
        new = "a-much-better-password"
        good = {"current": password, "new": new, "confirm": new, "csrftoken": token}
        assert client.post("/password", data=good).headers["location"] == "/"
        assert client.get("/").status_code == 200
        client.post("/logout", data={"csrftoken": csrf(client)})
        login(client, name, new)


def test_sign_out_ends_the_session(admin_client: TestClient) -> None:
    assert admin_client.get("/").status_code == 200
    admin_client.post("/logout", data={"csrftoken": csrf(admin_client)})
    assert admin_client.get("/").status_code == 303


def test_sign_in_never_redirects_off_site(env: WebEnv) -> None:
    with TestClient(env.app, follow_redirects=False) as client:
        body = {"username": ADMIN[0], "password": ADMIN[1], "csrftoken": csrf(client)}
        answer = client.post("/login", data={**body, "next": "//evil.example/x"})
        assert answer.headers["location"] == "/"


def test_the_browser_zone_prefills_the_profile_and_the_profile_saves_it(env: WebEnv) -> None:
    with TestClient(env.app, follow_redirects=False) as client:
        body = {"username": ADMIN[0], "password": ADMIN[1], "csrftoken": csrf(client)}
        client.post("/login", data={**body, "timezone": "Asia/Tokyo"})
        assert client.get("/api/me").json()["time_zone"] == "Asia/Tokyo"
        token = csrf(client)
        client.post("/profile", data={"timezone": "America/Chicago", "csrftoken": token})
        assert client.get("/api/me").json()["time_zone"] == "America/Chicago"
        client.post("/profile", data={"timezone": "Mars/Olympus", "csrftoken": token})
        assert "Unknown time zone" in client.get("/profile").text
        assert client.get("/api/me").json()["time_zone"] == "America/Chicago"
